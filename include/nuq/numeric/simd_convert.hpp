#pragma once
// SIMD versions of the scalar conversions of bfloat16.hpp, float16.hpp and float8_e4m3.hpp:
// xsimd batch functions templated on the architecture A, bit-exact with the scalar
// `round_bits` and decoders (tests/numeric/test_simd_convert.cpp checks every 16-bit code and
// millions of floats on every arch), plus array kernels built on them for
// nuq/detail/simd_dispatch.hpp.
//
// Narrow codes (bf16, f16, e4m3) travel in the low bits of 32-bit lanes, so one
// batch<float, A> maps to one batch<uint32_t, A>; load_u16/store_u16 and load_u8/store_u8
// widen and narrow them at memory.
//
// Branch-free: every lane computes every case and `select` picks one. Results that are
// subnormal in the narrow type use the FPU: for |x| much smaller than C = 2^k, |x| + C is
// |x| rounded to a multiple of ulp(C) with round-to-nearest-even, so bits(|x| + C) - bits(C)
// is the rounded code. This assumes the default MXCSR rounding mode; FTZ/DAZ do not change
// any result (|x| + C is normal, and f32-subnormal inputs round to code 0 either way).
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <xsimd/xsimd.hpp>

namespace nuq::simd {

template <class A> using f32x = xsimd::batch<float, A>;
template <class A> using u32x = xsimd::batch<std::uint32_t, A>;
template <class A> using i32x = xsimd::batch<std::int32_t, A>;

namespace detail {

template <class A> u32x<A> as_u32(f32x<A> x) { return xsimd::bitwise_cast<u32x<A>>(x); }
template <class A> u32x<A> as_u32(i32x<A> x) { return xsimd::bitwise_cast<u32x<A>>(x); }
template <class A> f32x<A> as_f32(u32x<A> x) { return xsimd::bitwise_cast<f32x<A>>(x); }
template <class A> i32x<A> as_i32(u32x<A> x) { return xsimd::bitwise_cast<i32x<A>>(x); }

// Compares and min go through signed lanes: SSE2 has no unsigned 32-bit compare, and every
// operand compared here is below 2^31. Selects go through float lanes: xsimd 8.1's integer
// select for avx512bw does not compile with GCC 12 at -O0.
/// a < b ? t : f, lane-wise.
template <class A> u32x<A> if_less(u32x<A> a, std::uint32_t b, u32x<A> t, u32x<A> f) {
    auto const lt = xsimd::bool_cast(as_i32(a) < i32x<A>(static_cast<std::int32_t>(b)));
    return as_u32(xsimd::select(lt, as_f32(t), as_f32(f)));
}
/// a > b ? t : f, lane-wise.
template <class A> u32x<A> if_greater(u32x<A> a, std::uint32_t b, u32x<A> t, u32x<A> f) {
    auto const gt = xsimd::bool_cast(as_i32(a) > i32x<A>(static_cast<std::int32_t>(b)));
    return as_u32(xsimd::select(gt, as_f32(t), as_f32(f)));
}
/// min(a, b), lane-wise.
template <class A> u32x<A> min_below_2_31(u32x<A> a, std::uint32_t b) {
    return as_u32(xsimd::min(as_i32(a), i32x<A>(static_cast<std::int32_t>(b))));
}

} // namespace detail

/// bfloat16_t::round_bits: round to nearest even, NaN → 0x7FC0. The code is in the low 16 bits.
template <class A> u32x<A> f32_to_bf16_bits(f32x<A> x) {
    auto const u = detail::as_u32(x);
    auto const r = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
    return detail::if_greater(u & 0x7FFFFFFFu, 0x7F800000u, u32x<A>(0x7FC0u), r);
}

/// float(bfloat16_t::from_bits(h)) for the low 16 bits h of each lane (upper bits ignored).
template <class A> f32x<A> bf16_bits_to_f32(u32x<A> h) { return detail::as_f32(h << 16); }

/// float16_t::round_bits: RNE with subnormals, ≥ 65520 → ±inf, NaN → 0x7E00 | sign.
template <class A> u32x<A> f32_to_f16_bits(f32x<A> x) {
    auto const u = detail::as_u32(x);
    auto const sign = (u >> 16) & 0x8000u;
    auto const ax = u & 0x7FFFFFFFu;
    // Normal: re-bias 127 → 15 and round off 13 bits; the code grows with ax, and everything
    // from 65520 up (inf and NaN included) reaches 0x7C00, so a min gives inf.
    auto const r = ax - (112u << 23);
    auto const normal = detail::min_below_2_31((r + 0xFFFu + ((r >> 13) & 1u)) >> 13, 0x7C00u);
    // |x| < 2^-14: multiples of 2^-24 = ulp(0.5).
    auto const sub = detail::as_u32(detail::as_f32(ax) + f32x<A>(0.5f)) - 0x3F000000u;
    auto const q = detail::if_less(ax, 0x38800000u, sub, normal);
    return detail::if_greater(ax, 0x7F800000u, u32x<A>(0x7E00u), q) | sign;
}

/// float16_t::to_float_bits for the low 16 bits of each lane.
template <class A> f32x<A> f16_bits_to_f32(u32x<A> h) {
    auto const sign = (h & 0x8000u) << 16;
    auto const em = h & 0x7FFFu;
    auto const normal = (em << 13) + (112u << 23);
    auto const inf_nan = normal + (112u << 23); // exponent 31 → 255, payload kept
    // Subnormal m · 2^-24 = (0.5 + m · 2^-24) - 0.5, exact.
    auto const sub = detail::as_u32(detail::as_f32(em | 0x3F000000u) - f32x<A>(0.5f));
    auto const mag =
        detail::if_less(em, 0x400u, sub, detail::if_less(em, 0x7C00u, normal, inf_nan));
    return detail::as_f32(mag | sign);
}

/// float_e4m3_t::round_bits: RNE with subnormals, 464 → 448, (464, ∞], inf, NaN → 0x7F | sign.
/// The code is in the low 8 bits.
template <class A> u32x<A> f32_to_e4m3_bits(f32x<A> x) {
    auto const u = detail::as_u32(x);
    auto const sign = (u >> 24) & 0x80u;
    auto const ax = u & 0x7FFFFFFFu;
    // Normal: re-bias 127 → 7 and round off 20 bits; from 480 up (inf and NaN included) the
    // code is ≥ 0x7F, the NaN code, so a min saturates to NaN as the scalar version does.
    auto const r = ax - (120u << 23);
    auto const normal = detail::min_below_2_31((r + 0x7FFFFu + ((r >> 20) & 1u)) >> 20, 0x7Fu);
    // |x| < 2^-6: multiples of 2^-9 = ulp(2^14).
    auto const sub = detail::as_u32(detail::as_f32(ax) + f32x<A>(16384.0f)) - 0x46800000u;
    return detail::if_less(ax, 121u << 23, sub, normal) | sign;
}

/// R_bf16(x) = float(bfloat16_t(x)): x rounded to bf16 precision, as a PyTorch bf16 op does.
template <class A> f32x<A> round_bf16(f32x<A> x) {
    auto const u = detail::as_u32(x);
    auto const r = (u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u;
    return detail::as_f32(
        detail::if_greater(u & 0x7FFFFFFFu, 0x7F800000u, u32x<A>(0x7FC00000u), r));
}

/// R_f16(x) = float(float16_t(x)): x rounded to fp16 precision and range.
template <class A> f32x<A> round_f16(f32x<A> x) { return f16_bits_to_f32(f32_to_f16_bits(x)); }

// ---- memory: 16- and 8-bit codes ↔ 32-bit lanes -------------------------------------------
// xsimd 8.1 converts between element sizes only through a scalar loop, so each x86 arch gets
// its widening load / narrowing store; overload resolution on the arch tag picks the most
// derived (fma3<avx2> → avx2, avx512bw → avx512f), anything else takes the generic loop.
namespace detail {

template <class A> u32x<A> load_u16(std::uint16_t const* p, xsimd::generic const&) {
    alignas(A::alignment()) std::uint32_t t[u32x<A>::size];
    for (std::size_t i = 0; i < u32x<A>::size; ++i) t[i] = p[i];
    return u32x<A>::load_aligned(t);
}
template <class A> void store_u16(std::uint16_t* p, u32x<A> v, xsimd::generic const&) {
    alignas(A::alignment()) std::uint32_t t[u32x<A>::size];
    v.store_aligned(t);
    for (std::size_t i = 0; i < u32x<A>::size; ++i) p[i] = static_cast<std::uint16_t>(t[i]);
}
template <class A> u32x<A> load_u8(std::uint8_t const* p, xsimd::generic const&) {
    alignas(A::alignment()) std::uint32_t t[u32x<A>::size];
    for (std::size_t i = 0; i < u32x<A>::size; ++i) t[i] = p[i];
    return u32x<A>::load_aligned(t);
}
template <class A> void store_u8(std::uint8_t* p, u32x<A> v, xsimd::generic const&) {
    alignas(A::alignment()) std::uint32_t t[u32x<A>::size];
    v.store_aligned(t);
    for (std::size_t i = 0; i < u32x<A>::size; ++i) p[i] = static_cast<std::uint8_t>(t[i]);
}

#if XSIMD_WITH_SSE2
template <class A> u32x<A> load_u16(std::uint16_t const* p, xsimd::sse2 const&) {
    __m128i const h = _mm_loadl_epi64(reinterpret_cast<__m128i const*>(p));
    return _mm_unpacklo_epi16(h, _mm_setzero_si128());
}
template <class A> void store_u16(std::uint16_t* p, u32x<A> v, xsimd::sse2 const&) {
    // Sign-extend the low halves so that the signed-saturating pack keeps their bits.
    __m128i const s = _mm_srai_epi32(_mm_slli_epi32(v, 16), 16);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm_packs_epi32(s, s));
}
template <class A> u32x<A> load_u8(std::uint8_t const* p, xsimd::sse2 const&) {
    std::int32_t w;
    std::memcpy(&w, p, sizeof w);
    __m128i const z = _mm_setzero_si128();
    return _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(w), z), z);
}
template <class A> void store_u8(std::uint8_t* p, u32x<A> v, xsimd::sse2 const&) {
    __m128i const b = _mm_and_si128(v, _mm_set1_epi32(0xFF));
    __m128i const w = _mm_packs_epi32(b, b); // ≤ 255: no saturation in either pack
    std::int32_t const r = _mm_cvtsi128_si32(_mm_packus_epi16(w, w));
    std::memcpy(p, &r, sizeof r);
}
#endif

#if XSIMD_WITH_AVX2
template <class A> u32x<A> load_u16(std::uint16_t const* p, xsimd::avx2 const&) {
    return _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<__m128i const*>(p)));
}
template <class A> void store_u16(std::uint16_t* p, u32x<A> v, xsimd::avx2 const&) {
    // The pack works within 128-bit halves; the permute joins their low 64 bits.
    __m256i const b = _mm256_and_si256(v, _mm256_set1_epi32(0xFFFF));
    __m256i const w = _mm256_permute4x64_epi64(_mm256_packus_epi32(b, b), 0x08);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_castsi256_si128(w));
}
template <class A> u32x<A> load_u8(std::uint8_t const* p, xsimd::avx2 const&) {
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<__m128i const*>(p)));
}
template <class A> void store_u8(std::uint8_t* p, u32x<A> v, xsimd::avx2 const&) {
    __m256i const b = _mm256_and_si256(v, _mm256_set1_epi32(0xFF));
    __m256i const w = _mm256_packus_epi32(b, b);
    __m256i const c = _mm256_packus_epi16(w, w); // bytes 0-3 of each 128-bit half
    __m128i const j = _mm_unpacklo_epi32(_mm256_castsi256_si128(c), _mm256_extracti128_si256(c, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(p), j);
}
#endif

#if XSIMD_WITH_AVX512F
template <class A> u32x<A> load_u16(std::uint16_t const* p, xsimd::avx512f const&) {
    return _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<__m256i const*>(p)));
}
template <class A> void store_u16(std::uint16_t* p, u32x<A> v, xsimd::avx512f const&) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtepi32_epi16(v));
}
template <class A> u32x<A> load_u8(std::uint8_t const* p, xsimd::avx512f const&) {
    return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<__m128i const*>(p)));
}
template <class A> void store_u8(std::uint8_t* p, u32x<A> v, xsimd::avx512f const&) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm512_cvtepi32_epi8(v));
}
#endif

} // namespace detail

/// u32x<A>::size 16-bit values from p, zero-extended.
template <class A> u32x<A> load_u16(std::uint16_t const* p) { return detail::load_u16<A>(p, A{}); }
/// Stores the low 16 bits of each lane to p[0 .. u32x<A>::size).
template <class A> void store_u16(std::uint16_t* p, u32x<A> v) { detail::store_u16<A>(p, v, A{}); }
/// u32x<A>::size bytes from p, zero-extended.
template <class A> u32x<A> load_u8(std::uint8_t const* p) { return detail::load_u8<A>(p, A{}); }
/// Stores the low 8 bits of each lane to p[0 .. u32x<A>::size).
template <class A> void store_u8(std::uint8_t* p, u32x<A> v) { detail::store_u8<A>(p, v, A{}); }

// ---- array kernels ------------------------------------------------------------------------
namespace detail {

template <class A> f32x<A> load_lanes(float const* p) { return f32x<A>::load_unaligned(p); }
template <class A> u32x<A> load_lanes(std::uint16_t const* p) { return load_u16<A>(p, A{}); }
template <class A> void store_lanes(float* p, f32x<A> v) { v.store_unaligned(p); }
template <class A> void store_lanes(std::uint16_t* p, u32x<A> v) { store_u16<A>(p, v, A{}); }
template <class A> void store_lanes(std::uint8_t* p, u32x<A> v) { store_u8<A>(p, v, A{}); }

struct op_f32_to_bf16 {
    template <class A> static u32x<A> apply(f32x<A> x) { return f32_to_bf16_bits(x); }
};
struct op_bf16_to_f32 {
    template <class A> static f32x<A> apply(u32x<A> h) { return bf16_bits_to_f32(h); }
};
struct op_f32_to_f16 {
    template <class A> static u32x<A> apply(f32x<A> x) { return f32_to_f16_bits(x); }
};
struct op_f16_to_f32 {
    template <class A> static f32x<A> apply(u32x<A> h) { return f16_bits_to_f32(h); }
};
struct op_f32_to_e4m3 {
    template <class A> static u32x<A> apply(f32x<A> x) { return f32_to_e4m3_bits(x); }
};
struct op_bf16_to_e4m3 {
    template <class A> static u32x<A> apply(u32x<A> h) {
        return f32_to_e4m3_bits(bf16_bits_to_f32(h));
    }
};
struct op_round_bf16 {
    template <class A> static f32x<A> apply(f32x<A> x) { return round_bf16(x); }
};
struct op_round_f16 {
    template <class A> static f32x<A> apply(f32x<A> x) { return round_f16(x); }
};

} // namespace detail

/// Array kernel out[i] = Op(in[i]) for i < n (in == out allowed when In == Out), in the shape
/// that nuq/detail/simd_dispatch.hpp expects. Tails go through a zero-padded buffer so that
/// every element takes the same SIMD path.
template <class In, class Out, class Op> struct map_kernel {
    using signature = void(In const*, Out*, std::size_t);

    template <class A> void operator()(A, In const* in, Out* out, std::size_t n) const {
        constexpr std::size_t lanes = f32x<A>::size;
        std::size_t i = 0;
        for (; i + lanes <= n; i += lanes) {
            // Reading 4 KiB ahead: with the hardware prefetcher alone, one core streamed
            // f32 → bf16 at 80% and bf16 → e4m3 at 50% of the rate measured with it (an integer
            // address: prefetch never faults, but a pointer past the array would be UB).
            __builtin_prefetch(
                reinterpret_cast<void const*>(reinterpret_cast<std::uintptr_t>(in + i) + 4096));
            detail::store_lanes<A>(out + i, Op::template apply<A>(detail::load_lanes<A>(in + i)));
        }
        if (i == n) return;
        In tin[lanes] = {};
        Out tout[lanes];
        for (std::size_t j = 0; i + j < n; ++j) tin[j] = in[i + j];
        detail::store_lanes<A>(tout, Op::template apply<A>(detail::load_lanes<A>(tin)));
        for (std::size_t j = 0; i + j < n; ++j) out[i + j] = tout[j];
    }
};

/// bf16 codes of in[0..n).
using f32_to_bf16_kernel = map_kernel<float, std::uint16_t, detail::op_f32_to_bf16>;
using bf16_to_f32_kernel = map_kernel<std::uint16_t, float, detail::op_bf16_to_f32>;
/// fp16 codes of in[0..n).
using f32_to_f16_kernel = map_kernel<float, std::uint16_t, detail::op_f32_to_f16>;
using f16_to_f32_kernel = map_kernel<std::uint16_t, float, detail::op_f16_to_f32>;
/// float8_e4m3fn codes of in[0..n).
using f32_to_e4m3_kernel = map_kernel<float, std::uint8_t, detail::op_f32_to_e4m3>;
/// float8_e4m3fn codes of bf16 codes (exact: every bf16 is an f32).
using bf16_to_e4m3_kernel = map_kernel<std::uint16_t, std::uint8_t, detail::op_bf16_to_e4m3>;
/// out[i] = R_bf16(in[i]) and R_f16(in[i]).
using round_bf16_kernel = map_kernel<float, float, detail::op_round_bf16>;
using round_f16_kernel = map_kernel<float, float, detail::op_round_f16>;

} // namespace nuq::simd
