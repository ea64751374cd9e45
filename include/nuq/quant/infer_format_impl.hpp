#pragma once
// The bodies of infer_format.hpp compiled once in the nuq library (nuq/detail/library.hpp).
#include <string>
#include <string_view>
#include <vector>

#include "nuq/detail/library.hpp"
#include "nuq/error.hpp"
#include "nuq/quant/infer_format.hpp"

namespace nuq {

NUQ_INLINE compression_format infer_module_format(quant_scheme const& scheme,
                                              format_rules const& rules) {
    return rules.version >= ct_version{0, 15, 0} ? detail::fmt::infer_new(scheme, rules)
                                                 : detail::fmt::infer_old(scheme, rules);
}

NUQ_INLINE compression_format resolve_module_format(quant_scheme const& scheme,
                                                std::optional<compression_format> forced,
                                                format_rules const& rules) {
    if (forced) return *forced;
    if (scheme.format) return *scheme.format;
    return infer_module_format(scheme, rules);
}

NUQ_INLINE compression_format model_format(std::span<compression_format const> module_formats) {
    std::optional<compression_format> single;
    for (auto f : module_formats) {
        if (f == compression_format::dense) continue;
        if (single && *single != f) return compression_format::mixed_precision;
        single = f;
    }
    return single.value_or(compression_format::dense);
}

} // namespace nuq
