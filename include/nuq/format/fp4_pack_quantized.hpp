#pragma once
// nvfp4-pack-quantized and mxfp4-pack-quantized: e2m1 codes two per byte, the even element in
// the low nibble (weight_packed, uint8 [R, C/2]); the scales are fp8 + an f32 global scale
// (NVFP4) or ue8m0 bytes (MXFP4). FORMAT.md §5.4, §5.5.
#include <string>
#include <vector>

#include "nuq/format/naive_quantized.hpp"
#include "nuq/format/qparam_tensors.hpp"

namespace nuq::format {

struct fp4_pack_quantized {
    static std::vector<tensor> pack(quantized_weight const& q, std::string const& where = {}) {
        if (q.cols % 2 != 0)
            throw error("format.fp4_columns", where,
                        "an fp4 weight has " + std::to_string(q.cols) + " columns",
                        "an even number of columns", "ignore this layer or use another scheme");
        std::vector<tensor> out;
        tensor p("weight_packed", dtype::uint8, {q.rows, q.cols / 2});
        auto b = p.as<std::uint8_t>();
        for (std::size_t i = 0; i < b.size(); ++i)
            b[i] = static_cast<std::uint8_t>((q.codes[2 * i] & 15u) | (q.codes[2 * i + 1] << 4));
        out.push_back(std::move(p));
        append_qparams(q, out);
        return out;
    }

    static quantized_weight unpack(tensor_lookup const& find, std::string const& where) {
        quantized_weight q;
        auto p = require(find, where, "weight_packed", dtype::uint8);
        if (p.shape.size() != 2)
            throw error("format.weight_packed", where + ".weight_packed", "is not 2-D",
                        "uint8 [rows, cols/2]");
        q.rows = p.shape[0];
        q.cols = p.shape[1] * 2;
        q.codes.resize(static_cast<std::size_t>(q.rows * q.cols));
        for (std::size_t i = 0; i < p.bytes.size(); ++i) {
            auto const v = static_cast<std::uint8_t>(p.bytes[i]);
            q.codes[2 * i] = v & 15u;
            q.codes[2 * i + 1] = v >> 4;
        }
        read_qparams(find, where, q);
        return q;
    }
};

using nvfp4_pack_quantized = fp4_pack_quantized;
using mxfp4_pack_quantized = fp4_pack_quantized;
/// mxfp8-quantized stores fp8 codes as `weight` with ue8m0 scales: the naive layout.
using mxfp8_quantized = naive_quantized;

} // namespace nuq::format
