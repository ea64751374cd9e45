#pragma once
// The bodies of quantizer_ops<Q> (quantizer_ops.hpp).
#include <vector>

#include "nuq/quant/quantizer.hpp"
#include "nuq/quant/quantizer_ops.hpp"
#include "nuq/quant/weight_view.hpp"

namespace nuq::detail {

template <class Q>
quantized_weight quantizer_ops<Q>::quantize(Q const& q, tensor_ref const& w,
                                            quantize_options const& o) {
    return visit_weight(w, o.where, [&](auto v) { return q.quantize(v, o); });
}

template <class Q>
std::vector<float> quantizer_ops<Q>::dequantize(Q const& q, quantized_weight const& w) {
    return q.dequantize(w);
}

template <class Q>
std::vector<float> quantizer_ops<Q>::fake_quantize(Q const& q, tensor_ref const& w,
                                                   quantize_options const& o) {
    return visit_weight(w, o.where, [&](auto v) { return q.dequantize(q.quantize(v, o)); });
}

} // namespace nuq::detail
