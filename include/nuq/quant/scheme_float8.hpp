#pragma once
// scheme::float8_e4m3: fp8 e4m3fn codes with a scale in the weight dtype (docs/FORMAT.md §4.8).
#include <cstdint>
#include <string_view>

#include "nuq/numeric/float8_e4m3.hpp"
#include "nuq/numeric/rounding.hpp"
#include "nuq/numeric/unit_params.hpp"

namespace nuq::scheme {

struct float8_e4m3 {
    static constexpr std::string_view name = "float";
    static constexpr int bits = 8;
    static constexpr bool symmetric = true;
    static constexpr bool is_float = true;
    static constexpr bool uses_global_scale = false;
    static constexpr scale_encoding scale_storage = scale_encoding::weight_dtype;
    static constexpr float max = float_e4m3_t::max();

    template <weight_element D>
    static unit_params params(float mn, float mx, float /*global_scale*/) {
        float const a = nan_max(-nan_min(mn, 0.0f), nan_max(mx, 0.0f));
        return scale_params<D>(round_to<D>(a / max));
    }

    template <weight_element D>
    static std::uint8_t quantize(float x, unit_params const& p) {
        return float_e4m3_t(clamp_nan(scaled<D>(x, p), -max, max)).bits;
    }

    template <weight_element S>
    static float dequantize(std::uint8_t c, unit_params const& p) {
        return round_to<S>(e4m3_values[c] * p.scale);
    }
};

} // namespace nuq::scheme
