#pragma once
// The bodies of quantize.hpp: one visit of the quantizer variant each.
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "nuq/detail/library.hpp"
#include "nuq/quant/make_quantizer.hpp"
#include "nuq/quant/quantize.hpp"
#include "nuq/quant/quantizer_ops.hpp"
#ifdef NUQ_HEADER_ONLY
#include "nuq/quant/quantizer_ops_impl.hpp"
#endif

namespace nuq {

namespace detail {
template <class Q>
using ops_of = quantizer_ops<std::remove_cvref_t<Q>>;
} // namespace detail

NUQ_INLINE void require_quantizer(quant_args const& a, std::string const& where) {
    (void)make_quantizer(a, where);
}

NUQ_INLINE void check_weight_shape(quant_args const& a, std::int64_t rows, std::int64_t cols,
                                   std::string const& where) {
    std::visit([&](auto const& q) { q.strategy().check(rows, cols, where); },
               make_quantizer(a, where));
}

NUQ_INLINE quantized_weight quantize(quant_args const& a, tensor_ref const& w,
                                     quantize_options const& o) {
    return std::visit(
        [&](auto const& q) { return detail::ops_of<decltype(q)>::quantize(q, w, o); },
        make_quantizer(a, o.where));
}

NUQ_INLINE std::vector<float> dequantize(quant_args const& a, quantized_weight const& q,
                                         std::string const& where) {
    return std::visit(
        [&](auto const& z) { return detail::ops_of<decltype(z)>::dequantize(z, q); },
        make_quantizer(a, where));
}

NUQ_INLINE std::vector<float> fake_quantize(quant_args const& a, tensor_ref const& w,
                                            quantize_options const& o) {
    return std::visit(
        [&](auto const& q) { return detail::ops_of<decltype(q)>::fake_quantize(q, w, o); },
        make_quantizer(a, o.where));
}

NUQ_INLINE float weight_absmax(tensor_ref const& w, std::string const& where, int threads) {
    return visit_weight(w, where, [&](auto v) { return absmax(v, threads); });
}

} // namespace nuq
