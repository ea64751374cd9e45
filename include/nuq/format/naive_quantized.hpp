#pragma once
// naive-quantized, int-quantized and float-quantized: one layout under three names (and
// mxfp8-quantized, which differs only in its ue8m0 scales). The codes are stored unpacked as
// `weight` (int8 for int ≤ 8 bits, float8_e4m3fn for fp8), the zero point (asymmetric only)
// unpacked in int8. docs/FORMAT.md §5.2, §5.6.
#include <algorithm>
#include <string>
#include <vector>

#include "nuq/format/qparam_tensors.hpp"

namespace nuq::format {

struct naive_quantized {
    /// The tensor the codes go into, before any row is packed.
    static tensor codes_tensor(std::int64_t rows, std::int64_t cols, quant_args const& a) {
        return tensor("weight", a.is_float() ? dtype::float8_e4m3fn : dtype::int8, {rows, cols},
                      for_overwrite);
    }
    /// Stores the codes of rows [r0, r1).
    static void pack_rows(tensor& t, std::int64_t r0, std::int64_t r1, std::uint8_t const* codes) {
        std::int64_t const cols = t.shape[1];
        std::copy(codes, codes + (r1 - r0) * cols, t.as<std::uint8_t>().begin() + r0 * cols);
    }
    /// The tensors besides the codes.
    static void append_qparams(quantized_weight const& q, std::vector<tensor>& out) {
        format::append_qparams(q, out);
        if (!q.zero_points.empty()) {
            tensor z("weight_zero_point", dtype::int8, q.scale_shape);
            auto zb = z.as<std::int8_t>();
            for (std::size_t i = 0; i < q.zero_points.size(); ++i)
                zb[i] = static_cast<std::int8_t>(q.zero_points[i]);
            out.push_back(std::move(z));
        }
    }

    static quantized_weight unpack(tensor_lookup const& find, std::string const& where) {
        quantized_weight q;
        auto w = require(find, where, "weight");
        if (w.shape.size() != 2 || (w.type != dtype::int8 && w.type != dtype::float8_e4m3fn))
            throw error("format.weight", where + ".weight",
                        "weight has dtype " + std::string(torch_name(w.type)) + " and " +
                            std::to_string(w.shape.size()) + " dimensions",
                        "a 2-D int8 or float8_e4m3fn tensor");
        q.rows = w.shape[0];
        q.cols = w.shape[1];
        q.codes.assign(reinterpret_cast<std::uint8_t const*>(w.bytes.data()),
                       reinterpret_cast<std::uint8_t const*>(w.bytes.data()) + w.bytes.size());
        read_qparams(find, where, q);
        if (auto z = find("weight_zero_point")) {
            require_shape(*z, q.scale_shape, where + ".weight_zero_point");
            if (z->type != dtype::int8)
                throw error("format.dtype", where + ".weight_zero_point",
                            "dtype is " + std::string(torch_name(z->type)), "int8");
            q.zero_points.resize(static_cast<std::size_t>(z->numel()));
            for (std::size_t i = 0; i < q.zero_points.size(); ++i)
                q.zero_points[i] = z->at<std::int8_t>(i);
        }
        return q;
    }
};

} // namespace nuq::format
