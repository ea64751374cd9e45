#pragma once
// smoothing: per-channel scales s applied to one mapping of a decoder layer as llm-compressor's
// AWQ and SmoothQuant apply them (docs/ALGORITHMS.md §5.7, §6): the columns of every balance Linear
// ×s, the smooth layer's output ÷s (a norm's γ, or the last len(s) rows of a Linear and its
// bias). The layer's function is unchanged up to rounding.
//
// PyTorch computes weight·s in the promoted dtype of the two (float64 for AWQ's duo scales,
// which divide by float64 weight means; float32 otherwise) and stores the result in the
// weight's dtype; every changed value here is rounded the same way.
//
// layer_sets is the per-layer bookkeeping both transforms keep around that (sets by layer,
// the inputs of layers begun, what was skipped and reported), so the call-order checks and
// their errors are written once.
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "nuq/calib/layer_context.hpp"
#include "nuq/calib/layer_modules.hpp"
#include "nuq/error.hpp"
#include "nuq/model/decoder.hpp"
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

/// A smoothing transform's resolved sets (Set) by decoder layer, and the calibration inputs
/// (an Input per model::linear_input) of each layer begun and not yet ended: the pipelines may
/// begin several layers before their ends (basic pipeline), and observe() feeds the last one
/// begun.
template <class Set, class Input>
class layer_sets {
public:
    using inputs = std::array<Input, 4>; ///< by model::linear_input

    /// @param id    the error id of a bad layer number or call order ("calib.awq_layer")
    /// @param label the transform, where an error has no layer to name ("AWQ")
    layer_sets(std::size_t layers, std::string id, std::string label)
        : id_(std::move(id)), label_(std::move(label)), layers_(layers) {}

    /// The sets of one layer, to add to.
    /// @throws nuq::error (id) naming `where` for a layer outside the model
    std::vector<Set>& of(std::int64_t layer, std::string const& where) {
        return layers_[checked(layer, where)];
    }

    /// Sets over all layers.
    [[nodiscard]] std::size_t resolved() const {
        std::size_t n = 0;
        for (auto const& l : layers_) n += l.size();
        return n;
    }

    /// Fresh inputs for ctx's layer, mark(set, inputs) for each of its sets (to choose what is
    /// kept); observe() feeds this layer from now on.
    template <class Mark>
    void begin_layer(layer_context const& ctx, Mark&& mark) {
        observing_ = checked(ctx.index, ctx.prefix);
        auto& in = inputs_[*observing_];
        in = {};
        for (auto const& s : layers_[*observing_]) mark(s, in);
    }

    /// The input `in` of the layer being observed.
    Input& observed(model::linear_input in) {
        if (!observing_)
            throw error(id_, label_, "inputs observed before any begin_layer", order);
        return inputs_[*observing_][static_cast<std::size_t>(in)];
    }

    /// fn(the layer's sets, its inputs), then frees the inputs.
    template <class Fn>
    void end_layer(layer_context const& ctx, Fn&& fn) {
        auto const layer = checked(ctx.index, ctx.prefix);
        auto const it = inputs_.find(layer);
        if (it == inputs_.end())
            throw error(id_, ctx.prefix, "end_layer without its begin_layer", order);
        fn(std::as_const(layers_[layer]), std::as_const(it->second));
        inputs_.erase(it);
        if (observing_ == layer) observing_.reset();
    }

    std::vector<std::string> skipped; ///< sets left alone, each with why
    std::vector<mapping_report> report;

private:
    static constexpr char const* order =
        "begin_layer, the calibration pass, end_layer for each layer";

    std::size_t checked(std::int64_t layer, std::string const& where) const {
        if (layer < 0 || layer >= static_cast<std::int64_t>(layers_.size()))
            throw error(id_, where, "layer " + std::to_string(layer),
                        "0 ≤ layer < " + std::to_string(layers_.size()) + " (config.json)",
                        "pass the module names and config of one model");
        return static_cast<std::size_t>(layer);
    }

    std::string id_, label_;
    std::vector<std::vector<Set>> layers_; ///< in mapping order
    std::map<std::size_t, inputs> inputs_;
    std::optional<std::size_t> observing_;
};

} // namespace nuq::calib
