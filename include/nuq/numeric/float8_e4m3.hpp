#pragma once
// float8 e4m3fn: 1 sign, 4 exponent (bias 7), 3 mantissa bits; no infinities, S.1111.111 is
// NaN. Range ±448, smallest subnormal 2^-9.
// Conversion from f32 is PyTorch's: round to nearest even with no saturation, so |x| in
// (464, ∞], ±inf and NaN all give NaN (0x7F with the input's sign bit); 464 itself ties to 448.
#include <array>
#include <bit>
#include <cstdint>

#include "nuq/numeric/round_shift.hpp"

namespace nuq {

struct float_e4m3_t {
    std::uint8_t bits{};

    static constexpr float max() { return 448.0f; }
    static constexpr float_e4m3_t from_bits(std::uint8_t b) { return float_e4m3_t{b, 0}; }
    static constexpr std::uint8_t round_bits(float f) {
        std::uint32_t x = std::bit_cast<std::uint32_t>(f);
        auto const sign = static_cast<std::uint8_t>((x >> 24) & 0x80u);
        x &= 0x7FFFFFFFu;
        if (x >= (1087u << 20)) return sign | 0x7Fu;          // ≥ 480, inf, NaN
        if (x < (121u << 23)) {                               // < 2^-6: subnormal result
            std::uint32_t const e = x >> 23;
            if (e < 116) return sign;                         // < 2^-11: rounds to zero
            std::uint32_t const m = (x & 0x7FFFFFu) | 0x800000u;
            // value / 2^-9 = m / 2^(141 - e)
            return static_cast<std::uint8_t>(sign | shift_right_even(m, 141 - e));
        }
        std::uint32_t const odd = (x >> 20) & 1u;
        x += (static_cast<std::uint32_t>(7 - 127) << 23) + 0x7FFFFu + odd;
        return static_cast<std::uint8_t>(sign | (x >> 20));
    }
    static constexpr float decode(std::uint8_t b) {
        std::uint32_t const e = (b >> 3) & 15u, m = b & 7u;
        float v = 0;
        if (e == 15 && m == 7) v = std::bit_cast<float>(0x7FC00000u);
        else if (e == 0) v = static_cast<float>(m) * 0.001953125f; // m · 2^-9
        else v = std::bit_cast<float>(((e + 120u) << 23) | (m << 20));
        return (b & 0x80u) ? -v : v;
    }
    constexpr float_e4m3_t() = default;
    constexpr explicit float_e4m3_t(float f) : bits(round_bits(f)) {}
    constexpr explicit operator float() const { return decode(bits); }
    friend constexpr bool operator==(float_e4m3_t, float_e4m3_t) = default;

private:
    constexpr float_e4m3_t(std::uint8_t b, int) : bits(b) {}
};

/// Every code's value, for table-driven decoding.
inline constexpr std::array<float, 256> e4m3_values = [] {
    std::array<float, 256> t{};
    for (unsigned i = 0; i < 256; ++i) t[i] = float_e4m3_t::decode(static_cast<std::uint8_t>(i));
    return t;
}();

// docs/FORMAT.md §3.1 observed values.
static_assert(float_e4m3_t(17.0f).bits == 0x58 && float_e4m3_t(19.0f).bits == 0x5A);
static_assert(float_e4m3_t(18.5f).bits == 0x59 && float_e4m3_t(232.0f).bits == 0x76);
static_assert(float_e4m3_t(1.0625f).bits == 0x38 && float_e4m3_t(1.1875f).bits == 0x3A);
static_assert(float_e4m3_t(449.0f).bits == 0x7E && float_e4m3_t(464.0f).bits == 0x7E);
static_assert(float_e4m3_t(465.0f).bits == 0x7F && float_e4m3_t(-0.0f).bits == 0x80);
static_assert(float_e4m3_t(0.0009765625f).bits == 0x00);            // 2^-10 ties to 0
static_assert(float_e4m3_t(0.00146484375f).bits == 0x01);           // 3·2^-11 ties to 2^-9
static_assert(e4m3_values[0x7E] == 448.0f && e4m3_values[0x08] == 0.015625f);
static_assert(e4m3_values[0x38] == 1.0f && e4m3_values[0xFE] == -448.0f);

} // namespace nuq
