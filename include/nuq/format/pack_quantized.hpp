#pragma once
// pack-quantized: int codes of 1..8 bits packed into int32 words along each row
// (weight_packed), the original shape as int64 (weight_shape), and for asymmetric group/channel
// weights the zero points packed along dim 0 (weight_zero_point). docs/FORMAT.md §5.3.
#include <algorithm>
#include <bit>
#include <string>
#include <vector>

#include "nuq/format/bit_packing.hpp"
#include "nuq/kernels/invoke.hpp"
#include "nuq/kernels/pack_codes.hpp"
#include "nuq/format/qparam_tensors.hpp"

namespace nuq::format {

struct pack_quantized {
    /// The unsigned code: q + 2^(b-1).
    static std::uint8_t to_unsigned(std::uint8_t q, int bits) {
        return static_cast<std::uint8_t>((static_cast<std::int8_t>(q) + (1 << (bits - 1))) &
                                         ((1 << bits) - 1));
    }
    static std::uint8_t to_signed(std::uint8_t u, int bits) {
        return static_cast<std::uint8_t>(static_cast<std::int8_t>(u - (1 << (bits - 1))));
    }

    /// Packs the rows of a [rows, n] matrix of signed codes.
    static tensor pack_matrix(std::string name, std::uint8_t const* codes, std::int64_t rows,
                              std::int64_t n, int bits, bit_layout layout) {
        tensor t(std::move(name), dtype::int32, {rows, packed_words(n, bits, layout)}, for_overwrite);
        pack_rows(t, 0, rows, codes, n, bits, layout);
        return t;
    }

    static tensor codes_tensor(std::int64_t rows, std::int64_t cols, quant_args const& a,
                               bit_layout layout) {
        return tensor("weight_packed", dtype::int32,
                      {rows, packed_words(cols, a.num_bits, layout)}, for_overwrite);
    }
    /// Packs rows [r0, r1) of t (every word of them) from their signed codes.
    static void pack_rows(tensor& t, std::int64_t r0, std::int64_t r1, std::uint8_t const* codes,
                          std::int64_t cols, int bits, bit_layout layout) {
        std::int64_t const words = t.shape[1];
        std::uint32_t* out = t.as<std::uint32_t>().data();
        // 4 and 8 bits (one layout): a little-endian row's bytes are the codes + 2^(b-1) in
        // order, a nibble or a byte each; rows of whole words are one stream
        if (std::endian::native == std::endian::little && (bits == 4 || bits == 8)) {
            bool const whole = cols * bits % 32 == 0;
            std::int64_t const n = whole ? (r1 - r0) * cols : cols;
            for (std::int64_t r = r0; r < r1; r += whole ? r1 - r0 : 1) {
                std::uint8_t const* c = codes + (r - r0) * cols;
                auto* b = reinterpret_cast<std::uint8_t*>(out + r * words);
                auto done = static_cast<std::size_t>(bits == 8 ? n : n / 2);
                if (bits == 8) kernels::invoke<kernels::flip_bytes>(c, done, std::uint8_t{0x80}, b);
                else kernels::invoke<kernels::pack_nibbles>(c, done, std::uint8_t{8}, b);
                if (bits == 4 && n % 2) b[done++] = (c[n - 1] ^ 8u) & 15u;
                std::fill(b + done, b + (whole ? n * bits / 8 : words * 4), std::uint8_t{0});
            }
            return;
        }
        for (std::int64_t r = r0; r < r1; ++r)
            pack_row(codes + (r - r0) * cols, cols, bits, layout, out + r * words,
                     [bits](std::uint8_t q) { return to_unsigned(q, bits); });
    }
    /// weight_shape, the scales, and the zero points: packed along dim 0 for group and
    /// channel, unpacked int8 otherwise.
    static void append_qparams(quantized_weight const& q, int bits, bit_layout layout,
                               std::vector<tensor>& out) {
        tensor shape("weight_shape", dtype::int64, {2});
        shape.as<std::int64_t>()[0] = q.rows;
        shape.as<std::int64_t>()[1] = q.cols;
        out.push_back(std::move(shape));
        format::append_qparams(q, out);
        if (q.zero_points.empty()) return;
        if (q.strategy != quant_strategy::group && q.strategy != quant_strategy::channel) {
            tensor z("weight_zero_point", dtype::int8, q.scale_shape);
            for (std::size_t i = 0; i < q.zero_points.size(); ++i)
                z.as<std::int8_t>()[i] = static_cast<std::int8_t>(q.zero_points[i]);
            out.push_back(std::move(z));
            return;
        }
        // pack each column (the zero points of one group) as a row, then transpose back
        std::int64_t const rows = q.scale_shape[0], groups = q.scale_shape[1];
        std::vector<std::uint8_t> zt(static_cast<std::size_t>(rows * groups));
        for (std::int64_t r = 0; r < rows; ++r)
            for (std::int64_t g = 0; g < groups; ++g)
                zt[static_cast<std::size_t>(g * rows + r)] = static_cast<std::uint8_t>(
                    static_cast<std::int8_t>(q.zero_points[static_cast<std::size_t>(r * groups + g)]));
        tensor p = pack_matrix("weight_zero_point", zt.data(), groups, rows, bits, layout);
        std::int64_t const words = p.shape[1];
        tensor z("weight_zero_point", dtype::int32, {words, groups});
        for (std::int64_t g = 0; g < groups; ++g)
            for (std::int64_t w = 0; w < words; ++w)
                z.as<std::int32_t>()[static_cast<std::size_t>(w * groups + g)] =
                    p.as<std::int32_t>()[static_cast<std::size_t>(g * words + w)];
        out.push_back(std::move(z));
    }

    static quantized_weight unpack(tensor_lookup const& find, std::string const& where, int bits,
                                   bit_layout layout = bit_layout::dense) {
        quantized_weight q;
        auto shape = require(find, where, "weight_shape");
        if (shape.numel() != 2 || (shape.type != dtype::int64 && shape.type != dtype::int32))
            throw error("format.weight_shape", where + ".weight_shape",
                        "weight_shape is not 2 integers", "int64 [2]",
                        "only 2-D weights are supported");
        q.rows = shape.type == dtype::int64 ? shape.at<std::int64_t>(0) : shape.at<std::int32_t>(0);
        q.cols = shape.type == dtype::int64 ? shape.at<std::int64_t>(1) : shape.at<std::int32_t>(1);
        auto packed = require(find, where, "weight_packed", dtype::int32);
        require_shape(packed, {q.rows, packed_words(q.cols, bits, layout)}, where + ".weight_packed");
        q.codes.resize(static_cast<std::size_t>(q.rows * q.cols));
        std::int64_t const words = packed.shape[1];
        std::vector<std::uint32_t> row(static_cast<std::size_t>(words));
        for (std::int64_t r = 0; r < q.rows; ++r) {
            std::memcpy(row.data(), packed.bytes.data() + r * words * 4, static_cast<std::size_t>(words) * 4);
            std::uint8_t* dst = q.codes.data() + r * q.cols;
            unpack_row(row.data(), q.cols, bits, layout, dst);
            for (std::int64_t c = 0; c < q.cols; ++c) dst[c] = to_signed(dst[c], bits);
        }
        read_qparams(find, where, q);
        if (auto z = find("weight_zero_point")) read_zero_points(*z, where, bits, layout, q);
        return q;
    }

private:
    static void read_zero_points(tensor_ref const& z, std::string const& where, int bits,
                                 bit_layout layout, quantized_weight& q) {
        auto const n = static_cast<std::size_t>(q.scales.size());
        q.zero_points.resize(n);
        if (z.type == dtype::int8) { // unpacked (tensor strategy, or written before CT 0.9.4)
            require_shape(z, q.scale_shape, where + ".weight_zero_point");
            for (std::size_t i = 0; i < n; ++i) q.zero_points[i] = z.at<std::int8_t>(i);
            return;
        }
        if (z.type != dtype::int32 || q.scale_shape.size() != 2)
            throw error("format.dtype", where + ".weight_zero_point",
                        "dtype is " + std::string(torch_name(z.type)),
                        "int32 packed along dim 0 (or int8 unpacked)");
        std::int64_t const rows = q.scale_shape[0], groups = q.scale_shape[1];
        std::int64_t const words = packed_words(rows, bits, layout);
        require_shape(z, {words, groups}, where + ".weight_zero_point");
        std::vector<std::uint32_t> col(static_cast<std::size_t>(words));
        std::vector<std::uint8_t> u(static_cast<std::size_t>(rows));
        for (std::int64_t g = 0; g < groups; ++g) {
            for (std::int64_t w = 0; w < words; ++w)
                col[static_cast<std::size_t>(w)] = z.at<std::uint32_t>(static_cast<std::size_t>(w * groups + g));
            unpack_row(col.data(), rows, bits, layout, u.data());
            for (std::int64_t r = 0; r < rows; ++r)
                q.zero_points[static_cast<std::size_t>(r * groups + g)] =
                    static_cast<std::int8_t>(to_signed(u[static_cast<std::size_t>(r)], bits));
        }
    }
};

} // namespace nuq::format
