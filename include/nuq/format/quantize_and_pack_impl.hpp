#pragma once
// The bodies of quantize_and_pack.hpp: one visit of the quantizer variant each.
#include <type_traits>
#include <variant>

#include "nuq/detail/library.hpp"
#include "nuq/format/packer_ops.hpp"
#include "nuq/format/quantize_and_pack.hpp"
#include "nuq/quant/make_quantizer.hpp"
#ifdef NUQ_HEADER_ONLY
#include "nuq/format/packer_ops_impl.hpp"
#endif

namespace nuq::format {

NUQ_INLINE std::vector<tensor> quantize_and_pack(compression_format f, quant_args const& a,
                                                 tensor_ref const& weight,
                                                 quantize_options const& o, bit_layout layout) {
    return std::visit(
        [&](auto const& q) {
            using ops = detail::packer_ops<std::remove_cvref_t<decltype(q)>>;
            return ops::quantize_and_pack(f, q, a, weight, o, layout);
        },
        make_quantizer(a, o.where));
}

NUQ_INLINE std::vector<tensor_spec> describe(compression_format f, quant_args const& a,
                                             std::int64_t rows, std::int64_t cols,
                                             dtype weight_type, std::string const& where,
                                             bit_layout layout) {
    return std::visit(
        [&](auto const& q) {
            using ops = detail::packer_ops<std::remove_cvref_t<decltype(q)>>;
            return ops::describe(f, q, a, rows, cols, weight_type, where, layout);
        },
        make_quantizer(a, where));
}

} // namespace nuq::format
