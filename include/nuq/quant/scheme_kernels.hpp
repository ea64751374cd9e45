#pragma once
// The SIMD row kernel of each scheme and its clamp bounds (kernels::quantize_row_of), and
// quantize_runs<Scheme>, which runs it. The kernels know nothing of schemes; this is where the
// two meet.
#include <cstdint>

#include "nuq/kernels/invoke.hpp"
#include "nuq/kernels/quantize_row.hpp"
#include "nuq/numeric/unit_params.hpp"
#include "nuq/quant/scheme_float8.hpp"
#include "nuq/quant/scheme_int.hpp"
#include "nuq/quant/scheme_mx.hpp"
#include "nuq/quant/scheme_nvfp4.hpp"

namespace nuq::kernels {

template <int Bits, bool Sym, weight_element D> struct quantize_row_of<scheme::int_<Bits, Sym>, D> {
    using type = quantize_row<detail::int_op<D>, D>;
    static constexpr float lo = scheme::int_<Bits, Sym>::q_min, hi = scheme::int_<Bits, Sym>::q_max;
};
template <weight_element D> struct quantize_row_of<scheme::float8_e4m3, D> {
    using type = quantize_row<detail::e4m3_op<D>, D>;
    static constexpr float lo = -scheme::float8_e4m3::max, hi = scheme::float8_e4m3::max;
};
template <weight_element D> struct quantize_row_of<scheme::mxfp8, D> {
    using type = quantize_row<detail::e4m3_op<D>, D>;
    static constexpr float lo = -scheme::mxfp8::max, hi = scheme::mxfp8::max;
};
template <weight_element D> struct quantize_row_of<scheme::mxfp4, D> {
    using type = quantize_row<detail::mx_e2m1_op<D>, D>;
    static constexpr float lo = -scheme::mxfp4::max, hi = scheme::mxfp4::max;
};
template <weight_element D> struct quantize_row_of<scheme::nvfp4, D> {
    using type = quantize_row<detail::nvfp4_op, D>;
    static constexpr float lo = -scheme::nvfp4::max, hi = scheme::nvfp4::max;
};

/// Scheme::quantize on x[0, n) in runs of `run` elements with params p[k] for run k.
template <class Scheme, weight_element D>
void quantize_runs(D const* x, std::int64_t n, std::int64_t run, unit_params const* p,
                   std::uint8_t* out) {
    using of = quantize_row_of<Scheme, D>;
    invoke<typename of::type>(x, n, run, p, of::lo, of::hi, out);
}

} // namespace nuq::kernels
