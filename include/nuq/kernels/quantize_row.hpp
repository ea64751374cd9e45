#pragma once
// quantize_row<Op, D>: the codes of a row whose runs share unit_params, one SIMD kernel per
// scheme family (Op), bit-exact with Scheme::quantize (kernels::quantize_ref) on every input.
// quant/scheme_kernels.hpp maps each scheme to its kernel (quantize_runs<Scheme>).
//
// The same PyTorch op order as the scalar schemes, lane-wise: a true f32 division, R_D via the
// bit-exact conversions of simd_convert.hpp, and the zero point's add that turns -0 into +0.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "nuq/kernels/invoke.hpp"
#include "nuq/kernels/load_weights.hpp"
#include "nuq/numeric/unit_params.hpp"

namespace nuq::kernels {

namespace detail {

/// A run's divisor d, with r = RN(1/d) where the FMA path below is exact for it.
template <class A> struct divisor {
    f32x<A> d, r;
    bool fast; // d is normal and far from overflow: 2^-100 ≤ |d| ≤ 2^100
    explicit divisor(float v)
        : d(v), r(1.0f / v), fast(std::fabs(v) >= 0x1p-100f && std::fabs(v) <= 0x1p100f) {}
};

// a·b + c with one rounding. xsimd 8.1's fma on avx512f is not fused, so that arch gets the
// intrinsic.
#if XSIMD_WITH_FMA3_AVX2
template <class A> f32x<A> fused(f32x<A> a, f32x<A> b, f32x<A> c, xsimd::fma3<xsimd::avx2> const&) {
    return xsimd::fma(a, b, c);
}
#endif
#if XSIMD_WITH_AVX512F
template <class A> f32x<A> fused(f32x<A> a, f32x<A> b, f32x<A> c, xsimd::avx512f const&) {
    return _mm512_fmadd_ps(a, b, c);
}
#endif

/// x / d, correctly rounded as vdivps gives it, at a fraction of its cost where the arch has
/// FMA: q0 = RN(x·r), the remainder e = x - q0·d is exact (fma), and RN(q0 + e·r) is the
/// correctly rounded quotient (Markstein: r = RN(1/d), q0 within 1 ulp, no under/overflow).
/// Lanes that could under- or overflow (|x| < 2^-96 but not 0, |q0| outside [2^-120, 2^120],
/// inf, NaN) send the whole vector to the division; ±0 may come out as the other zero, which
/// every caller's add of the zero point makes +0 anyway.
template <class A> f32x<A> divide(f32x<A> x, divisor<A> const& v) {
    constexpr bool has_fma = std::is_base_of_v<xsimd::fma3<xsimd::avx2>, A> ||
                             std::is_base_of_v<xsimd::avx512f, A>;
    if constexpr (has_fma) {
        if (v.fast) {
            auto const q0 = x * v.r;
            auto const ax = xsimd::abs(x), aq = xsimd::abs(q0);
            auto const safe = (ax >= f32x<A>(0x1p-96f) && aq >= f32x<A>(0x1p-120f) &&
                               aq <= f32x<A>(0x1p120f)) ||
                              x == f32x<A>(0.0f);
            if (xsimd::all(safe)) return fused<A>(fused<A>(-q0, v.d, x, A{}), v.r, q0, A{});
        }
    }
    return x / v.d;
}

/// clamp_nan(y, lo, hi) lane-wise: NaN passes.
template <class A> f32x<A> clamp_nan(f32x<A> y, f32x<A> lo, f32x<A> hi) {
    return xsimd::select(y < lo, lo, xsimd::select(y > hi, hi, y));
}

/// float_e2m1_t::code_of(round_to_grid(y)) for any y but -0 (which the zero point's add
/// has already made +0): RNE on the e2m1 grid, saturating at 6, the sign bit as bit 3, NaN → a
/// zero magnitude.
template <class A> u32x<A> e2m1_code(f32x<A> y) {
    using simd::detail::as_f32;
    using simd::detail::as_u32;
    auto const u = as_u32(y);
    auto const ax = u & 0x7FFFFFFFu;
    // |y| < 1: multiples of 0.5 = ulp(2^22), rounded by the FPU (ties to even) → 0, 1, 2.
    auto const sub = as_u32(as_f32(ax) + f32x<A>(4194304.0f)) - 0x4A800000u;
    // |y| ≥ 1: re-bias 127 → 1 and round off 22 bits; the code grows with |y|, so a min
    // saturates it at 7 (6.0).
    auto const r = ax - (126u << 23);
    auto const normal = simd::detail::min_below_2_31((r + 0x1FFFFFu + ((r >> 22) & 1u)) >> 22, 7u);
    auto const mag = simd::detail::if_greater(
        ax, 0x7F800000u, u32x<A>(0u), simd::detail::if_less(ax, 0x3F800000u, sub, normal));
    return mag | ((u >> 28) & 8u);
}

/// int_<Bits, Sym>::quantize: the signed code in the low byte.
template <weight_element D> struct int_op {
    template <class A>
    static u32x<A> codes(f32x<A> x, divisor<A> const& div, f32x<A> zp, f32x<A> lo, f32x<A> hi) {
        auto y = round_lanes<A, D>(divide(x, div));
        y = round_lanes<A, D>(y + zp);
        y = xsimd::select(xsimd::isnan(y), f32x<A>(0.0f), y); // NaN → 0, as the CPU int cast
        y = xsimd::min(xsimd::max(y, lo), hi);
        // y + 1.5·2^23 rounds y to an integer (ties to even) into the low mantissa bits, two's
        // complement: the low byte is the int8 code.
        return simd::detail::as_u32(y + f32x<A>(12582912.0f)) & 0xFFu;
    }
};

/// float8_e4m3::quantize and mxfp8's.
template <weight_element D> struct e4m3_op {
    template <class A>
    static u32x<A> codes(f32x<A> x, divisor<A> const& div, f32x<A>, f32x<A> lo, f32x<A> hi) {
        // R_D(y + 0) is y + 0: y is exact in D
        auto const y = round_lanes<A, D>(divide(x, div)) + f32x<A>(0.0f);
        return simd::f32_to_e4m3_bits(clamp_nan(y, lo, hi));
    }
};

/// mxfp4::quantize: e2m1 on a quotient rounded in D (the clamp cannot change a code).
template <weight_element D> struct mx_e2m1_op {
    template <class A>
    static u32x<A> codes(f32x<A> x, divisor<A> const& div, f32x<A>, f32x<A>, f32x<A>) {
        return e2m1_code(round_lanes<A, D>(divide(x, div)) + f32x<A>(0.0f));
    }
};

/// nvfp4::quantize: e2m1 on the f32 quotient.
struct nvfp4_op {
    template <class A>
    static u32x<A> codes(f32x<A> x, divisor<A> const& div, f32x<A>, f32x<A>, f32x<A>) {
        return e2m1_code(divide(x, div) + f32x<A>(0.0f));
    }
};

} // namespace detail

template <class Op, weight_element D> struct quantize_row {
    /// Codes of x[0, n), in runs of `run` elements (the last may be shorter) that use p[k];
    /// codes are clamped to [lo, hi] (Scheme::q_min, q_max or ±Scheme::max).
    using signature = void(D const* x, std::int64_t n, std::int64_t run, unit_params const* p,
                           float lo, float hi, std::uint8_t* out);

    template <class A>
    void operator()(A, D const* x, std::int64_t n, std::int64_t run, unit_params const* p,
                    float lo, float hi, std::uint8_t* out) const {
        constexpr std::int64_t lanes = f32x<A>::size;
        f32x<A> const vlo(lo), vhi(hi);
        for (std::int64_t c = 0, k = 0; c < n; c += run, ++k) {
            std::int64_t const len = std::min(run, n - c);
            detail::divisor<A> const div(p[k].divisor);
            f32x<A> const zp(p[k].zero_point);
            auto code = [&](D const* in, std::uint8_t* o) {
                simd::store_u8<A>(o, Op::template codes<A>(load_f32<A>(in), div, zp, vlo, vhi));
            };
            if (len < lanes) { // through a padded buffer: every element takes the SIMD path
                D tin[lanes] = {};
                std::uint8_t tout[lanes];
                std::copy(x + c, x + c + len, tin);
                code(tin, tout);
                std::copy(tout, tout + len, out + c);
                continue;
            }
            std::int64_t i = 0;
            for (; i + lanes <= len; i += lanes) {
                // 4 KiB ahead (see map_kernel): a tensor-wide unit streams x from memory
                __builtin_prefetch(reinterpret_cast<void const*>(
                    reinterpret_cast<std::uintptr_t>(x + c + i) + 4096));
                code(x + c + i, out + c + i);
            }
            if (i < len) code(x + c + len - lanes, out + c + len - lanes); // same codes again
        }
    }
};

/// The kernel of each scheme and its clamp bounds (specialized by each scheme in
/// nuq/quant/scheme_kernels.hpp).
template <class Scheme, weight_element D> struct quantize_row_of;

} // namespace nuq::kernels
