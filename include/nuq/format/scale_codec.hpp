#pragma once
// Scales between their exact float values and the bytes a checkpoint stores.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "nuq/error.hpp"
#include "nuq/numeric/bfloat16.hpp"
#include "nuq/numeric/float16.hpp"
#include "nuq/numeric/float8_e4m3.hpp"
#include "nuq/numeric/float_ue8m0.hpp"
#include "nuq/numeric/unit_params.hpp"
#include "nuq/tensor.hpp"

namespace nuq::format {

/// The dtype scales are stored in.
inline dtype scale_dtype(scale_encoding e, dtype weight_type) {
    switch (e) {
    case scale_encoding::e4m3: return dtype::float8_e4m3fn;
    case scale_encoding::ue8m0: return dtype::uint8;
    default: return weight_type;
    }
}

/// Writes float values (exact in `type`) as a tensor of that dtype.
inline tensor encode_floats(std::string name, dtype type, std::vector<std::int64_t> shape,
                            std::vector<float> const& v) {
    tensor t(std::move(name), type, std::move(shape));
    for (std::size_t i = 0; i < v.size(); ++i) {
        switch (type) {
        case dtype::bfloat16: t.as<std::uint16_t>()[i] = bfloat16_t(v[i]).bits; break;
        case dtype::float16: t.as<std::uint16_t>()[i] = float16_t(v[i]).bits; break;
        case dtype::float32: t.as<float>()[i] = v[i]; break;
        case dtype::float8_e4m3fn: t.as<std::uint8_t>()[i] = float_e4m3_t(v[i]).bits; break;
        default:
            throw error("format.dtype", t.name, "cannot store floats as " +
                                                    std::string(torch_name(type)));
        }
    }
    return t;
}

/// Reads any float tensor (bf16, f16, f32, fp8) as exact float values.
inline std::vector<float> decode_floats(tensor_ref const& t, std::string const& where) {
    auto const n = static_cast<std::size_t>(t.numel());
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) {
        switch (t.type) {
        case dtype::bfloat16: v[i] = float(bfloat16_t::from_bits(t.at<std::uint16_t>(i))); break;
        case dtype::float16: v[i] = float(float16_t::from_bits(t.at<std::uint16_t>(i))); break;
        case dtype::float32: v[i] = t.at<float>(i); break;
        case dtype::float8_e4m3fn: v[i] = e4m3_values[t.at<std::uint8_t>(i)]; break;
        default:
            throw error("format.dtype", where,
                        "tensor has dtype " + std::string(torch_name(t.type)),
                        "a floating-point dtype (bfloat16, float16, float32, float8_e4m3fn)",
                        "this checkpoint was not written by a compressed-tensors compatible tool");
        }
    }
    return v;
}

} // namespace nuq::format
