#pragma once
// quantizer_ops<Q>: what the run-time functions of quantize.hpp do with one quantizer type Q.
// Declared here, defined in quantizer_ops_impl.hpp and explicitly instantiated once per
// alternative of quantizer_variant in the nuq library (src/quant), split over several
// translation units so that none needs much compiler memory.
#include <vector>

#include "nuq/quant/quantize_options.hpp"
#include "nuq/quant/quantized_weight.hpp"
#include "nuq/tensor.hpp"

namespace nuq::detail {

template <class Q>
struct quantizer_ops {
    static quantized_weight quantize(Q const& q, tensor_ref const& w, quantize_options const& o);
    static std::vector<float> dequantize(Q const& q, quantized_weight const& w);
    static std::vector<float> fake_quantize(Q const& q, tensor_ref const& w,
                                            quantize_options const& o);
};

} // namespace nuq::detail
