#pragma once
// The bodies of packer_ops<Q> (packer_ops.hpp).
#include "nuq/format/packer.hpp"
#include "nuq/format/packer_ops.hpp"
#include "nuq/quant/weight_view.hpp"

namespace nuq::format::detail {

template <class Q>
std::vector<tensor> packer_ops<Q>::quantize_and_pack(compression_format f, Q const& q,
                                                     quant_args const& a, tensor_ref const& w,
                                                     quantize_options const& o,
                                                     bit_layout layout) {
    return visit_weight(w, o.where, [&](auto v) {
        return format::quantize_and_pack(f, q, v, a, o, layout);
    });
}

template <class Q>
std::vector<tensor_spec> packer_ops<Q>::describe(compression_format f, Q const& q,
                                                 quant_args const& a, std::int64_t rows,
                                                 std::int64_t cols, dtype weight_type,
                                                 std::string const& where, bit_layout layout) {
    return format::describe(f, q, a, rows, cols, weight_type, where, layout);
}

} // namespace nuq::format::detail
