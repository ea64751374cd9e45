#pragma once
// summary(quant_args): a short human name for weight args, e.g. "int4 asym group128",
// "fp8 channel", "nvfp4", "mxfp4", "fp8 block128x128", for progress lines and reports.
#include <string>

#include "nuq/quant/quant_args.hpp"

namespace nuq {

inline std::string summary(quant_args const& a) {
    auto const s = a.strategy_or_tensor();
    if (a.is_float() && a.num_bits == 4)
        return a.group_size == 32 ? "mxfp4" : a.group_size == 16 ? "nvfp4" : "fp4";
    if (a.is_float() && a.num_bits == 8 && a.group_size == 32 && a.scale_dtype == dtype::uint8)
        return "mxfp8";
    std::string r = (a.is_float() ? "fp" : "int") + std::to_string(a.num_bits);
    if (!a.symmetric) r += " asym";
    r += " " + std::string(to_string(s));
    if (s == quant_strategy::group || s == quant_strategy::tensor_group)
        r += std::to_string(a.group_size.value_or(0));
    if (s == quant_strategy::block && a.block_structure)
        r += std::to_string((*a.block_structure)[0]) + "x" + std::to_string((*a.block_structure)[1]);
    return r;
}

} // namespace nuq
