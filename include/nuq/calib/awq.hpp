#pragma once
// awq: llm-compressor's AWQModifier as a transform applied one decoder layer at a time
// (docs/ALGORITHMS.md §5). During a layer's calibration pass it keeps, for each of the layer's
// mappings (smooth layer → balance layers), the inputs of the mapping's parent and the mean
// |x| of every input channel. At the layer's end it grid-searches per-channel scales s: the
// balance weights become Q(W·s)/s (memoryless min-max qparams, NVFP4 siblings sharing one
// global scale), the parent runs on its cached inputs, and the point with the least MSE against
// the unquantized parent output wins (the first on ties; identity comes first). The winner is
// applied: balance columns ×s, smooth layer ÷s (smoothing.hpp). AWQ never quantizes; the
// quantizing modifier after it does, on the smoothed weights.
//
// Parents (§5.2): q/k/v → the attention block, gate/up → the MLP block, a single balance layer
// → that Linear. The parent runs in fp32 here, in the model's dtype in the reference, so losses
// agree only to a few digits and a near-tie may pick a neighbouring grid point.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "nuq/calib/layer_context.hpp"
#include "nuq/calib/layer_modules.hpp"
#include "nuq/calib/mapping_sets.hpp"
#include "nuq/calib/smoothing.hpp"
#include "nuq/error.hpp"
#include "nuq/model/decoder.hpp"
#include "nuq/recipe/fused_modules.hpp"
#include "nuq/quant/quantize.hpp"
#include "nuq/quant/quantizer.hpp"
#include "nuq/recipe/modifiers.hpp"

namespace nuq::calib {

/// One point of AWQ's grid: the exponent α, and whether the weight means take part.
struct awq_grid_point {
    double ratio = 0;
    bool duo = false;
    friend bool operator==(awq_grid_point const&, awq_grid_point const&) = default;
};

/// llm-compressor's _get_grid_search_params (§5.5):
///   on    (0, no duo) first, then (i/(n−2), duo) for i = 0…n−2
///   off   (i/(n−1), no duo) for i = 0…n−1
///   both  m = n/2 (rounded down); (i/(m−1), no duo) then (i/(m−1), duo) for i = 0…m−1
/// @throws nuq::error where the reference divides by zero or searches nothing
inline std::vector<awq_grid_point> awq_grid(recipe::duo_scaling duo, int n_grid,
                                            std::string const& where = "n_grid") {
    auto const need = [&](bool ok, int least) {
        if (!ok)
            throw error("calib.awq_n_grid", where, "n_grid " + std::to_string(n_grid),
                        "n_grid ≥ " + std::to_string(least) + " with this duo_scaling",
                        "use the default n_grid: 20");
    };
    std::vector<awq_grid_point> grid;
    switch (duo) {
    case recipe::duo_scaling::on:
        need(n_grid != 2, 3);
        grid.push_back({0.0, false});
        for (int i = 0; i < n_grid - 1; ++i) grid.push_back({double(i) / (n_grid - 2), true});
        break;
    case recipe::duo_scaling::off:
        need(n_grid >= 2, 2);
        for (int i = 0; i < n_grid; ++i) grid.push_back({double(i) / (n_grid - 1), false});
        break;
    case recipe::duo_scaling::both: {
        int const m = n_grid / 2;
        need(m >= 2, 4);
        for (int i = 0; i < m; ++i)
            for (bool d : {false, true}) grid.push_back({double(i) / (m - 1), d});
        break;
    }
    }
    return grid;
}

namespace detail {
/// s / sqrt(max(s)·min(s)) in T, then inf and NaN → 1; a NaN anywhere makes them all NaN.
template <class T>
void normalise(std::vector<T>& s) {
    T hi = s.front(), lo = s.front();
    bool nan = false;
    for (T v : s) nan = nan || std::isnan(v), hi = std::max(hi, v), lo = std::min(lo, v);
    T const d = nan ? std::numeric_limits<T>::quiet_NaN() : std::sqrt(hi * lo);
    for (T& v : s) {
        v = v / d;
        if (!std::isfinite(v)) v = 1;
    }
}
} // namespace detail

/// The scales of one grid point (§5.5 steps 1–2), in the reference's precision: x_mean^α in
/// float32; divided by the float64 w_mean^(1−α) + 1e-4 for duo points (so float64 on);
/// clamped at ≥ 1e-4, normalised.
inline smoothing_scales awq_scales(std::vector<float> const& x_mean,
                                   std::vector<double> const& w_mean, awq_grid_point p) {
    smoothing_scales s;
    s.float64 = p.duo;
    auto const r = static_cast<float>(p.ratio);
    if (p.duo) {
        s.values.resize(x_mean.size());
        for (std::size_t j = 0; j < x_mean.size(); ++j) {
            double const v =
                double(std::pow(x_mean[j], r)) / (std::pow(w_mean[j], 1.0 - p.ratio) + 1e-4);
            s.values[j] = v < 1e-4 ? 1e-4 : v;
        }
        detail::normalise(s.values);
        return s;
    }
    std::vector<float> f(x_mean.size());
    for (std::size_t j = 0; j < f.size(); ++j) {
        float const v = std::pow(x_mean[j], r); // 0^0 = 1: α = 0 is the identity
        f[j] = v < 1e-4f ? 1e-4f : v;
    }
    detail::normalise(f);
    s.values.assign(f.begin(), f.end());
    return s;
}

/// Adds one balance weight's share of w_mean (§5.5): |W| in D divided by (the max of its
/// quantization chunk + 1e-6) in D, summed per column in float64 into `sum`; `rows` counts
/// the rows. Chunks are the flattened weight cut per tensor, row or group, or its tiles.
template <weight_element D>
void add_weight_means(xt::xtensor<float, 2> const& w, quant_args const& a, std::vector<double>& sum,
                      std::int64_t& rows, std::string const& where) {
    auto const R = static_cast<std::int64_t>(w.shape(0)), C = static_cast<std::int64_t>(w.shape(1));
    auto const fail = [&](std::string const& found) {
        throw error("calib.awq_weight_chunks", where, found, "",
                    "use a group size or block shape that divides the weight");
    };
    std::int64_t bh = 0, bw = 0, chunk = 0; // tiles bh×bw, or flat chunks of `chunk` values
    switch (a.strategy_or_tensor()) {
    case quant_strategy::tensor: chunk = R * C; break;
    case quant_strategy::channel: chunk = C; break;
    case quant_strategy::group:
    case quant_strategy::tensor_group:
        chunk = a.group_size.value_or(0);
        if (chunk <= 0 || (R * C) % chunk != 0)
            fail(std::to_string(R * C) + " weights in groups of " + std::to_string(chunk));
        break;
    case quant_strategy::block:
        bh = (*a.block_structure)[0], bw = (*a.block_structure)[1];
        if (R % bh != 0 || C % bw != 0)
            fail("a [" + std::to_string(R) + ", " + std::to_string(C) + "] weight in [" +
                 std::to_string(bh) + ", " + std::to_string(bw) + "] blocks");
        break;
    default: fail("weight strategy " + std::string(to_string(a.strategy_or_tensor())));
    }
    auto const chunk_of = [&](std::int64_t r, std::int64_t c) {
        return bh ? (r / bh) * (C / bw) + c / bw : (r * C + c) / chunk;
    };
    std::vector<float> top(static_cast<std::size_t>(bh ? (R / bh) * (C / bw) : R * C / chunk),
                           0.0f);
    for (std::int64_t r = 0; r < R; ++r)
        for (std::int64_t c = 0; c < C; ++c) {
            auto& t = top[static_cast<std::size_t>(chunk_of(r, c))];
            t = std::max(t, std::abs(w(r, c)));
        }
    for (auto& t : top) t = round_to<D>(t + 1e-6f);
    if (sum.empty()) sum.assign(static_cast<std::size_t>(C), 0.0);
    for (std::int64_t r = 0; r < R; ++r)
        for (std::int64_t c = 0; c < C; ++c)
            sum[static_cast<std::size_t>(c)] +=
                round_to<D>(std::abs(w(r, c)) / top[static_cast<std::size_t>(chunk_of(r, c))]);
    rows += R;
}

/// AWQModifier, one decoder layer at a time.
class awq {
public:
    /// Resolves the mappings (the recipe's, else the Llama-family default of §5.3) over every
    /// layer.
    /// @param module_names every module of the model (Linear and norm modules)
    /// @param weight_args  the quantizing modifiers' weight args of each Linear
    /// @throws nuq::error naming m.info.path when no mapping resolves to a set AWQ can smooth;
    ///         for a mapping that matches badly (mapping_sets.hpp); for duo scaling with a
    ///         tensor-strategy balance layer; for an n_grid the reference cannot search
    awq(recipe::awq_modifier const& m, model::config const& c,
        std::vector<std::string> const& module_names, weight_args_fn const& weight_args)
        : duo_(m.duo), grid_(awq_grid(m.duo, m.n_grid, m.info.path + ".n_grid")),
          sets_(static_cast<std::size_t>(c.num_hidden_layers), "calib.awq_layer", "AWQ") {
        auto const mappings = m.mappings.value_or(default_mappings(m.info.path));
        for (auto const& mapping : mappings)
            for (auto& lm : resolve_mapping(mapping.path, mapping.smooth_layer,
                                            mapping.balance_layers, module_names, c))
                add(std::move(lm), mapping, c, weight_args);
        if (resolved() == 0)
            throw error("calib.awq_mappings", m.info.path,
                        "no AWQ mapping resolves to a layer it can smooth" +
                            (sets_.skipped.empty()
                                 ? std::string()
                                 : " (" + std::to_string(sets_.skipped.size()) +
                                       " skipped, e.g. " + sets_.skipped.front() + ")"),
                        "at least one mapping with a quantized layer",
                        "quantize the balance layers with a QuantizationModifier or "
                        "GPTQModifier after the AWQModifier, or fix `mappings`");
    }

    /// Mappings resolved to a layer set that will be smoothed, over all layers.
    [[nodiscard]] std::size_t resolved() const { return sets_.resolved(); }
    /// Sets left alone, each with why: at resolution (grouped-query v→o, no balance layer, no
    /// quantized balance layer) or at a layer's end (no calibration inputs, non-finite output).
    [[nodiscard]] std::vector<std::string> skipped() const { return sets_.skipped; }
    [[nodiscard]] std::vector<mapping_report> const& report() const { return sets_.report; }

    /// Starts caching the inputs this layer's mappings need; observe() feeds this layer until
    /// the next begin_layer. Several layers may be begun before their ends (basic pipeline).
    void begin_layer(layer_context const& ctx) {
        sets_.begin_layer(ctx, [](plan const& p, layer_inputs& inputs) {
            inputs[index(balance_input(p.mapping))].keep = true;
            inputs[index(p.stat_input)].sum = true;
        });
    }

    /// The tap of the calibration pass: `batch` sequences of `seq` rows of `cols` inputs.
    void observe(model::linear_input in, float const* x, std::int64_t batch, std::int64_t seq,
                 std::int64_t cols) {
        auto& s = sets_.observed(in);
        auto const rows = batch * seq;
        if (s.keep) {
            xt::xtensor<float, 3> b =
                xt::empty<float>({static_cast<std::size_t>(batch), static_cast<std::size_t>(seq),
                                  static_cast<std::size_t>(cols)});
            std::copy(x, x + rows * cols, b.data());
            s.batches.push_back(std::move(b));
        }
        if (!s.sum) return;
        if (s.abs_sum.empty()) s.abs_sum.assign(static_cast<std::size_t>(cols), 0.0);
        for (std::int64_t r = 0; r < rows; ++r)
            for (std::int64_t j = 0; j < cols; ++j) s.abs_sum[j] += std::abs(x[r * cols + j]);
        s.tokens += rows;
    }

    /// Grid search and smoothing for this layer's mappings, in mapping order; frees the caches.
    void end_layer(layer_context const& ctx, model::layer_weights& w) {
        sets_.end_layer(ctx, [&](std::vector<plan> const& plans, layer_inputs const& inputs) {
            visit_weight_type(ctx.weight_dtype, [&](auto type) {
                using D = typename decltype(type)::type;
                for (auto const& p : plans) search_and_smooth<D>(p, inputs, ctx, w);
            });
        });
    }

private:
    enum class parent_kind { attention, mlp, linear };

    /// A resolved set and what its search needs.
    struct plan {
        layer_mapping mapping;
        parent_kind parent = parent_kind::linear;
        model::linear_input stat_input{};            ///< whose mean |x| sets the scales
        std::vector<std::optional<quant_args>> args; ///< per balance layer
        std::vector<std::vector<std::size_t>> fused; ///< balance layers sharing a global scale
    };

    /// A Linear-group input of a layer being calibrated.
    struct input_cache {
        bool keep = false, sum = false; ///< a parent reads it / a mapping's scales use it
        std::vector<xt::xtensor<float, 3>> batches;
        std::vector<double> abs_sum; ///< Σ|x| per channel
        std::int64_t tokens = 0;
    };
    using layer_inputs = layer_sets<plan, input_cache>::inputs;

    static std::size_t index(model::linear_input in) { return static_cast<std::size_t>(in); }

    static std::vector<recipe::awq_mapping> default_mappings(std::string const& path) {
        auto const at = [&](int i) {
            return path + ".mappings[" + std::to_string(i) + "] (default)";
        };
        return {
            {at(0), "re:.*input_layernorm$", {"re:.*q_proj$", "re:.*k_proj$", "re:.*v_proj$"}, {}},
            {at(1), "re:.*v_proj$", {"re:.*o_proj$"}, {}},
            {at(2), "re:.*post_attention_layernorm$", {"re:.*gate_proj$", "re:.*up_proj$"}, {}},
            {at(3), "re:.*up_proj$", {"re:.*down_proj$"}, {}}};
    }

    /// Checks one resolved set and files it under its layer, or records why it is skipped.
    void add(layer_mapping lm, recipe::awq_mapping const& mapping, model::config const& c,
             weight_args_fn const& weight_args) {
        auto const name = describe(lm);
        if (lm.balance.empty()) return sets_.skipped.push_back(name + ": no balance layer");
        for (std::size_t b = 0; b < lm.balance.size(); ++b)
            if (!is_norm(lm.smooth_module) &&
                out_features(c, lm.smooth_module) != in_features(c, lm.balance_modules[b]))
                return sets_.skipped.push_back(
                    name + ": " + std::to_string(out_features(c, lm.smooth_module)) +
                    " outputs feed " + std::to_string(in_features(c, lm.balance_modules[b])) +
                    " inputs (grouped-query attention: " + std::to_string(c.num_key_value_heads) +
                    " key/value heads for " + std::to_string(c.num_attention_heads) + ")");
        plan p;
        bool any = false;
        for (std::size_t b = 0; b < lm.balance.size(); ++b) {
            p.args.push_back(weight_args(lm.balance[b]));
            any = any || p.args.back();
            auto const& a = p.args.back();
            if (a && duo_ != recipe::duo_scaling::off &&
                a->strategy_or_tensor() == quant_strategy::tensor)
                throw error("calib.awq_duo_tensor", mapping.path,
                            "duo_scaling with " + lm.balance[b] + " quantized per tensor",
                            "group or channel weight quantization for duo scaling",
                            "set duo_scaling: false, or quantize it per group or channel");
            if (a) require_quantizer(*a, lm.balance[b]);
        }
        // The reference also keeps a set whose only quantized layer is the smooth Linear; its
        // search then fake-quantizes nothing and keeps the identity (or, with duo scaling,
        // divides by zero weight rows).
        if (!any)
            return sets_.skipped.push_back(name + ": none of its balance layers is quantized");

        auto const in = balance_input(lm);
        p.parent = lm.balance.size() == 1           ? parent_kind::linear
                   : in == model::linear_input::qkv ? parent_kind::attention
                                                    : parent_kind::mlp;
        p.stat_input = in;
        if (mapping.activation_hook_target) {
            auto const parent =
                p.parent == parent_kind::linear
                    ? lm.balance.front()
                    : layer_prefix(lm.layer) +
                          (p.parent == parent_kind::attention ? "self_attn" : "mlp");
            auto const hook = locate(parent + "." + *mapping.activation_hook_target);
            if (!hook || is_norm(hook->module))
                throw error("calib.awq_hook_target", mapping.path + ".activation_hook_target",
                            "`" + *mapping.activation_hook_target + "` names no Linear under " +
                                parent,
                            "a Linear inside the parent, e.g. `q_proj` under self_attn",
                            "remove activation_hook_target: a Llama-family layer needs none");
            p.stat_input = *input_of(hook->module);
        }
        // NVFP4 siblings of one fused set observe one global scale over their scaled weights
        std::vector<std::string> tensor_group;
        for (std::size_t b = 0; b < lm.balance.size(); ++b)
            if (p.args[b] && p.args[b]->strategy_or_tensor() == quant_strategy::tensor_group)
                tensor_group.push_back(lm.balance[b]);
        for (auto const& set : recipe::fused_sets(tensor_group)) {
            std::vector<std::size_t> members;
            for (auto const& n : set)
                members.push_back(static_cast<std::size_t>(
                    std::find(lm.balance.begin(), lm.balance.end(), n) - lm.balance.begin()));
            p.fused.push_back(std::move(members));
        }
        auto& sets = sets_.of(lm.layer, lm.smooth);
        p.mapping = std::move(lm);
        sets.push_back(std::move(p));
    }

    /// fn(output values, count) of the parent for each cached batch, with weights `w`.
    template <class Fn>
    static void for_each_parent_output(plan const& p, layer_inputs const& inputs,
                                       layer_context const& ctx, model::layer_weights const& w,
                                       Fn&& fn) {
        for (auto const& x : inputs[index(balance_input(p.mapping))].batches) {
            switch (p.parent) {
            case parent_kind::attention: {
                auto const y = model::attention_output(ctx.cfg, w, ctx.rot, x);
                fn(y.data(), y.size());
                break;
            }
            case parent_kind::mlp: {
                auto const y = model::mlp_output(ctx.cfg, w, x);
                fn(y.data(), y.size());
                break;
            }
            case parent_kind::linear: {
                auto const y =
                    model::linear_output(linear_of(w, p.mapping.balance_modules[0]), x.data(),
                                         static_cast<std::int64_t>(x.shape(0) * x.shape(1)),
                                         ctx.cfg.activations);
                fn(y.data(), y.size());
                break;
            }
            }
        }
    }

    /// The balance weights of grid point `s`: R_D(Q(R_D(W·s)) / s), written into w.
    template <weight_element D>
    void fake_quantize(plan const& p, std::vector<xt::xtensor<float, 2>> const& orig,
                       smoothing_scales const& s, model::layer_weights& w) const {
        auto const n = p.mapping.balance.size();
        std::vector<std::vector<D>> ws(n);
        for (std::size_t b = 0; b < n; ++b) {
            if (!p.args[b]) continue;
            auto const rows = orig[b].shape(0), cols = orig[b].shape(1);
            ws[b].resize(orig[b].size());
            for (std::size_t r = 0; r < rows; ++r)
                for (std::size_t c = 0; c < cols; ++c)
                    ws[b][r * cols + c] =
                        from_float<D>(scaled<D>(orig[b](r, c), s.values[c], s.float64));
        }
        auto const view = [&](std::size_t b) {
            return weight_view<D>{ws[b], static_cast<std::int64_t>(orig[b].shape(0)),
                                  static_cast<std::int64_t>(orig[b].shape(1))};
        };
        std::vector<std::optional<float>> global(n);
        for (auto const& set : p.fused) {
            float a = 0;
            for (auto b : set) a = nan_max(a, absmax(view(b)));
            for (auto b : set) global[b] = scheme::nvfp4::global_scale<D>(a);
        }
        for (std::size_t b = 0; b < n; ++b) {
            if (!p.args[b]) continue;
            quantize_options o;
            o.global_scale = global[b];
            o.where = p.mapping.balance[b];
            auto const& v = ws[b];
            auto const q = nuq::fake_quantize(
                *p.args[b],
                tensor_ref(dtype_of<D>(), {view(b).rows, view(b).cols}, std::as_bytes(std::span(v))),
                o);
            auto& out = linear_of(w, p.mapping.balance_modules[b]).weight;
            auto const rows = out.shape(0), cols = out.shape(1);
            for (std::size_t r = 0; r < rows; ++r)
                for (std::size_t c = 0; c < cols; ++c)
                    out(r, c) = unscaled<D>(q[r * cols + c], s.values[c], s.float64);
        }
    }

    /// The grid search of one set, then its smoothing with the best scales.
    template <weight_element D>
    void search_and_smooth(plan const& p, layer_inputs const& inputs, layer_context const& ctx,
                           model::layer_weights& w) {
        auto const& m = p.mapping;
        auto const& stat = inputs[index(p.stat_input)];
        if (inputs[index(balance_input(m))].batches.empty() || stat.tokens == 0)
            return sets_.skipped.push_back(describe(m) + ": no calibration inputs reached it");
        std::vector<std::vector<float>> reference;
        bool finite = true;
        for_each_parent_output(p, inputs, ctx, w, [&](float const* y, std::size_t n) {
            reference.emplace_back(y, y + n);
            for (std::size_t i = 0; i < n; ++i) finite = finite && std::isfinite(y[i]);
        });
        if (!finite)
            return sets_.skipped.push_back(describe(m) + ": its parent's output is not finite");

        std::vector<float> x_mean(stat.abs_sum.size());
        for (std::size_t j = 0; j < x_mean.size(); ++j)
            x_mean[j] = static_cast<float>(stat.abs_sum[j] / double(stat.tokens));
        std::vector<xt::xtensor<float, 2>> orig;
        for (auto b : m.balance_modules) orig.push_back(linear_of(w, b).weight);
        std::vector<double> w_mean;
        if (duo_ != recipe::duo_scaling::off) {
            std::int64_t rows = 0;
            for (std::size_t b = 0; b < orig.size(); ++b)
                if (p.args[b]) add_weight_means<D>(orig[b], *p.args[b], w_mean, rows, m.balance[b]);
            for (auto& v : w_mean) v /= double(rows);
        }

        mapping_report r{m.smooth, m.balance};
        std::optional<smoothing_scales> best;
        double best_loss = std::numeric_limits<double>::infinity();
        for (std::size_t g = 0; g < grid_.size(); ++g) {
            auto s = awq_scales(x_mean, w_mean, grid_[g]);
            fake_quantize<D>(p, orig, s, w);
            double sum = 0, count = 0;
            std::size_t batch = 0;
            for_each_parent_output(p, inputs, ctx, w, [&](float const* y, std::size_t n) {
                auto const& ref = reference[batch++];
                for (std::size_t i = 0; i < n; ++i)
                    sum += double(ref[i] - y[i]) * double(ref[i] - y[i]);
                count += double(n);
            });
            double const loss = sum / count;
            if (g == 0) r.initial_loss = loss;
            if (loss < best_loss) {
                best_loss = loss;
                best = std::move(s);
                r.ratio = grid_[g].ratio;
                r.duo = grid_[g].duo;
            }
        }
        for (std::size_t b = 0; b < orig.size(); ++b)
            linear_of(w, m.balance_modules[b]).weight = orig[b];
        if (!best)
            throw error("calib.awq_loss", describe(m), "no grid point gave a finite loss",
                        "a finite MSE at the parent's output",
                        "the layer produces NaN or inf: check the model and calibration data");
        for (std::size_t b = 0; b < orig.size(); ++b)
            scale_columns<D>(linear_of(w, m.balance_modules[b]).weight, *best);
        unscale_smooth<D>(w, m.smooth_module, *best);
        r.best_loss = best_loss;
        sets_.report.push_back(std::move(r));
    }

    recipe::duo_scaling duo_;
    std::vector<awq_grid_point> grid_;
    layer_sets<plan, input_cache> sets_; ///< resolved sets and input caches by layer
};

} // namespace nuq::calib
