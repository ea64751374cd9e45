#pragma once
// weight_view<D>: a row-major 2-D weight of element type D, and visit_weight, which calls a
// function with the typed view of a stored tensor of any float dtype.
#include <cstdint>
#include <span>
#include <string>

#include "nuq/error.hpp"
#include "nuq/numeric/rounding.hpp"
#include "nuq/tensor.hpp"

namespace nuq {

template <weight_element D>
struct weight_view {
    std::span<D const> data;
    std::int64_t rows = 0, cols = 0;
    [[nodiscard]] D const* row(std::int64_t r) const { return data.data() + r * cols; }
};

/// fn(weight_view<D>) for the dtype of t (bf16, f16 or f32), t seen as [rows, cols].
/// Storage from safetensors is little-endian and suitably aligned for D.
template <class Fn>
decltype(auto) visit_weight(tensor_ref const& t, std::string const& where, Fn&& fn) {
    if (t.shape.size() != 2)
        throw error("quant.weight_shape", where,
                    "weight has " + std::to_string(t.shape.size()) + " dimensions",
                    "a 2-D [out_features, in_features] weight", "ignore this module");
    auto view = [&](auto* tag) {
        using D = std::remove_pointer_t<decltype(tag)>;
        return weight_view<D>{{reinterpret_cast<D const*>(t.bytes.data()),
                               static_cast<std::size_t>(t.numel())},
                              t.shape[0], t.shape[1]};
    };
    switch (t.type) {
    case dtype::bfloat16: return fn(view(static_cast<bfloat16_t*>(nullptr)));
    case dtype::float16: return fn(view(static_cast<float16_t*>(nullptr)));
    case dtype::float32: return fn(view(static_cast<float*>(nullptr)));
    default:
        throw error("quant.weight_dtype", where,
                    "weight has dtype " + std::string(torch_name(t.type)),
                    "bfloat16, float16 or float32",
                    "decompress the checkpoint first, or ignore this module");
    }
}

} // namespace nuq
