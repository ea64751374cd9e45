#pragma once
// Which compression format a layer gets from its scheme (docs/FORMAT.md §6.1 for CT >= 0.15, §6.2
// for older writers), and the model-level format over all layers (§6.3).
#include <optional>
#include <span>

#include "nuq/detail/library.hpp"
#include "nuq/quant/compression_format.hpp"
#include "nuq/quant/quant_args.hpp"
#include "nuq/quant/quant_scheme.hpp"

namespace nuq {

/// The kind of module a scheme is applied to; only Linear (and Embedding since CT 0.17) are
/// compressed, anything else stays dense.
enum class module_kind { linear, embedding, other };

/// Which writer's rules to follow.
struct format_rules {
    ct_version version = ct_latest;
    module_kind module = module_kind::linear;
    /// Only for CT < 0.15: the model's sparsity_structure is "2:4" (selects marlin-24).
    bool sparse_2_4 = false;
};

namespace detail::fmt {

inline bool is_float_bits(std::optional<quant_args> const& a, int bits) {
    return a && a->type == quant_type::float_ && a->num_bits == bits;
}
inline bool is_int(std::optional<quant_args> const& a) {
    return a && a->type == quant_type::int_;
}

// CT >= 0.15: the first compressor in priority order whose can_compress() accepts the scheme.
inline compression_format infer_new(quant_scheme const& s, format_rules const& r) {
    using F = compression_format;
    ct_version const v017{0, 17, 0};
    bool const module_ok = r.module == module_kind::linear ||
                           (r.module == module_kind::embedding && r.version >= v017);
    if (!module_ok || !s.weights) return F::dense;
    auto const& w = *s.weights;
    auto const& in = s.input_activations;
    if (is_float_bits(s.weights, 4) && w.group_size == 32) return F::mxfp4_pack_quantized;
    if (is_float_bits(s.weights, 8) && w.group_size == 32 && w.scale_dtype == dtype::uint8)
        return F::mxfp8_quantized;
    if (is_float_bits(s.weights, 4) && w.group_size == 16) return F::nvfp4_pack_quantized;

    // 0.18 checks int-quantized before pack-quantized, 0.15-0.17 pack first but only without
    // inputs: the same result. Packing took 4 or 8 bits before 0.17, 1..8 since.
    bool const int_with_inputs = in && is_int(s.weights);
    bool const pack_bits = r.version >= v017 ? w.num_bits >= 1 && w.num_bits <= 8
                                             : w.num_bits == 4 || w.num_bits == 8;
    if (!in && is_int(s.weights) && pack_bits) return F::pack_quantized;
    if (int_with_inputs) return F::int_quantized;
    if (in && w.type == quant_type::float_) return F::float_quantized;
    return F::naive_quantized;
}

// CT <= 0.14 (`_get_quant_compression_format`); modules without weight args are not compressed.
inline compression_format infer_old(quant_scheme const& s, format_rules const& r) {
    using F = compression_format;
    if (!s.weights) return F::dense;
    auto const& w = *s.weights;
    if (is_float_bits(s.weights, 4))
        return w.group_size == 32 && r.version >= ct_version{0, 13, 0} ? F::mxfp4_pack_quantized
                                                                      : F::nvfp4_pack_quantized;
    if (!s.input_activations) {
        if (w.type != quant_type::int_ || (w.num_bits != 4 && w.num_bits != 8))
            return F::naive_quantized;
        auto const st = w.strategy_or_tensor();
        if (r.sparse_2_4 && (st == quant_strategy::channel || st == quant_strategy::group))
            return F::marlin_24;
        return F::pack_quantized;
    }
    if (is_float_bits(s.weights, 8)) return F::float_quantized;
    if (w.type == quant_type::int_) return F::int_quantized;
    return F::naive_quantized;
}

} // namespace detail::fmt

/// The format a layer with this (validated) scheme is compressed with, by the rules of the
/// writer `rules.version`. Ignores `scheme.format`; see resolve_module_format.
compression_format infer_module_format(quant_scheme const& scheme,
                                              format_rules const& rules = {});

/// The format a writer records for a quantized layer (§6.3 step 1): a forced model-wide
/// format wins, then the scheme's own `format`, then the inferred one.
compression_format resolve_module_format(quant_scheme const& scheme,
                                                std::optional<compression_format> forced = {},
                                                format_rules const& rules = {});

/// The top-level `format` over the quantized layers' formats (§6.3): dense formats are left
/// out; none left → dense, one distinct → it, several → mixed-precision.
compression_format model_format(std::span<compression_format const> module_formats);

} // namespace nuq

#ifdef NUQ_HEADER_ONLY
#include "nuq/quant/infer_format_impl.hpp"
#endif
