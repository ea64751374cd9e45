#pragma once
// smoothing: per-channel scales s applied to one mapping of a decoder layer as llm-compressor's
// AWQ and SmoothQuant apply them (ALGORITHMS.md §5.7, §6): the columns of every balance Linear
// ×s, the smooth layer's output ÷s (a norm's γ, or the last len(s) rows of a Linear and its
// bias). The layer's function is unchanged up to rounding.
//
// PyTorch computes weight·s in the promoted dtype of the two (float64 for AWQ's duo scales,
// which divide by float64 weight means; float32 otherwise) and stores the result in the
// weight's dtype; every changed value here is rounded the same way.
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "nuq/calib/layer_modules.hpp"
#include "nuq/error.hpp"
#include "nuq/model/weights.hpp"
#include "nuq/numeric/dtype.hpp"
#include "nuq/numeric/rounding.hpp"

namespace nuq::calib {

/// What a smoothing transform did for one mapping of one layer.
struct mapping_report {
    std::string smooth;
    std::vector<std::string> balance;
    double ratio = 0;        ///< AWQ: the grid point's α; SmoothQuant: smoothing_strength
    bool duo = false;        ///< AWQ: the point used the weight means
    double initial_loss = 0; ///< AWQ: the parent's MSE at the first grid point (identity)
    double best_loss = 0;    ///< AWQ: at the point chosen
};

/// Per-channel scales, and the precision PyTorch multiplies weights by them in.
struct smoothing_scales {
    std::vector<double> values;
    bool float64 = false; ///< else the values are float32 values
};

/// fn(std::type_identity<D>{}) for the element type D of a weight dtype.
template <class Fn>
decltype(auto) visit_weight_type(dtype t, Fn&& fn) {
    switch (t) {
    case dtype::bfloat16: return fn(std::type_identity<bfloat16_t>{});
    case dtype::float16: return fn(std::type_identity<float16_t>{});
    case dtype::float32: return fn(std::type_identity<float>{});
    default:
        throw error("calib.weight_dtype", "layer_context.weight_dtype",
                    "weights of dtype " + std::string(torch_name(t)),
                    "bfloat16, float16 or float32", "smooth a checkpoint with float weights");
    }
}

/// R_D(x·s), the product taken in the scales' precision.
template <weight_element D>
float scaled(float x, double s, bool float64) {
    return round_to<D>(float64 ? static_cast<float>(double(x) * s) : x * static_cast<float>(s));
}

/// R_D(x/s), the quotient taken in the scales' precision.
template <weight_element D>
float unscaled(float x, double s, bool float64) {
    return round_to<D>(float64 ? static_cast<float>(double(x) / s) : x / static_cast<float>(s));
}

/// A balance Linear's weight [out, in]: column j ×s_j, rounded to D.
template <weight_element D>
void scale_columns(xt::xtensor<float, 2>& w, smoothing_scales const& s) {
    for (std::size_t r = 0; r < w.shape(0); ++r)
        for (std::size_t c = 0; c < w.shape(1); ++c)
            w(r, c) = scaled<D>(w(r, c), s.values[c], s.float64);
}

/// The smooth layer's output channels ÷s, rounded to D: a norm's γ, or the last len(s) rows
/// of a Linear and of its bias (all of them unless a fused output is smoothed in part).
template <weight_element D>
void unscale_smooth(model::layer_weights& w, layer_module smooth, smoothing_scales const& s) {
    auto const n = s.values.size();
    if (is_norm(smooth)) {
        auto& gamma = norm_of(w, smooth);
        for (std::size_t j = 0; j < n; ++j)
            gamma(j) = unscaled<D>(gamma(j), s.values[j], s.float64);
        return;
    }
    auto& l = linear_of(w, smooth);
    auto const rows = l.weight.shape(0), cols = l.weight.shape(1);
    for (std::size_t r = rows - n; r < rows; ++r) {
        auto const sr = s.values[r - (rows - n)];
        for (std::size_t c = 0; c < cols; ++c)
            l.weight(r, c) = unscaled<D>(l.weight(r, c), sr, s.float64);
        if (l.bias.size() != 0) l.bias(r) = unscaled<D>(l.bias(r), sr, s.float64);
    }
}

} // namespace nuq::calib
