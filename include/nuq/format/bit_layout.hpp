#pragma once
// The two bit layouts of pack-quantized (see bit_packing.hpp) and the words a row takes.
#include <cstdint>

namespace nuq::format {

enum class bit_layout { dense, element_aligned };

constexpr std::int64_t packed_words(std::int64_t n, int bits, bit_layout layout) {
    if (layout == bit_layout::dense) return (n * bits + 31) / 32;
    std::int64_t const per_word = 32 / bits;
    return (n + per_word - 1) / per_word;
}

} // namespace nuq::format
