#pragma once
// The tensors every format shares: weight_scale, weight_global_scale and weight_g_idx.
#include <cstdint>
#include <string>
#include <vector>

#include "nuq/format/scale_codec.hpp"
#include "nuq/format/tensor_lookup.hpp"
#include "nuq/quant/quantized_weight.hpp"
#include "nuq/quant/scheme_mx.hpp"

namespace nuq::format {

/// Appends weight_scale (in its storage dtype), weight_global_scale and weight_g_idx as present.
inline void append_qparams(quantized_weight const& q, std::vector<tensor>& out) {
    dtype const st = scale_dtype(q.scale_storage, q.weight_type);
    if (q.scale_storage == scale_encoding::ue8m0) {
        tensor t("weight_scale", dtype::uint8, q.scale_shape);
        auto bytes = t.as<std::uint8_t>();
        for (std::size_t i = 0; i < q.scales.size(); ++i)
            bytes[i] = scheme::mxfp4::encode_scale(q.scales[i]);
        out.push_back(std::move(t));
    } else {
        out.push_back(encode_floats("weight_scale", st, q.scale_shape, q.scales));
    }
    if (q.global_scale)
        out.push_back(encode_floats("weight_global_scale", dtype::float32, {1}, {*q.global_scale}));
    if (!q.g_idx.empty()) {
        tensor t("weight_g_idx", dtype::int32, {q.cols});
        std::copy(q.g_idx.begin(), q.g_idx.end(), t.as<std::int32_t>().begin());
        out.push_back(std::move(t));
    }
}

/// Reads weight_scale (and weight_global_scale, weight_g_idx if stored) into q. uint8 scales
/// are ue8m0 and decode to bf16 values; float scales keep their dtype, which is then the dtype
/// dequantization rounds in.
inline void read_qparams(tensor_lookup const& find, std::string const& where,
                         quantized_weight& q) {
    auto s = require(find, where, "weight_scale");
    q.scale_shape = s.shape;
    if (s.type == dtype::uint8) {
        q.scale_storage = scale_encoding::ue8m0;
        q.weight_type = dtype::bfloat16;
        q.scales.resize(static_cast<std::size_t>(s.numel()));
        for (std::size_t i = 0; i < q.scales.size(); ++i)
            q.scales[i] = round_to<bfloat16_t>(float_ue8m0_t::decode(s.at<std::uint8_t>(i)));
    } else {
        q.scales = decode_floats(s, where + ".weight_scale");
        q.scale_storage = s.type == dtype::float8_e4m3fn ? scale_encoding::e4m3
                                                         : scale_encoding::weight_dtype;
        q.weight_type = s.type == dtype::float8_e4m3fn ? dtype::bfloat16 : s.type;
    }
    if (auto g = find("weight_global_scale")) {
        auto v = decode_floats(*g, where + ".weight_global_scale");
        if (v.size() != 1) require_shape(*g, {1}, where + ".weight_global_scale");
        q.global_scale = v[0];
    }
    if (auto g = find("weight_g_idx")) {
        if (g->type != dtype::int32 && g->type != dtype::int64)
            throw error("format.dtype", where + ".weight_g_idx",
                        "dtype is " + std::string(torch_name(g->type)), "int32");
        q.g_idx.resize(static_cast<std::size_t>(g->numel()));
        for (std::size_t i = 0; i < q.g_idx.size(); ++i)
            q.g_idx[i] = g->type == dtype::int32 ? g->at<std::int32_t>(i)
                                                 : static_cast<std::int32_t>(g->at<std::int64_t>(i));
        // a g_idx of -1 (never set) means no activation order
        if (!q.g_idx.empty() && q.g_idx[0] < 0) q.g_idx.clear();
    }
}

} // namespace nuq::format
