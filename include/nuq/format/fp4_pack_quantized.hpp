#pragma once
// nvfp4-pack-quantized and mxfp4-pack-quantized: e2m1 codes two per byte, the even element in
// the low nibble (weight_packed, uint8 [R, C/2]); the scales are fp8 + an f32 global scale
// (NVFP4) or ue8m0 bytes (MXFP4). docs/FORMAT.md §5.4, §5.5.
#include <string>
#include <vector>

#include "nuq/format/qparam_tensors.hpp"
#include "nuq/kernels/invoke.hpp"
#include "nuq/kernels/pack_codes.hpp"

namespace nuq::format {

struct fp4_pack_quantized {
    static tensor codes_tensor(std::int64_t rows, std::int64_t cols, quant_args const&,
                               std::string const& where = {}) {
        if (cols % 2 != 0)
            throw error("format.fp4_columns", where,
                        "an fp4 weight has " + std::to_string(cols) + " columns",
                        "an even number of columns", "ignore this layer or use another scheme");
        return tensor("weight_packed", dtype::uint8, {rows, cols / 2}, for_overwrite);
    }
    static void pack_rows(tensor& t, std::int64_t r0, std::int64_t r1, std::uint8_t const* codes) {
        std::int64_t const half = t.shape[1];
        kernels::invoke<kernels::pack_nibbles>(codes, static_cast<std::size_t>((r1 - r0) * half),
                                               std::uint8_t{0},
                                               t.as<std::uint8_t>().data() + r0 * half);
    }
    static void append_qparams(quantized_weight const& q, std::vector<tensor>& out) {
        format::append_qparams(q, out);
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

} // namespace nuq::format
