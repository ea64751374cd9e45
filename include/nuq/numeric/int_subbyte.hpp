#pragma once
// Signed and unsigned integers of 1..8 bits: their range, and the signed↔unsigned code
// mapping packed formats use (u = q + 2^(b-1)).
#include <cstdint>

namespace nuq {

template <int Bits, bool Signed>
struct int_subbyte {
    static_assert(Bits >= 1 && Bits <= 8, "int_subbyte holds 1 to 8 bits");
    static constexpr int bits = Bits;
    static constexpr bool is_signed = Signed;
    static constexpr int min = Signed ? -(1 << (Bits - 1)) : 0;
    static constexpr int max = Signed ? (1 << (Bits - 1)) - 1 : (1 << Bits) - 1;
    static constexpr int offset = 1 << (Bits - 1); // signed code q packs as q + offset
};

/// Range of a signed b-bit integer, at run time.
constexpr int int_min(int bits) { return -(1 << (bits - 1)); }
constexpr int int_max(int bits) { return (1 << (bits - 1)) - 1; }

static_assert(int_subbyte<4, true>::min == -8 && int_subbyte<4, true>::max == 7);
static_assert(int_subbyte<3, false>::max == 7 && int_subbyte<8, true>::offset == 128);

} // namespace nuq
