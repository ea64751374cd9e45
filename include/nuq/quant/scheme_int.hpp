#pragma once
// scheme::int_<Bits, Symmetric>: integer codes of 1..8 bits, compressed-tensors' math
// (docs/FORMAT.md §4.3, §4.6, §4.7) with PyTorch's rounding after every op in the weight dtype D.
#include <cstdint>
#include <string_view>

#include "nuq/numeric/int_subbyte.hpp"
#include "nuq/numeric/rounding.hpp"
#include "nuq/numeric/unit_params.hpp"

namespace nuq::scheme {

template <int Bits, bool Symmetric>
struct int_ {
    static_assert(Bits >= 1 && Bits <= 8, "integer schemes hold 1 to 8 bits");
    using code = int_subbyte<Bits, true>;
    static constexpr std::string_view name = "int";
    static constexpr int bits = Bits;
    static constexpr bool symmetric = Symmetric;
    static constexpr bool is_float = false;
    static constexpr bool uses_global_scale = false;
    static constexpr scale_encoding scale_storage = scale_encoding::weight_dtype;
    static constexpr float q_min = code::min, q_max = code::max;
    /// Symmetric scales divide by half the range, 2^(b-1) - 0.5 (int4: 7.5, int8: 127.5).
    static constexpr float half_range = (q_max - q_min) / 2.0f;

    /// Scale and zero point from a unit's min and max (values of D).
    template <weight_element D>
    static unit_params params(float mn, float mx, float /*global_scale*/) {
        mn = nan_min(mn, 0.0f);
        mx = nan_max(mx, 0.0f);
        if constexpr (Symmetric) {
            return scale_params<D>(round_to<D>(nan_max(-mn, mx) / half_range));
        } else {
            float const s = round_to<D>(round_to<D>(mx - mn) / (q_max - q_min));
            // the zero point comes from the scale before a zero scale is replaced
            float const zp = clamp_nan(round_to<D>(q_min - round_to<D>(mn / s)), q_min, q_max);
            return scale_params<D>(s, zp == zp ? round_half_even(zp) : 0.0f); // NaN → 0
        }
    }

    /// Signed code of x (two's complement in a byte).
    template <weight_element D>
    static std::uint8_t quantize(float x, unit_params const& p) {
        float const y = clamp_nan(scaled<D>(x, p), q_min, q_max);
        return static_cast<std::uint8_t>(to_int8(round_half_even(y)));
    }

    /// Value of a code, rounded in S, the dtype of the stored scale.
    template <weight_element S>
    static float dequantize(std::uint8_t c, unit_params const& p) {
        float v = static_cast<float>(static_cast<std::int8_t>(c));
        if constexpr (!Symmetric) v = round_to<S>(v - p.zero_point);
        return round_to<S>(v * p.scale);
    }
};

} // namespace nuq::scheme
