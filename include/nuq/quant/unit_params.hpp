#pragma once
// unit_params: the quantization parameters of one unit (tensor, row, group or block).
#include <cstdint>

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

} // namespace nuq
