#pragma once
// One module of a compressed checkpoint back to dense values: its stored tensors unpacked
// (format::unpack) and dequantized with its config group's weight args, as compressed-tensors'
// decompressor yields them one module at a time.
#include <string>

#include "nuq/format/packer.hpp"
#include "nuq/format/scale_codec.hpp"
#include "nuq/io/checkpoint.hpp"
#include "nuq/quant/quantize.hpp"
#include "nuq/reader/checkpoint_layout.hpp"

namespace nuq::reader {

/// The dtype the reference decompresses to (docs/FORMAT.md §9.2): the scale's for int and fp8, else bf16.
inline dtype reference_output_type(io::checkpoint const& ck, std::string const& module) {
    auto const t = ck.tensor(module + ".weight_scale").type;
    return t == dtype::float8_e4m3fn || t == dtype::uint8 ? dtype::bfloat16 : t;
}

/// Dense values of one module in `type`.
inline tensor dequantize_module(io::checkpoint const& ck, stored_module const& m, dtype type) {
    auto const& args = *m.scheme.weights;
    auto const q = format::unpack(m.format, lookup(ck, m.name), args, m.name, m.layout);
    auto const values =
        dequantize(args, q, "quantization_config.config_groups." + m.group + ".weights");
    return format::encode_floats(m.name + ".weight", type, {q.rows, q.cols}, values);
}

} // namespace nuq::reader
