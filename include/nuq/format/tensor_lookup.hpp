#pragma once
// How a decompressor finds a module's stored tensors: by local name ("weight_scale").
#include <functional>
#include <optional>
#include <string>

#include "nuq/error.hpp"
#include "nuq/tensor.hpp"

namespace nuq::format {

/// Returns the module's tensor with this local name, or nullopt if it has none.
using tensor_lookup = std::function<std::optional<tensor_ref>(std::string const& local_name)>;

/// The tensor `local` of the module at `where`, which must exist and have dtype `type`
/// (dtype::invalid: any dtype).
inline tensor_ref require(tensor_lookup const& find, std::string const& where,
                          std::string const& local, dtype type = dtype::invalid) {
    auto t = find(local);
    if (!t)
        throw error("format.missing_tensor", where + "." + local, "tensor is missing",
                    "it to be stored for this module's format",
                    "check that the checkpoint was written completely and that its "
                    "quantization_config matches its tensors");
    if (type != dtype::invalid && t->type != type)
        throw error("format.dtype", where + "." + local,
                    "dtype is " + std::string(torch_name(t->type)), std::string(torch_name(type)),
                    "the checkpoint does not follow the compressed-tensors format");
    return *t;
}

/// Checks a tensor's shape.
inline void require_shape(tensor_ref const& t, std::vector<std::int64_t> const& shape,
                          std::string const& where) {
    if (t.shape == shape) return;
    auto str = [](std::vector<std::int64_t> const& s) {
        std::string r = "[";
        for (std::size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
        return r + "]";
    };
    throw error("format.shape", where, "shape is " + str(t.shape), str(shape),
                "the checkpoint does not follow the compressed-tensors format");
}

} // namespace nuq::format
