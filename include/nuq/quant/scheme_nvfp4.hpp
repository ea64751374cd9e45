#pragma once
// scheme::nvfp4: e2m1 codes in groups of 16 with an fp8 e4m3 scale per group and an f32 global
// scale per tensor (shared by fused q/k/v and gate/up). docs/FORMAT.md §4.4.
#include <cmath>
#include <cstdint>
#include <string_view>

#include "nuq/numeric/float4_e2m1.hpp"
#include "nuq/numeric/float8_e4m3.hpp"
#include "nuq/numeric/rounding.hpp"
#include "nuq/numeric/unit_params.hpp"

namespace nuq::scheme {

struct nvfp4 {
    static constexpr std::string_view name = "nvfp4";
    static constexpr int bits = 4;
    static constexpr bool symmetric = true;
    static constexpr bool is_float = true;
    static constexpr bool uses_global_scale = true;
    static constexpr scale_encoding scale_storage = scale_encoding::e4m3;
    static constexpr float max = float_e2m1_t::max();

    /// The global scale from the absolute maximum A (in D) of the tensor or fused set:
    /// R_D(R_D(1/A)·2688), where 2688 = 448·6; A clamped to D's smallest normal; NaN/inf → 1.
    template <weight_element D>
    static float global_scale(float absmax) {
        float const a = absmax < smallest_normal<D>() ? smallest_normal<D>() : absmax;
        float const gs = round_to<D>(round_to<D>(1.0f / a) * 2688.0f);
        return std::isfinite(gs) ? gs : 1.0f;
    }

    template <weight_element D>
    static unit_params params(float mn, float mx, float gs) {
        float const a = nan_max(-nan_min(mn, 0.0f), nan_max(mx, 0.0f));
        float s = gs * round_to<D>(a / max);
        s = float(float_e4m3_t(clamp_nan(s, -448.0f, 448.0f)));
        if (s == 0) s = 0.125f; // fp8's eps
        return from_stored(s, gs);
    }
    static unit_params from_stored(float scale, float gs) {
        unit_params p;
        p.scale = scale;
        p.divisor = scale / gs;
        return p;
    }

    template <weight_element D>
    static std::uint8_t quantize(float x, unit_params const& p) {
        float y = x / p.divisor + 0.0f; // f32 (the scale is f32); the zero point turns -0 to +0
        return float_e2m1_t::code_of(float_e2m1_t::round_to_grid(clamp_nan(y, -max, max)));
    }

    /// Decompressed NVFP4 is always bf16.
    template <weight_element>
    static float dequantize(std::uint8_t c, unit_params const& p) {
        return round_to<bfloat16_t>(float_e2m1_t::decode(c) * p.divisor);
    }
};

} // namespace nuq::scheme
