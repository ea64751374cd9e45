#pragma once
// The body of gptq_quantize (gptq.hpp): the visit of the quantizer variant that picks GPTQ for
// the args' quantizer type (gptq_ops).
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "nuq/calib/gptq.hpp"
#include "nuq/calib/gptq_ops.hpp"
#include "nuq/error.hpp"
#include "nuq/quant/make_quantizer.hpp"
#ifdef NUQ_HEADER_ONLY
#include "nuq/calib/gptq_ops_impl.hpp"
#endif

namespace nuq::calib {

template <weight_element D>
gptq_result gptq_quantize(weight_view<D> w, xt::xtensor<float, 2> H, quant_args const& args,
                          gptq_options const& o) {
    if (H.shape(0) != static_cast<std::size_t>(w.cols) || H.shape(1) != H.shape(0))
        throw error("calib.hessian_shape", o.where,
                    "a Hessian of " + std::to_string(H.shape(0)) + "x" +
                        std::to_string(H.shape(1)),
                    std::to_string(w.cols) + "x" + std::to_string(w.cols) +
                        " (the weight's input columns)",
                    "accumulate the Hessian from this layer's own inputs");
    if (o.block_size <= 0)
        throw error("calib.block_size", o.where, "block_size " + std::to_string(o.block_size),
                    "a positive number of columns", "use the default, 128");
    return std::visit(
        [&](auto const& qz) {
            return gptq_ops<std::remove_cvref_t<decltype(qz)>>::run(qz, w, std::move(H), args, o);
        },
        make_quantizer(args, o.where));
}

} // namespace nuq::calib
