#pragma once
// Packing of 8-bit codes into the bytes that 4- and 8-bit formats store, in one pass:
//  - pack_nibbles: out[i] = ((c[2i] ^ flip) & 15) | ((c[2i+1] ^ flip) & 15) << 4, the byte order
//    of fp4 (flip 0) and of 4-bit pack-quantized words (flip 8: q + 8 = q ^ 8 on 4 bits);
//  - flip_bytes: out[i] = c[i] ^ flip, 8-bit pack-quantized words (flip 0x80: q + 128).
// Little-endian int32 words hold their bytes in stream order, so both are the words' bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "nuq/numeric/simd_convert.hpp"

namespace nuq::kernels {

struct pack_nibbles {
    using signature = void(std::uint8_t const* codes, std::size_t bytes, std::uint8_t flip,
                           std::uint8_t* out);

    template <class A>
    void operator()(A, std::uint8_t const* codes, std::size_t bytes, std::uint8_t flip,
                    std::uint8_t* out) const {
        using u32 = simd::u32x<A>;
        constexpr std::size_t lanes = u32::size; // 4 codes in, 2 bytes out per lane
        u32 const f(0x01010101u * flip);
        std::size_t i = 0;
        for (; i + 2 * lanes <= bytes; i += 2 * lanes) {
            std::uint32_t w[lanes];
            std::memcpy(w, codes + 2 * i, sizeof w);
            auto const v = (u32::load_unaligned(w) ^ f) & 0x0F0F0F0Fu;
            auto const t = v | (v >> 4); // byte 0: c0 | c1 << 4, byte 2: c2 | c3 << 4
            simd::store_u16<A>(reinterpret_cast<std::uint16_t*>(out + i),
                               (t & 0xFFu) | ((t >> 8) & 0xFF00u));
        }
        for (; i < bytes; ++i)
            out[i] = static_cast<std::uint8_t>(((codes[2 * i] ^ flip) & 15u) |
                                               ((codes[2 * i + 1] ^ flip) & 15u) << 4);
    }
};

struct flip_bytes {
    using signature = void(std::uint8_t const* codes, std::size_t n, std::uint8_t flip,
                           std::uint8_t* out);

    template <class A>
    void operator()(A, std::uint8_t const* codes, std::size_t n, std::uint8_t flip,
                    std::uint8_t* out) const {
        using u8 = xsimd::batch<std::uint8_t, A>;
        u8 const f(flip);
        std::size_t i = 0;
        for (; i + u8::size <= n; i += u8::size)
            (u8::load_unaligned(codes + i) ^ f).store_unaligned(out + i);
        for (; i < n; ++i) out[i] = codes[i] ^ flip;
    }
};

} // namespace nuq::kernels
