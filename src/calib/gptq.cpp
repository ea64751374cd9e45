// gptq_quantize for the three weight dtypes, compiled once.
#include "nuq/calib/gptq_impl.hpp"

namespace nuq::calib {
template gptq_result gptq_quantize(weight_view<bfloat16_t>, xt::xtensor<float, 2>,
                                   quant_args const&, gptq_options const&);
template gptq_result gptq_quantize(weight_view<float16_t>, xt::xtensor<float, 2>,
                                   quant_args const&, gptq_options const&);
template gptq_result gptq_quantize(weight_view<float>, xt::xtensor<float, 2>, quant_args const&,
                                   gptq_options const&);
} // namespace nuq::calib
