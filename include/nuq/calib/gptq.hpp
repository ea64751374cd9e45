#pragma once
// gptq_quantize: GPTQ on one Linear weight, as llm-compressor's quantize_weight computes it
// (docs/ALGORITHMS.md §4.5-§4.7). Qparams are fixed up front from the weight before any update
// (by the same quantizer RTN uses); columns, in activation order if asked, are quantized one
// at a time and each one's error, weighted by the inverse Hessian's upper Cholesky factor U,
// is pushed onto the columns not yet quantized: within a block of columns row by row, onto the
// rest of the weight once per block as one GEMM.
//
// Numerics (§4.5 "Numerics"): the working weight is fp32; each column value q is the code of
// x / s (computed in f32, as torch divides an f32 tensor by a bf16 scale) times the scale in
// the scale's dtype: the weight dtype D for int and fp8 schemes, so q is exact in D; f32 for
// NVFP4 (the effective scale scale/global), so q is rounded to D only when written back.
//
// The body is compiled once in the nuq library for the three weight dtypes (gptq_impl.hpp; see
// nuq/detail/library.hpp).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "nuq/detail/library.hpp"
#include "nuq/numeric/bfloat16.hpp"
#include "nuq/numeric/float16.hpp"
#include "nuq/quant/quant_args.hpp"
#include "nuq/quant/quantized_weight.hpp"
#include "nuq/quant/weight_view.hpp"

namespace nuq::calib {

struct gptq_options {
    std::int64_t block_size = 128;    ///< columns per lazy batch update
    double dampening_frac = 0.01;     ///< λ: diag(H) += λ·mean(diag(H))
    std::string where;                ///< the layer, for errors and the fallback warning
    int threads = 0;                  ///< threads of the column loop (0: all); BLAS has its own
    /// NVFP4: the global scale shared by fused siblings (q/k/v, gate/up); unset: from this
    /// weight's absmax, as the quantizer computes it.
    std::optional<float> global_scale;
};

struct gptq_result {
    /// rows·cols, row-major: the fake-quantized weight, each value exact in the weight dtype D
    /// (what the reference writes back into the module).
    std::vector<float> weight;
    /// Scales, zero points, global scale, and g_idx for actorder group; codes left empty. Pack
    /// with these (quantize_options::qparams), not with qparams re-observed from `weight`.
    quantized_weight qparams;
    double loss = 0;            ///< Σ over rows of Σ (w−q)²/U[c,c]² / 2, as the reference logs it
    bool fell_back = false;     ///< the inverse Hessian failed: U = I, i.e. RTN with the qparams
    std::string warning;        ///< what failed and what was done; non-empty iff fell_back
};

/// GPTQ of weight w (dtype D: bf16, f16 or f32) with the averaged Hessian H [cols, cols] of
/// its inputs and the weight quant args `args` (args.actorder: none, weight or group).
template <weight_element D>
gptq_result gptq_quantize(weight_view<D> w, xt::xtensor<float, 2> H, quant_args const& args,
                          gptq_options const& o);

#ifndef NUQ_HEADER_ONLY
extern template gptq_result gptq_quantize(weight_view<bfloat16_t>, xt::xtensor<float, 2>,
                                          quant_args const&, gptq_options const&);
extern template gptq_result gptq_quantize(weight_view<float16_t>, xt::xtensor<float, 2>,
                                          quant_args const&, gptq_options const&);
extern template gptq_result gptq_quantize(weight_view<float>, xt::xtensor<float, 2>,
                                          quant_args const&, gptq_options const&);
#endif

} // namespace nuq::calib

#ifdef NUQ_HEADER_ONLY
#include "nuq/calib/gptq_impl.hpp"
#endif
