#pragma once
// ue8m0: an unsigned biased exponent byte (MX scales). u means 2^(u-127); compressed-tensors
// decodes 255 as +inf (not the OCP NaN), and 0 as 2^-127 (a bf16 subnormal).
#include <bit>
#include <cstdint>

#include "nuq/numeric/bfloat16.hpp"

namespace nuq {

struct float_ue8m0_t {
    std::uint8_t bits{};

    static constexpr float_ue8m0_t from_bits(std::uint8_t b) { return float_ue8m0_t{b, 0}; }
    /// 2^(u-127) as f32 (exact; 2^-127 is an f32 subnormal, 2^128 is +inf).
    static constexpr float decode(std::uint8_t u) {
        if (u == 255) return std::bit_cast<float>(0x7F800000u);
        if (u == 0) return std::bit_cast<float>(0x00400000u);
        return std::bit_cast<float>(static_cast<std::uint32_t>(u) << 23);
    }
    constexpr explicit operator float() const { return decode(bits); }
    friend constexpr bool operator==(float_ue8m0_t, float_ue8m0_t) = default;

private:
    constexpr float_ue8m0_t(std::uint8_t b, int) : bits(b) {}
};

static_assert(float_ue8m0_t::decode(127) == 1.0f && float_ue8m0_t::decode(124) == 0.125f);
static_assert(bfloat16_t(float_ue8m0_t::decode(0)).bits == 0x0040);

} // namespace nuq
