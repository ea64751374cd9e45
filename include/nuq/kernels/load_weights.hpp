#pragma once
// Weight elements (bf16, f16, f32) to f32 lanes, and R_D on f32 lanes: the two conversions every
// row kernel does, for the element type D.
#include <concepts>
#include <cstdint>

#include "nuq/numeric/rounding.hpp"
#include "nuq/numeric/simd_convert.hpp"

namespace nuq::kernels {

using simd::f32x;
using simd::u32x;

/// f32x<A>::size elements of D from p, as f32 (exact).
template <class A, weight_element D> f32x<A> load_f32(D const* p) {
    if constexpr (std::same_as<D, float>) {
        return f32x<A>::load_unaligned(p);
    } else {
        // bfloat16_t and float16_t are a lone uint16_t, pointer-interconvertible with it
        auto const h = simd::load_u16<A>(reinterpret_cast<std::uint16_t const*>(p));
        if constexpr (std::same_as<D, bfloat16_t>) return simd::bf16_bits_to_f32(h);
        else return simd::f16_bits_to_f32(h);
    }
}

/// R_D on every lane, bit-exact with round_to<D> (NaN included).
template <class A, weight_element D> f32x<A> round_lanes(f32x<A> x) {
    if constexpr (std::same_as<D, float>) return x;
    else if constexpr (std::same_as<D, bfloat16_t>) return simd::round_bf16(x);
    else return simd::round_f16(x);
}

} // namespace nuq::kernels
