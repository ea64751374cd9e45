#pragma once
// unit_params: the quantization parameters of one unit (tensor, row, group or block).
#include <cstdint>

#include "nuq/numeric/rounding.hpp"

namespace nuq {

/// How a scheme stores its scales on disk.
enum class scale_encoding {
    weight_dtype, ///< in the weight's dtype (bf16/f16/f32): int and fp8 schemes
    e4m3,         ///< float8_e4m3fn: NVFP4 group scales (with an f32 global scale)
    ue8m0,        ///< uint8 power-of-two exponents: MX schemes
};

struct unit_params {
    float scale = 1;      ///< the scale as stored (exact in its storage dtype)
    float zero_point = 0; ///< integer-valued; 0 when symmetric
    float divisor = 1;    ///< what an element is divided by (scale / global scale for NVFP4)
};

/// Qparams with a scale kept in the weight dtype D: a zero scale becomes D's eps, as the
/// reference does after computing it.
template <weight_element D>
unit_params scale_params(float scale, float zero_point = 0) {
    if (scale == 0) scale = epsilon<D>();
    return {scale, zero_point, scale};
}

/// R_D(R_D(x / s) + zp): an element on the code scale, rounded in D after each op. Adding the
/// zero point, even 0, turns -0 into +0, as the reference does.
template <weight_element D>
float scaled(float x, unit_params const& p) {
    return round_to<D>(round_to<D>(x / p.divisor) + p.zero_point);
}

} // namespace nuq
