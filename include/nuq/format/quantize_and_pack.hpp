#pragma once
// Quantize-and-pack and the stored layout, chosen at run time by quant_args and the format:
// the compiled counterparts of packer.hpp's templates, for callers that hold a weight of any
// float dtype and args read from a recipe or a checkpoint. The bodies are compiled once in the
// nuq library (quantize_and_pack_impl.hpp; see nuq/detail/library.hpp).
#include <cstdint>
#include <string>
#include <vector>

#include "nuq/detail/library.hpp"
#include "nuq/format/bit_layout.hpp"
#include "nuq/format/tensor_spec.hpp"
#include "nuq/quant/compression_format.hpp"
#include "nuq/quant/quant_args.hpp"
#include "nuq/quant/quantize_options.hpp"
#include "nuq/tensor.hpp"

namespace nuq::format {

/// The stored tensors (local names: "weight_packed", "weight_scale", ...) of a 2-D bf16, f16
/// or f32 weight quantized with validated args a and packed in format f, one chunk of rows at
/// a time. With o.qparams (GPTQ's), those qparams are packed and the codes quantized with them.
std::vector<tensor> quantize_and_pack(compression_format f, quant_args const& a,
                                      tensor_ref const& weight, quantize_options const& o = {},
                                      bit_layout layout = bit_layout::dense);

/// The tensors format f stores for a [rows, cols] weight of dtype `weight_type` quantized with
/// args a, without quantizing anything; equal, name for name, to what quantize_and_pack
/// returns (check_weight_shape tells whether the strategy fits the shape).
std::vector<tensor_spec> describe(compression_format f, quant_args const& a, std::int64_t rows,
                                  std::int64_t cols, dtype weight_type, std::string const& where,
                                  bit_layout layout = bit_layout::dense);

} // namespace nuq::format

#ifdef NUQ_HEADER_ONLY
#include "nuq/format/quantize_and_pack_impl.hpp"
#endif
