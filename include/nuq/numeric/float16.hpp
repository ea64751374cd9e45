#pragma once
// IEEE binary16 (5 exponent bits, 10 mantissa bits, subnormals down to 2^-24).
// Conversion from f32 rounds to nearest even (with subnormals and overflow to inf), as
// PyTorch does; NaN becomes the quiet NaN 0x7E00 with the input's sign.
#include <bit>
#include <cstdint>

#include "nuq/numeric/round_shift.hpp"

namespace nuq {

struct float16_t {
    std::uint16_t bits{};

    static constexpr float16_t from_bits(std::uint16_t b) { return float16_t{b, 0}; }
    static constexpr std::uint16_t round_bits(float f) {
        auto const x = std::bit_cast<std::uint32_t>(f);
        auto const sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
        std::uint32_t const ax = x & 0x7FFFFFFFu;
        if (ax > 0x7F800000u) return sign | 0x7E00u;          // NaN
        if (ax >= 0x477FF000u) return sign | 0x7C00u;         // ≥ 65520 rounds to inf
        if (ax < 0x38800000u) {                               // result is subnormal or zero
            std::uint32_t const e = ax >> 23;
            if (e < 101) return sign;                         // < 2^-26: rounds to zero
            std::uint32_t const m = (ax & 0x7FFFFFu) | 0x800000u;
            // value / 2^-24 = m / 2^(126 - e)
            return static_cast<std::uint16_t>(sign | shift_right_even(m, 126 - e));
        }
        // re-bias 127 → 15, keep 10 mantissa bits (a carry rounds up into the exponent)
        return static_cast<std::uint16_t>(sign | shift_right_even(ax - (112u << 23), 13));
    }
    static constexpr float to_float_bits(std::uint16_t h) {
        std::uint32_t const sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
        std::uint32_t const e = (h >> 10) & 0x1Fu, m = h & 0x3FFu;
        if (e == 0x1F) return std::bit_cast<float>(sign | 0x7F800000u | (m << 13));
        if (e != 0) return std::bit_cast<float>(sign | ((e + 112u) << 23) | (m << 13));
        if (m == 0) return std::bit_cast<float>(sign);
        // subnormal: m · 2^-24, exact in f32
        float const v = static_cast<float>(m) * 5.9604644775390625e-08f;
        return sign ? -v : v;
    }
    constexpr float16_t() = default;
    constexpr explicit float16_t(float f) : bits(round_bits(f)) {}
    constexpr explicit operator float() const { return to_float_bits(bits); }
    friend constexpr bool operator==(float16_t, float16_t) = default;

private:
    constexpr float16_t(std::uint16_t b, int) : bits(b) {}
};

static_assert(float16_t(1.0f).bits == 0x3C00);
static_assert(float16_t(65504.0f).bits == 0x7BFF && float16_t(65520.0f).bits == 0x7C00);
static_assert(float16_t(5.9604644775390625e-08f).bits == 0x0001);        // 2^-24
static_assert(float16_t(2.98023223876953125e-08f).bits == 0x0000);       // 2^-25: tie → 0
static_assert(float(float16_t::from_bits(0x0001)) == 5.9604644775390625e-08f);
static_assert(float(float16_t::from_bits(0xC000)) == -2.0f);

} // namespace nuq
