#pragma once
// gptq_ops<Q>: GPTQ with one quantizer type Q, for each weight dtype. Declared here, defined in
// gptq_impl.hpp and explicitly instantiated once per alternative of quantizer_variant in the
// nuq library (src/calib), as quantizer_ops is.
#include <xtensor/xtensor.hpp>

#include "nuq/calib/gptq.hpp"

namespace nuq::calib {

template <class Q>
struct gptq_ops {
    static gptq_result run(Q const& q, weight_view<bfloat16_t> w, xt::xtensor<float, 2> h,
                           quant_args const& a, gptq_options const& o);
    static gptq_result run(Q const& q, weight_view<float16_t> w, xt::xtensor<float, 2> h,
                           quant_args const& a, gptq_options const& o);
    static gptq_result run(Q const& q, weight_view<float> w, xt::xtensor<float, 2> h,
                           quant_args const& a, gptq_options const& o);
};

} // namespace nuq::calib
