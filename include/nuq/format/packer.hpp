#pragma once
// One entry point per direction over every compressed format: a weight → its stored tensors
// (quantize_and_pack, streaming rows from the quantizer into the packed tensor; pack, from a
// quantized_weight), and stored tensors → a quantized weight (unpack).
#include <string>
#include <vector>

#include "nuq/error.hpp"
#include "nuq/format/bit_packing.hpp"
#include "nuq/quant/compression_format.hpp"
#include "nuq/format/fp4_pack_quantized.hpp"
#include "nuq/format/naive_quantized.hpp"
#include "nuq/format/pack_quantized.hpp"
#include "nuq/format/tensor_spec.hpp"
#include "nuq/quant/quantizer.hpp"

namespace nuq::format {

namespace detail {
inline error cannot_pack(compression_format f, std::string const& where, std::string why) {
    return error("format.unsupported", where,
                 "format " + std::string(to_string(f)) + " cannot store this layer: " + why,
                 "naive-quantized, int-quantized, float-quantized, pack-quantized, "
                 "nvfp4-pack-quantized, mxfp4-pack-quantized or mxfp8-quantized, matching the "
                 "scheme",
                 "leave `format` out so that it is inferred from the scheme");
}

/// The format families, as bits of with_format's `Families`.
enum family : unsigned { packed_int = 1, one_byte = 2, packed_fp4 = 4, every_family = 7 };

/// The families a scheme's codes can be stored in (the others refuse its args).
template <class Scheme>
constexpr unsigned families_of() {
    if constexpr (!Scheme::is_float) return packed_int | one_byte;
    else if constexpr (Scheme::bits == 8) return one_byte;
    else return packed_fp4;
}

/// Calls fn(make(rows, cols), pack_rows(t, r0, r1, codes, cols), append_qparams(q, out)) with
/// the three steps of format f. Families left out of `Families` are refused without
/// instantiating fn for them (they would refuse the args of such a scheme anyway).
template <unsigned Families = every_family, class Fn>
decltype(auto) with_format(compression_format f, quant_args const& a, std::string const& where,
                           bit_layout layout, Fn&& fn) {
    switch (f) {
    case compression_format::pack_quantized:
        if (!(Families & packed_int) || a.is_float() || a.num_bits < 1 || a.num_bits > 8)
            throw cannot_pack(f, where, "it holds int codes of 1 to 8 bits");
        if constexpr (!(Families & packed_int)) break;
        else return fn(
            [&](std::int64_t r, std::int64_t c) { return pack_quantized::codes_tensor(r, c, a, layout); },
            [&](tensor& t, std::int64_t r0, std::int64_t r1, std::uint8_t const* codes,
                std::int64_t cols) {
                pack_quantized::pack_rows(t, r0, r1, codes, cols, a.num_bits, layout);
            },
            [&](quantized_weight const& q, std::vector<tensor>& out) {
                pack_quantized::append_qparams(q, a.num_bits, layout, out);
            });
    case compression_format::naive_quantized:
    case compression_format::int_quantized:
    case compression_format::float_quantized:
    case compression_format::mxfp8_quantized:
        if (!(Families & one_byte) || a.num_bits > 8 || (a.is_float() && a.num_bits != 8))
            throw cannot_pack(f, where, "it holds int codes of up to 8 bits or fp8 codes");
        if constexpr (!(Families & one_byte)) break;
        else return fn([&](std::int64_t r, std::int64_t c) { return naive_quantized::codes_tensor(r, c, a); },
                  [](tensor& t, std::int64_t r0, std::int64_t r1, std::uint8_t const* codes,
                     std::int64_t) { naive_quantized::pack_rows(t, r0, r1, codes); },
                  &naive_quantized::append_qparams);
    case compression_format::nvfp4_pack_quantized:
    case compression_format::mxfp4_pack_quantized:
        if (!(Families & packed_fp4) || !a.is_float() || a.num_bits != 4)
            throw cannot_pack(f, where, "it holds fp4 codes");
        if constexpr (!(Families & packed_fp4)) break;
        else return fn([&](std::int64_t r, std::int64_t c) {
                      return fp4_pack_quantized::codes_tensor(r, c, a, where);
                  },
                  [](tensor& t, std::int64_t r0, std::int64_t r1, std::uint8_t const* codes,
                     std::int64_t) { fp4_pack_quantized::pack_rows(t, r0, r1, codes); },
                  &fp4_pack_quantized::append_qparams);
    default: break;
    }
    throw cannot_pack(f, where, "it is not a weight compression format");
}
} // namespace detail

/// The stored tensors of a quantized weight, under local names ("weight_packed", ...).
inline std::vector<tensor> pack(compression_format f, quantized_weight const& q,
                                quant_args const& a, std::string const& where = {},
                                bit_layout layout = bit_layout::dense) {
    return detail::with_format(f, a, where, layout, [&](auto make, auto pack_rows, auto rest) {
        std::vector<tensor> out;
        out.push_back(make(q.rows, q.cols));
        pack_rows(out.back(), 0, q.rows, q.codes.data(), q.cols);
        rest(q, out);
        return out;
    });
}

/// Quantizes a weight with quantizer `qz` and packs it in format f, one chunk of rows at a
/// time: the codes are never all in memory. Gives the same tensors as pack(f, qz.quantize(w)).
/// With o.qparams (GPTQ's), those qparams are packed and the codes quantized with them.
template <class Quantizer, weight_element D>
std::vector<tensor> quantize_and_pack(compression_format f, Quantizer const& qz, weight_view<D> w,
                                      quant_args const& a, quantize_options const& o,
                                      bit_layout layout = bit_layout::dense) {
    constexpr unsigned families = detail::families_of<typename Quantizer::scheme_type>();
    return detail::with_format<families>(f, a, o.where, layout,
                                         [&](auto make, auto pack_rows, auto rest) {
        std::vector<tensor> out;
        out.push_back(make(w.rows, w.cols));
        tensor& codes = out.back();
        auto const q = qz.quantize_rows(w, o, [&](std::int64_t r0, std::int64_t r1,
                                                  std::uint8_t const* c) {
            pack_rows(codes, r0, r1, c, w.cols);
        });
        rest(q, out);
        return out;
    });
}

/// The tensors format f stores for a [rows, cols] weight of dtype `weight_type` quantized by
/// `qz` with args `a`, without quantizing anything (a checkpoint's layout is declared before
/// its data is written). Equal, name for name, to what pack / quantize_and_pack return.
template <class Quantizer>
std::vector<tensor_spec> describe(compression_format f, Quantizer const& qz, quant_args const& a,
                                  std::int64_t rows, std::int64_t cols, dtype weight_type,
                                  std::string const& where = {},
                                  bit_layout layout = bit_layout::dense) {
    using scheme = typename Quantizer::scheme_type;
    constexpr unsigned families = detail::families_of<scheme>();
    return detail::with_format<families>(f, a, where, layout, [&](auto make, auto, auto) {
        std::vector<tensor_spec> out;
        tensor_spec codes;
        {
            auto const probe = make(rows, 0); // no data: only its name and dtype are used
            codes = {probe.name, probe.type, {rows, 0}};
        }
        if (f == compression_format::pack_quantized) {
            codes.shape[1] = packed_words(cols, a.num_bits, layout);
            out.push_back(codes);
            out.push_back({"weight_shape", dtype::int64, {2}});
        } else {
            codes.shape[1] = codes.type == dtype::uint8 ? cols / 2 : cols;
            out.push_back(codes);
        }
        auto const scale_shape = qz.strategy().scale_shape(rows, cols);
        out.push_back({"weight_scale", scale_dtype(scheme::scale_storage, weight_type), scale_shape});
        if constexpr (scheme::uses_global_scale)
            out.push_back({"weight_global_scale", dtype::float32, {1}});
        if constexpr (!scheme::symmetric) {
            // group and channel scales are 2-D; the size test lets GCC see it (-Warray-bounds)
            bool const packed = f == compression_format::pack_quantized &&
                                (a.strategy == quant_strategy::group ||
                                 a.strategy == quant_strategy::channel) &&
                                scale_shape.size() == 2;
            if (packed)
                out.push_back({"weight_zero_point", dtype::int32,
                               {packed_words(scale_shape[0], a.num_bits, layout), scale_shape[1]}});
            else out.push_back({"weight_zero_point", dtype::int8, scale_shape});
        }
        return out;
    });
}

/// The quantized weight of one module read back from its stored tensors.
inline quantized_weight unpack(compression_format f, tensor_lookup const& find,
                               quant_args const& a, std::string const& where,
                               bit_layout layout = bit_layout::dense) {
    quantized_weight q;
    switch (f) {
    case compression_format::pack_quantized:
        q = pack_quantized::unpack(find, where, a.num_bits, layout);
        break;
    case compression_format::naive_quantized:
    case compression_format::int_quantized:
    case compression_format::float_quantized:
    case compression_format::mxfp8_quantized: q = naive_quantized::unpack(find, where); break;
    case compression_format::nvfp4_pack_quantized:
    case compression_format::mxfp4_pack_quantized: q = fp4_pack_quantized::unpack(find, where); break;
    default: throw detail::cannot_pack(f, where, "it is not a weight compression format");
    }
    q.strategy = a.strategy_or_tensor();
    return q;
}

} // namespace nuq::format
