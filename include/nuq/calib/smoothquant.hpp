#pragma once
// smoothquant: llm-compressor's SmoothQuantModifier as a transform applied one decoder layer at
// a time (docs/ALGORITHMS.md §6). During a layer's calibration pass it keeps the per-channel min and
// max of each mapping's smooth-layer output; at the layer's end it computes the scales
//   smoothquant        s_j = r_j^α / w_j^(1−α), or r_j where w_j = 0
//   log_equalization   s_j = r_j / log2(2 + r_j)
// (r_j = max_j − min_j, w_j = 2·max |W_ij| over the balance layers' rows, α =
// smoothing_strength), at least 1e-5, and applies them (smoothing.hpp).
//
// The reference observes activations in the model's dtype and computes r, w and s in it; each
// of those steps is rounded to that dtype here. The smooth layers are the norms, whose output
// is the q/k/v or gate/up input the calibration tap shows; a Linear smooth layer's output is
// not tapped, so such mappings are refused.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "nuq/calib/layer_context.hpp"
#include "nuq/calib/layer_modules.hpp"
#include "nuq/calib/mapping_sets.hpp"
#include "nuq/calib/smoothing.hpp"
#include "nuq/error.hpp"
#include "nuq/model/decoder.hpp"
#include "nuq/numeric/rounding.hpp"
#include "nuq/recipe/modifiers.hpp"
#include "nuq/recipe/target.hpp"

namespace nuq::calib {

/// SmoothQuant's scales (float32 values) from each channel's observed min and max and the
/// balance weights, every step rounded to D as the reference computes it.
template <weight_element D>
smoothing_scales smoothquant_scales(std::vector<float> const& min, std::vector<float> const& max,
                                    std::vector<xt::xtensor<float, 2> const*> const& balance,
                                    double alpha, recipe::smoothquant_algorithm algorithm) {
    auto const n = min.size();
    std::vector<float> w(n, 0.0f);
    for (auto const* b : balance)
        for (std::size_t r = 0; r < b->shape(0); ++r)
            for (std::size_t j = 0; j < n; ++j) w[j] = nan_max(w[j], std::abs((*b)(r, j)));
    auto const a = static_cast<float>(alpha);
    smoothing_scales s;
    s.values.resize(n);
    for (std::size_t j = 0; j < n; ++j) {
        float const r = round_to<D>(round_to<D>(max[j]) - round_to<D>(min[j]));
        float v = 0;
        if (algorithm == recipe::smoothquant_algorithm::log_equalization) {
            v = round_to<D>(r / round_to<D>(std::log2(round_to<D>(2.0f + r))));
        } else {
            float const wj = round_to<D>(2.0f * w[j]);
            v = wj > 0 ? round_to<D>(round_to<D>(std::pow(r, a)) / round_to<D>(std::pow(wj, 1 - a)))
                       : r;
        }
        s.values[j] = nan_max(v, 1e-5f);
    }
    return s;
}

/// SmoothQuantModifier, one decoder layer at a time.
class smoothquant {
public:
    /// Resolves the mappings (the recipe's, else the Llama-family default) over every layer.
    /// @param module_names every module of the model (Linear and norm modules)
    /// @throws nuq::error naming m.info.path when no mapping resolves; for a mapping that
    ///         matches badly (mapping_sets.hpp) or smooths with a Linear
    smoothquant(recipe::smoothquant_modifier const& m, model::config const& c,
                std::vector<std::string> const& module_names)
        : alpha_(m.smoothing_strength), algorithm_(m.algorithm),
          sets_(static_cast<std::size_t>(c.num_hidden_layers), "calib.smoothquant_layer",
                "SmoothQuant") {
        auto const ignore = recipe::compile_targets(m.ignore.value_or(std::vector<std::string>{}),
                                                    m.info.path + ".ignore");
        auto const ignored = [&](std::string const& name) {
            return recipe::matches_any(ignore, name, module_classes(name, c));
        };
        for (auto const& mapping : m.mappings.value_or(default_mappings(m.info.path)))
            for (auto& lm : resolve_mapping(mapping.path, mapping.smooth_layer,
                                            mapping.balance_layers, module_names, c)) {
                auto const name = describe(lm);
                if (!is_norm(lm.smooth_module))
                    throw error("calib.smoothquant_mapping", mapping.path,
                                "smooth layer " + lm.smooth + " is a Linear",
                                "a norm (input_layernorm or post_attention_layernorm)",
                                "smooth with the norm before the balance layers");
                if (lm.balance.empty()) {
                    sets_.skipped.push_back(name + ": no balance layer");
                    continue;
                }
                if (ignored(lm.smooth) &&
                    std::all_of(lm.balance.begin(), lm.balance.end(), ignored)) {
                    sets_.skipped.push_back(name + ": every layer of it is in `ignore`");
                    continue;
                }
                sets_.of(lm.layer, lm.smooth).push_back(std::move(lm));
            }
        if (resolved() == 0)
            throw error("calib.smoothquant_mappings", m.info.path,
                        "no SmoothQuant mapping resolves to a layer it can smooth" +
                            (sets_.skipped.empty() ? std::string()
                                                   : " (e.g. " + sets_.skipped.front() + ")"),
                        "at least one mapping", "fix `mappings` or `ignore`");
    }

    /// Mappings resolved to a layer set that will be smoothed, over all layers.
    [[nodiscard]] std::size_t resolved() const { return sets_.resolved(); }
    /// Sets left alone, each with why (no balance layer, all ignored, no calibration inputs).
    [[nodiscard]] std::vector<std::string> skipped() const { return sets_.skipped; }
    [[nodiscard]] std::vector<mapping_report> const& report() const { return sets_.report; }

    /// Starts observing the inputs this layer's mappings smooth; observe() feeds this layer
    /// until the next begin_layer. Several layers may be begun before their ends.
    void begin_layer(layer_context const& ctx) {
        sets_.begin_layer(ctx, [](layer_mapping const& lm, auto& ranges) {
            ranges[index(balance_input(lm))].wanted = true;
        });
    }

    /// The tap of the calibration pass: running min and max per channel.
    void observe(model::linear_input in, float const* x, std::int64_t batch, std::int64_t seq,
                 std::int64_t cols) {
        auto& r = sets_.observed(in);
        if (!r.wanted || batch * seq == 0) return;
        if (r.min.empty()) r.min.assign(x, x + cols), r.max.assign(x, x + cols);
        for (std::int64_t t = 0; t < batch * seq; ++t)
            for (std::int64_t j = 0; j < cols; ++j) {
                float const v = x[t * cols + j];
                r.min[j] = nan_min(r.min[j], v), r.max[j] = nan_max(r.max[j], v);
            }
    }

    /// Scales and smoothing for this layer's mappings, in mapping order.
    void end_layer(layer_context const& ctx, model::layer_weights& w) {
        sets_.end_layer(ctx, [&](auto const& sets, auto const& ranges) {
            visit_weight_type(ctx.weight_dtype, [&](auto type) {
                using D = typename decltype(type)::type;
                for (auto const& lm : sets) smooth<D>(lm, ranges[index(balance_input(lm))], w);
            });
        });
    }

private:
    /// The per-channel range of one Linear-group input of a layer being calibrated.
    struct channel_range {
        bool wanted = false;
        std::vector<float> min, max;
    };

    static std::size_t index(model::linear_input in) { return static_cast<std::size_t>(in); }

    static std::vector<recipe::smoothquant_mapping> default_mappings(std::string const& path) {
        auto const at = [&](int i) {
            return path + ".mappings[" + std::to_string(i) + "] (default)";
        };
        return {{at(0), {"re:.*q_proj", "re:.*k_proj", "re:.*v_proj"}, "re:.*input_layernorm"},
                {at(1), {"re:.*gate_proj", "re:.*up_proj"}, "re:.*post_attention_layernorm"}};
    }

    /// One mapping's scales from its observed ranges, applied.
    template <weight_element D>
    void smooth(layer_mapping const& lm, channel_range const& r, model::layer_weights& w) {
        if (r.min.empty())
            return sets_.skipped.push_back(describe(lm) + ": no calibration inputs reached it");
        std::vector<xt::xtensor<float, 2> const*> balance;
        for (auto b : lm.balance_modules) balance.push_back(&linear_of(w, b).weight);
        auto const s = smoothquant_scales<D>(r.min, r.max, balance, alpha_, algorithm_);
        for (auto b : lm.balance_modules) scale_columns<D>(linear_of(w, b).weight, s);
        unscale_smooth<D>(w, lm.smooth_module, s);
        sets_.report.push_back({lm.smooth, lm.balance, alpha_, false, 0, 0});
    }

    double alpha_;
    recipe::smoothquant_algorithm algorithm_;
    layer_sets<layer_mapping, channel_range> sets_; ///< resolved sets and ranges by layer
};

} // namespace nuq::calib
