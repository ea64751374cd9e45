#pragma once
// bfloat16: the top 16 bits of an IEEE f32 (8 exponent bits, 7 mantissa bits).
// Conversion from f32 rounds to nearest even, as PyTorch does; NaN becomes 0x7FC0.
#include <bit>
#include <cstdint>

namespace nuq {

struct bfloat16_t {
    std::uint16_t bits{};

    static constexpr bfloat16_t from_bits(std::uint16_t b) { return bfloat16_t{b, 0}; }
    static constexpr std::uint16_t round_bits(float f) {
        auto const u = std::bit_cast<std::uint32_t>(f);
        if ((u & 0x7FFFFFFFu) > 0x7F800000u) return 0x7FC0; // NaN
        return static_cast<std::uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
    }
    constexpr bfloat16_t() = default;
    constexpr explicit bfloat16_t(float f) : bits(round_bits(f)) {}
    constexpr explicit operator float() const {
        return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
    }
    friend constexpr bool operator==(bfloat16_t, bfloat16_t) = default;

private:
    constexpr bfloat16_t(std::uint16_t b, int) : bits(b) {}
};

static_assert(sizeof(bfloat16_t) == 2);
static_assert(bfloat16_t(1.0f).bits == 0x3F80);
static_assert(bfloat16_t(std::bit_cast<float>(0x3F808000u)).bits == 0x3F80); // tie → even
static_assert(bfloat16_t(std::bit_cast<float>(0x3F818000u)).bits == 0x3F82); // tie → even
static_assert(float(bfloat16_t::from_bits(0xC000)) == -2.0f);

} // namespace nuq
