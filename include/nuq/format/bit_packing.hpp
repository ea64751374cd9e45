#pragma once
// Packing of unsigned b-bit codes (1 ≤ b ≤ 8) into int32 words, both layouts of pack-quantized
// (docs/FORMAT.md §5.3):
//  - dense (compressed-tensors ≥ 0.18): each row is a little-endian bit stream, element i at
//    stream bits [i·b, i·b+b), possibly straddling two words; ceil(n·b/32) words per row;
//  - element-aligned (≤ 0.17): 32/b whole elements per word, ceil(n/(32/b)) words per row.
// For b ∈ {1, 2, 4, 8} the two are identical.
#include <cstdint>
#include <functional>

#include "nuq/format/bit_layout.hpp"

namespace nuq::format {

/// Packs n codes of one row into `out` (packed_words(n) words, each written once): code i is
/// to_code(u[i]), which must be < 2^bits.
template <class ToCode = std::identity>
void pack_row(std::uint8_t const* u, std::int64_t n, int bits, bit_layout layout,
              std::uint32_t* out, ToCode to_code = {}) {
    // whole elements per word: 32 / bits when element-aligned, else a stream of 32-bit words
    int const room = layout == bit_layout::dense ? 32 : 32 / bits * bits;
    std::uint64_t acc = 0; // pending bits, LSB first
    int have = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        acc |= static_cast<std::uint64_t>(to_code(u[i])) << have;
        have += bits;
        if (have >= room) {
            *out++ = static_cast<std::uint32_t>(acc);
            acc = layout == bit_layout::dense ? acc >> 32 : 0;
            have -= room;
        }
    }
    if (have > 0) *out = static_cast<std::uint32_t>(acc);
}

/// Inverse of pack_row: n codes of one row.
inline void unpack_row(std::uint32_t const* in, std::int64_t n, int bits, bit_layout layout,
                       std::uint8_t* u) {
    std::uint32_t const mask = (1u << bits) - 1u;
    if (layout == bit_layout::dense) {
        std::int64_t const words = packed_words(n, bits, layout);
        for (std::int64_t i = 0; i < n; ++i) {
            std::int64_t const bit = i * bits, w = bit / 32;
            std::uint64_t v = in[w];
            if (w + 1 < words) v |= static_cast<std::uint64_t>(in[w + 1]) << 32;
            u[i] = static_cast<std::uint8_t>((v >> (bit % 32)) & mask);
        }
    } else {
        std::int64_t const per_word = 32 / bits;
        for (std::int64_t i = 0; i < n; ++i)
            u[i] = static_cast<std::uint8_t>((in[i / per_word] >> ((i % per_word) * bits)) & mask);
    }
}

} // namespace nuq::format
