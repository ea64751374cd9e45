#pragma once
// float4 e2m1: 1 sign, 2 exponent (bias 1), 1 mantissa bit. Magnitudes 0, 0.5, 1, 1.5, 2, 3,
// 4, 6; bit 3 is the sign. No inf, no NaN.
//
// round_to_e2m1 is compressed-tensors' cast_to_fp4: round to nearest even on the E2M1 grid,
// where ±0 gives +0, a negative value that rounds to zero gives -0, and NaN stays NaN.
#include <array>
#include <bit>
#include <cstdint>

namespace nuq {

struct float_e2m1_t {
    std::uint8_t bits{}; // low nibble only

    static constexpr float max() { return 6.0f; }
    static constexpr std::array<float, 8> magnitudes{0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};

    /// cast_to_fp4: the value on the grid (a float), not yet a code.
    static constexpr float round_to_grid(float y) {
        // sign(y): +1, -1, or 0 for ±0 and NaN (so NaN · 0 stays NaN)
        float const sg = y > 0 ? 1.0f : (y < 0 ? -1.0f : (y == y ? 0.0f : 0.0f));
        float a = y < 0 ? -y : y;
        if (a != a) return y * 0.0f + a; // NaN propagates
        if (a <= 0.25f) a = 0.0f;
        else if (a < 0.75f) a = 0.5f;
        else if (a <= 1.25f) a = 1.0f;
        else if (a < 1.75f) a = 1.5f;
        else if (a <= 2.5f) a = 2.0f;
        else if (a < 3.5f) a = 3.0f;
        else if (a <= 5.0f) a = 4.0f;
        else a = 6.0f;
        return a * sg;
    }
    /// The code of a grid value: compressed-tensors' pack_fp4_to_uint8 mapping of
    /// trunc(|2y|) {1,2,3,4,6,8,≥12} → {1..7}, anything else (0, NaN) → 0; sign from the sign bit.
    static constexpr std::uint8_t code_of(float y) {
        bool const neg = std::bit_cast<std::uint32_t>(y) >> 31;
        float const t = (y < 0 ? -y : y) * 2.0f;
        std::uint8_t idx = 0;
        if (t >= 12.0f) idx = 7;
        else if (t >= 8.0f) idx = t < 9.0f ? 6 : 0;
        else if (t >= 1.0f) {
            int const k = static_cast<int>(t);
            constexpr std::array<std::uint8_t, 8> map{0, 1, 2, 3, 4, 0, 5, 0};
            idx = map[static_cast<unsigned>(k)];
        }
        return static_cast<std::uint8_t>(idx | (neg ? 8u : 0u));
    }
    static constexpr float decode(std::uint8_t code) {
        float const m = magnitudes[code & 7u];
        return (code & 8u) ? -m : m;
    }
    static constexpr float_e2m1_t from_bits(std::uint8_t b) { return float_e2m1_t{b, 0}; }
    constexpr float_e2m1_t() = default;
    constexpr explicit float_e2m1_t(float f) : bits(code_of(round_to_grid(f))) {}
    constexpr explicit operator float() const { return decode(bits); }
    friend constexpr bool operator==(float_e2m1_t, float_e2m1_t) = default;

private:
    constexpr float_e2m1_t(std::uint8_t b, int) : bits(b) {}
};

static_assert(float_e2m1_t(0.25f).bits == 0x0 && float_e2m1_t(0.75f).bits == 0x2);
static_assert(float_e2m1_t(1.25f).bits == 0x2 && float_e2m1_t(1.75f).bits == 0x4);
static_assert(float_e2m1_t(2.5f).bits == 0x4 && float_e2m1_t(3.5f).bits == 0x6);
static_assert(float_e2m1_t(5.0f).bits == 0x6 && float_e2m1_t(5.01f).bits == 0x7);
static_assert(float_e2m1_t(-0.1f).bits == 0x8 && float_e2m1_t(-0.0f).bits == 0x0);
static_assert(float_e2m1_t(-6.0f).bits == 0xF && float(float_e2m1_t::from_bits(0xD)) == -3.0f);

} // namespace nuq
