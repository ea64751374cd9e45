#pragma once
// scheme::mx<Element>: OCP-style microscaling as compressed-tensors computes it: groups of 32
// with a power-of-two scale stored as a ue8m0 byte. Element is float_e2m1_t (MXFP4) or
// float_e4m3_t (MXFP8). docs/FORMAT.md §4.5.
#include <bit>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <string_view>

#include "nuq/numeric/float4_e2m1.hpp"
#include "nuq/numeric/float8_e4m3.hpp"
#include "nuq/numeric/float_ue8m0.hpp"
#include "nuq/numeric/rounding.hpp"
#include "nuq/numeric/unit_params.hpp"

namespace nuq::scheme {

/// round_to_power_2: a rounded up to the next power of two when its mantissa is ≥ 1.75,
/// else down, computed on the bits of D as the reference does.
template <weight_element D>
constexpr float round_to_power_of_2(float a) {
    if constexpr (std::same_as<D, float>) {
        return std::bit_cast<float>((std::bit_cast<std::uint32_t>(a) + 0x200000u) & 0xFF800000u);
    } else if constexpr (std::same_as<D, bfloat16_t>) {
        auto const b = static_cast<std::uint16_t>((bfloat16_t(a).bits + 0x20u) & 0xFF80u);
        return float(bfloat16_t::from_bits(b));
    } else {
        auto const b = static_cast<std::uint16_t>((float16_t(a).bits + 0x100u) & 0xFC00u);
        return float(float16_t::from_bits(b));
    }
}

template <class Element>
struct mx {
    static_assert(std::same_as<Element, float_e2m1_t> || std::same_as<Element, float_e4m3_t>,
                  "MX schemes take e2m1 (MXFP4) or e4m3 (MXFP8) elements");
    static constexpr bool is_fp4 = std::same_as<Element, float_e2m1_t>;
    static constexpr std::string_view name = is_fp4 ? "mxfp4" : "mxfp8";
    static constexpr int bits = is_fp4 ? 4 : 8;
    static constexpr bool symmetric = true;
    static constexpr bool is_float = true;
    static constexpr bool uses_global_scale = false;
    static constexpr scale_encoding scale_storage = scale_encoding::ue8m0;
    static constexpr float max = Element::max();
    static constexpr int offset = is_fp4 ? 2 : 8; // floor(log2(max))

    template <weight_element D>
    static unit_params params(float mn, float mx_, float) {
        float const a = nan_max(-nan_min(mn, 0.0f), nan_max(mx_, 0.0f));
        float const p = round_to_power_of_2<D>(a);
        float const e = round_to<D>(127.0f + std::floor(std::log2(p)) - offset);
        float const u = clamp_nan(e, 0.0f, 255.0f);
        int const ui = u == u ? static_cast<int>(round_half_even(u)) : 0;
        float s = round_to<D>(std::ldexp(1.0f, ui - 127));
        if (s == 0) s = 1.0f; // uint8's eps
        unit_params r;
        r.scale = s;
        r.divisor = s;
        return r;
    }
    /// The ue8m0 byte of a power-of-two scale: 127 + floor(log2(s)).
    static std::uint8_t encode_scale(float s) {
        float const e = 127.0f + std::floor(std::log2(s));
        return e == e && e >= 0 && e <= 255 ? static_cast<std::uint8_t>(e) : 0;
    }
    /// Decoding a stored byte gives a bf16 scale.
    static unit_params from_stored(std::uint8_t u) {
        unit_params r;
        r.scale = round_to<bfloat16_t>(float_ue8m0_t::decode(u));
        r.divisor = r.scale;
        return r;
    }

    template <weight_element D>
    static std::uint8_t quantize(float x, unit_params const& p) {
        float const y = clamp_nan(scaled<D>(x, p), -max, max);
        if constexpr (is_fp4) return float_e2m1_t::code_of(float_e2m1_t::round_to_grid(y));
        else return float_e4m3_t(y).bits;
    }

    /// Decompressed MX is always bf16.
    template <weight_element>
    static float dequantize(std::uint8_t c, unit_params const& p) {
        float const v = is_fp4 ? float_e2m1_t::decode(c) : e4m3_values[c];
        return round_to<bfloat16_t>(v * p.scale);
    }
};

using mxfp4 = mx<float_e2m1_t>;
using mxfp8 = mx<float_e4m3_t>;

} // namespace nuq::scheme
