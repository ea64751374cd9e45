#pragma once
// One entry point per direction over all compressed formats: quantized weight → stored tensors
// (pack) and stored tensors → quantized weight (unpack). The format name picks the layout.
#include <string>
#include <string_view>
#include <vector>

#include "nuq/error.hpp"
#include "nuq/format/bit_packing.hpp"
#include "nuq/format/fp4_pack_quantized.hpp"
#include "nuq/format/naive_quantized.hpp"
#include "nuq/format/pack_quantized.hpp"

namespace nuq::format {

inline error unknown_format(std::string_view name, std::string const& where) {
    return error("format.unknown", where, "format \"" + std::string(name) + "\" cannot be packed",
                 "one of naive-quantized, int-quantized, float-quantized, pack-quantized, "
                 "nvfp4-pack-quantized, mxfp4-pack-quantized, mxfp8-quantized",
                 "choose a format that fits the scheme, or leave format out to infer it");
}

/// The stored tensors of one module, under local names ("weight_packed", "weight_scale", ...).
inline std::vector<tensor> pack(std::string_view format, quantized_weight const& q,
                                quant_args const& args, std::string const& where = {},
                                bit_layout layout = bit_layout::dense) {
    if (format == "pack-quantized") {
        if (args.is_float() || args.num_bits < 1 || args.num_bits > 8)
            throw error("format.pack_quantized", where,
                        "pack-quantized holds int codes of 1 to 8 bits",
                        "int weights of 1..8 bits", "use naive-quantized or float-quantized");
        return pack_quantized::pack(q, args.num_bits, layout);
    }
    if (format == "naive-quantized" || format == "int-quantized" || format == "float-quantized" ||
        format == "mxfp8-quantized")
        return naive_quantized::pack(q, args.is_float());
    if (format == "nvfp4-pack-quantized" || format == "mxfp4-pack-quantized")
        return fp4_pack_quantized::pack(q, where);
    throw unknown_format(format, where);
}

/// The quantized weight of one module read back from its stored tensors.
inline quantized_weight unpack(std::string_view format, tensor_lookup const& find,
                               quant_args const& args, std::string const& where,
                               bit_layout layout = bit_layout::dense) {
    quantized_weight q;
    if (format == "pack-quantized") q = pack_quantized::unpack(find, where, args.num_bits, layout);
    else if (format == "naive-quantized" || format == "int-quantized" ||
             format == "float-quantized" || format == "mxfp8-quantized")
        q = naive_quantized::unpack(find, where);
    else if (format == "nvfp4-pack-quantized" || format == "mxfp4-pack-quantized")
        q = fp4_pack_quantized::unpack(find, where);
    else throw unknown_format(format, where);
    q.strategy = args.strategy_or_tensor();
    return q;
}

} // namespace nuq::format
