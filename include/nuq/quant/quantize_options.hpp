#pragma once
// quantize_options: what a quantization takes besides the weight and its args.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "nuq/quant/quantized_weight.hpp"

namespace nuq {

/// Per-call inputs besides the weight.
struct quantize_options {
    std::optional<float> global_scale;   ///< NVFP4: a scale shared by fused siblings
    std::span<std::int32_t const> g_idx; ///< activation order: group of each column
    std::string where;                   ///< tensor name, for error messages
    int threads = 0;                     ///< 0: every hardware thread
    /// Qparams to quantize with instead of observing w: scales, zero points, global scale and
    /// g_idx of a quantized_weight of the same quantizer and shape (its codes are ignored).
    /// GPTQ fixes its qparams before it changes the weight; the writer packs its output with
    /// them, as the reference does. Overrides global_scale and g_idx.
    quantized_weight const* qparams = nullptr;
};

} // namespace nuq
