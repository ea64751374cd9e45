#pragma once
// quantized_weight: what a quantizer produces for one weight and a packer consumes.
#include <cstdint>
#include <optional>
#include <vector>

#include "nuq/numeric/dtype.hpp"
#include "nuq/quant/quant_args.hpp"
#include "nuq/numeric/unit_params.hpp"

namespace nuq {

struct quantized_weight {
    std::int64_t rows = 0, cols = 0;
    dtype weight_type = dtype::invalid;      ///< dtype of the input weight (D)
    quant_strategy strategy = quant_strategy::tensor;
    scale_encoding scale_storage = scale_encoding::weight_dtype;
    std::vector<std::uint8_t> codes;         ///< rows·cols codes: int8 (two's complement), fp8 or e2m1 bits
    std::vector<std::int64_t> scale_shape;
    std::vector<float> scales;               ///< exact values, one per unit
    std::vector<float> zero_points;          ///< one per unit; empty when symmetric
    std::optional<float> global_scale;       ///< NVFP4
    std::vector<std::int32_t> g_idx;         ///< activation order; empty when none
};

} // namespace nuq
