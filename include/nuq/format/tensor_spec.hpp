#pragma once
// tensor_spec: what a format will store for a weight, before any data is written.
#include <cstdint>
#include <string>
#include <vector>

#include "nuq/numeric/dtype.hpp"

namespace nuq::format {

/// Name, dtype and shape of one stored tensor.
struct tensor_spec {
    std::string name;
    dtype type = dtype::invalid;
    std::vector<std::int64_t> shape;
    friend bool operator==(tensor_spec const&, tensor_spec const&) = default;
};

} // namespace nuq::format
