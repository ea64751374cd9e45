#pragma once
// Quantization chosen at run time by quant_args: the one bridge (make_quantizer) behind plain
// functions, so that callers need not visit the quantizer variant themselves. The bodies are
// compiled once in the nuq library (quantize_impl.hpp; see nuq/detail/library.hpp).
#include <cstdint>
#include <string>
#include <vector>

#include "nuq/detail/library.hpp"
#include "nuq/quant/quant_args.hpp"
#include "nuq/quant/quantize_options.hpp"
#include "nuq/quant/quantized_weight.hpp"
#include "nuq/tensor.hpp"

namespace nuq {

/// Throws the error make_quantizer would (naming `where`) if nuq has no quantizer for a.
void require_quantizer(quant_args const& a, std::string const& where);

/// Throws the error naming `where` if a's strategy does not fit a [rows, cols] weight (a group
/// size that does not divide the columns, ...).
void check_weight_shape(quant_args const& a, std::int64_t rows, std::int64_t cols,
                        std::string const& where);

/// Quantizes a 2-D bf16/f16/f32 weight with validated args a.
quantized_weight quantize(quant_args const& a, tensor_ref const& w, quantize_options const& o);

/// The float values a quantized weight stands for.
std::vector<float> dequantize(quant_args const& a, quantized_weight const& q,
                              std::string const& where);

/// dequantize(quantize(w)): the weight as the quantized model sees it.
std::vector<float> fake_quantize(quant_args const& a, tensor_ref const& w,
                                 quantize_options const& o);

/// The absolute maximum of a 2-D bf16/f16/f32 weight (NaN propagates), as the global-scale
/// observer sees it.
float weight_absmax(tensor_ref const& w, std::string const& where, int threads = 0);

} // namespace nuq

#ifdef NUQ_HEADER_ONLY
#include "nuq/quant/quantize_impl.hpp"
#endif
