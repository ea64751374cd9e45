#pragma once
// minmax_row<D>: the NaN-propagating min and max of each run of a row (the elements of a row
// that share a unit), folded into mn[k], mx[k] for run k. Equal to kernels::minmax_ref on each
// run, except that a zero result may have the other sign (every use of min/max maps ±0 alike).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "nuq/kernels/load_weights.hpp"
#include "nuq/kernels/quantize_ref.hpp"

namespace nuq::kernels {

namespace detail {
// Horizontal min and max of NaN-free lanes (which lane's ±0 wins is unspecified). xsimd 8.1
// has no reductions; each x86 arch gets a shuffle tree, anything else a loop.
template <class A> float hmin(f32x<A> v, xsimd::generic const&) {
    alignas(A::alignment()) float t[f32x<A>::size];
    v.store_aligned(t);
    float m = t[0];
    for (float x : t) m = std::min(m, x);
    return m;
}
template <class A> float hmax(f32x<A> v, xsimd::generic const&) {
    alignas(A::alignment()) float t[f32x<A>::size];
    v.store_aligned(t);
    float m = t[0];
    for (float x : t) m = std::max(m, x);
    return m;
}
#if XSIMD_WITH_SSE2
template <class A> float hmin4(__m128 m) {
    m = _mm_min_ps(m, _mm_movehl_ps(m, m));
    return _mm_cvtss_f32(_mm_min_ss(m, _mm_shuffle_ps(m, m, 1)));
}
template <class A> float hmax4(__m128 m) {
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    return _mm_cvtss_f32(_mm_max_ss(m, _mm_shuffle_ps(m, m, 1)));
}
template <class A> float hmin(f32x<A> v, xsimd::sse2 const&) { return hmin4<A>(v); }
template <class A> float hmax(f32x<A> v, xsimd::sse2 const&) { return hmax4<A>(v); }
#endif
#if XSIMD_WITH_AVX
template <class A> float hmin(f32x<A> v, xsimd::avx const&) {
    return hmin4<A>(_mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1)));
}
template <class A> float hmax(f32x<A> v, xsimd::avx const&) {
    return hmax4<A>(_mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1)));
}
#endif
#if XSIMD_WITH_AVX512F
template <class A> float hmin(f32x<A> v, xsimd::avx512f const&) {
    return _mm512_reduce_min_ps(v);
}
template <class A> float hmax(f32x<A> v, xsimd::avx512f const&) {
    return _mm512_reduce_max_ps(v);
}
#endif

// fold_lanes(v, op): v[0, L) (L = lanes) → one vector whose lane i is op over all lanes of
// v[perm[i]], for a fixed permutation perm of the arch (tags() finds it). Each step pairs
// blocks of half the previous size, so L runs cost L - 1 shuffle pairs instead of L trees.
template <class A, class Op> f32x<A> fold_lanes(f32x<A>* v, Op op, xsimd::generic const&) {
    constexpr std::size_t lanes = f32x<A>::size;
    alignas(A::alignment()) float t[lanes], r[lanes], u[lanes];
    for (std::size_t j = 0; j < lanes; ++j) {
        v[j].store_aligned(t);
        r[j] = t[0];
        for (float x : t) {
            op(f32x<A>(r[j]), f32x<A>(x)).store_aligned(u);
            r[j] = u[0];
        }
    }
    return f32x<A>::load_aligned(r);
}
#if XSIMD_WITH_SSE2
template <class A, class Op> f32x<A> fold_lanes(f32x<A>* v, Op op, xsimd::sse2 const&) {
    for (int j = 0; j < 2; ++j)
        v[j] = op(f32x<A>(_mm_movelh_ps(v[2 * j], v[2 * j + 1])),
                  f32x<A>(_mm_movehl_ps(v[2 * j + 1], v[2 * j])));
    return op(f32x<A>(_mm_shuffle_ps(v[0], v[1], 0x88)), f32x<A>(_mm_shuffle_ps(v[0], v[1], 0xDD)));
}
#endif
#if XSIMD_WITH_AVX
template <class A, class Op> f32x<A> fold_lanes(f32x<A>* v, Op op, xsimd::avx const&) {
    for (int j = 0; j < 4; ++j)
        v[j] = op(f32x<A>(_mm256_permute2f128_ps(v[2 * j], v[2 * j + 1], 0x20)),
                  f32x<A>(_mm256_permute2f128_ps(v[2 * j], v[2 * j + 1], 0x31)));
    for (int j = 0; j < 2; ++j) {
        __m256d const a = _mm256_castps_pd(v[2 * j]), b = _mm256_castps_pd(v[2 * j + 1]);
        v[j] = op(f32x<A>(_mm256_castpd_ps(_mm256_unpacklo_pd(a, b))),
                  f32x<A>(_mm256_castpd_ps(_mm256_unpackhi_pd(a, b))));
    }
    return op(f32x<A>(_mm256_shuffle_ps(v[0], v[1], 0x88)),
              f32x<A>(_mm256_shuffle_ps(v[0], v[1], 0xDD)));
}
#endif
#if XSIMD_WITH_AVX512F
template <class A, class Op> f32x<A> fold_lanes(f32x<A>* v, Op op, xsimd::avx512f const&) {
    for (int j = 0; j < 8; ++j)
        v[j] = op(f32x<A>(_mm512_shuffle_f32x4(v[2 * j], v[2 * j + 1], 0x44)),
                  f32x<A>(_mm512_shuffle_f32x4(v[2 * j], v[2 * j + 1], 0xEE)));
    for (int j = 0; j < 4; ++j)
        v[j] = op(f32x<A>(_mm512_shuffle_f32x4(v[2 * j], v[2 * j + 1], 0x88)),
                  f32x<A>(_mm512_shuffle_f32x4(v[2 * j], v[2 * j + 1], 0xDD)));
    for (int j = 0; j < 2; ++j) {
        __m512d const a = _mm512_castps_pd(v[2 * j]), b = _mm512_castps_pd(v[2 * j + 1]);
        v[j] = op(f32x<A>(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b))),
                  f32x<A>(_mm512_castpd_ps(_mm512_unpackhi_pd(a, b))));
    }
    return op(f32x<A>(_mm512_shuffle_ps(v[0], v[1], 0x88)),
              f32x<A>(_mm512_shuffle_ps(v[0], v[1], 0xDD)));
}
#endif

struct min_op {
    template <class B> B operator()(B a, B b) const { return xsimd::min(a, b); }
};
struct max_op {
    template <class B> B operator()(B a, B b) const { return xsimd::max(a, b); }
};

} // namespace detail

template <weight_element D> struct minmax_row {
    /// x[0, n) in runs of `run` elements (the last may be shorter); run k folds into mn[k], mx[k].
    using signature = void(D const* x, std::int64_t n, std::int64_t run, float* mn, float* mx);

    template <class A>
    void operator()(A, D const* x, std::int64_t n, std::int64_t run, float* mn, float* mx) const {
        constexpr std::int64_t lanes = f32x<A>::size;
        std::int64_t c = 0, k = 0;
        // runs of whole vectors, `lanes` runs at a time: one fold_lanes for their reductions
        if (run % lanes == 0 && n >= lanes * run) {
            alignas(A::alignment()) float perm[lanes], lo_t[lanes], hi_t[lanes];
            {
                f32x<A> tags[lanes];
                for (std::int64_t j = 0; j < lanes; ++j) tags[j] = f32x<A>(static_cast<float>(j));
                detail::fold_lanes<A>(tags, detail::min_op{}, A{}).store_aligned(perm);
            }
            for (; c + lanes * run <= n; c += lanes * run, k += lanes) {
                f32x<A> lo[lanes], hi[lanes];
                auto nan = xsimd::isnan(f32x<A>(0.0f));
                for (std::int64_t j = 0; j < lanes; ++j) {
                    D const* p = x + c + j * run;
                    lo[j] = hi[j] = load_f32<A>(p);
                    nan = nan || xsimd::isnan(lo[j]);
                    for (std::int64_t i = lanes; i < run; i += lanes) {
                        __builtin_prefetch(reinterpret_cast<void const*>(
                            reinterpret_cast<std::uintptr_t>(p + i) + 4096));
                        auto const v = load_f32<A>(p + i);
                        lo[j] = xsimd::min(lo[j], v);
                        hi[j] = xsimd::max(hi[j], v);
                        nan = nan || xsimd::isnan(v);
                    }
                }
                if (xsimd::any(nan)) { // x86 min/max drop NaNs: the reference gives them exactly
                    for (std::int64_t j = 0; j < lanes; ++j)
                        minmax_ref(x + c + j * run, run, mn[k + j], mx[k + j]);
                    continue;
                }
                detail::fold_lanes<A>(lo, detail::min_op{}, A{}).store_aligned(lo_t);
                detail::fold_lanes<A>(hi, detail::max_op{}, A{}).store_aligned(hi_t);
                for (std::int64_t i = 0; i < lanes; ++i) {
                    auto const j = k + static_cast<std::int64_t>(perm[i]);
                    mn[j] = nan_min(mn[j], lo_t[i]);
                    mx[j] = nan_max(mx[j], hi_t[i]);
                }
            }
        }
        for (; c < n; c += run, ++k) {
            std::int64_t const len = std::min(run, n - c);
            D const* p = x + c;
            if (len < lanes) {
                minmax_ref(p, len, mn[k], mx[k]);
                continue;
            }
            auto lo = load_f32<A>(p), hi = lo;
            auto nan = xsimd::isnan(lo); // not lo != lo: xsimd compares ordered on AVX
            auto fold = [&](f32x<A> v) {
                lo = xsimd::min(lo, v);
                hi = xsimd::max(hi, v);
                nan = nan || xsimd::isnan(v);
            };
            std::int64_t i = lanes;
            for (; i + lanes <= len; i += lanes) {
                // 4 KiB ahead, as map_kernel (simd_convert.hpp): this is the first read of x
                __builtin_prefetch(
                    reinterpret_cast<void const*>(reinterpret_cast<std::uintptr_t>(p + i) + 4096));
                fold(load_f32<A>(p + i));
            }
            if (i < len) fold(load_f32<A>(p + len - lanes)); // overlaps: min/max don't mind
            if (xsimd::any(nan)) { // x86 min/max drop NaNs: the reference gives them exactly
                minmax_ref(p, len, mn[k], mx[k]);
                continue;
            }
            mn[k] = nan_min(mn[k], detail::hmin<A>(lo, A{}));
            mx[k] = nan_max(mx[k], detail::hmax<A>(hi, A{}));
        }
    }
};

} // namespace nuq::kernels
