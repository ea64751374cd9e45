#pragma once
// packer_ops<Q>: what the run-time functions of quantize_and_pack.hpp do with one quantizer
// type Q. Declared here, defined in packer_ops_impl.hpp and explicitly instantiated once per
// alternative of quantizer_variant in the nuq library (src/format), as quantizer_ops is.
#include <cstdint>
#include <string>
#include <vector>

#include "nuq/format/bit_layout.hpp"
#include "nuq/format/tensor_spec.hpp"
#include "nuq/quant/compression_format.hpp"
#include "nuq/quant/quant_args.hpp"
#include "nuq/quant/quantize_options.hpp"
#include "nuq/tensor.hpp"

namespace nuq::format::detail {

template <class Q>
struct packer_ops {
    static std::vector<tensor> quantize_and_pack(compression_format f, Q const& q,
                                                 quant_args const& a, tensor_ref const& w,
                                                 quantize_options const& o, bit_layout layout);
    static std::vector<tensor_spec> describe(compression_format f, Q const& q,
                                             quant_args const& a, std::int64_t rows,
                                             std::int64_t cols, dtype weight_type,
                                             std::string const& where, bit_layout layout);
};

} // namespace nuq::format::detail
