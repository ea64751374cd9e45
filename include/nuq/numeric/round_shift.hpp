#pragma once
// Integer rounding to nearest even: the step every narrowing float conversion shares.
#include <cstdint>

namespace nuq {

/// m / 2^shift rounded to the nearest integer, ties to even (1 ≤ shift ≤ 31).
constexpr std::uint32_t shift_right_even(std::uint32_t m, std::uint32_t shift) {
    std::uint32_t q = m >> shift;
    std::uint32_t const rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1u))) ++q;
    return q;
}

static_assert(shift_right_even(0b1010, 2) == 2 && shift_right_even(0b1110, 2) == 4);
static_assert(shift_right_even(0b1011, 2) == 3 && shift_right_even(0b0110, 2) == 2);

} // namespace nuq
