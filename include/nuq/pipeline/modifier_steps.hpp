#pragma once
// modifier_steps: the layer steps each recipe modifier contributes to a calibrated run.
//   QuantizationModifier  observers on its static / "local" inputs
//   GPTQModifier          Hessians and GPTQ on its Linears (docs/ALGORITHMS.md §4.3–§4.5), plus its input observers
//   AWQModifier           the AWQ grid search and smoothing (calib/awq.hpp)
//   SmoothQuantModifier   SmoothQuant smoothing (calib/smoothquant.hpp)
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "nuq/calib/awq.hpp"
#include "nuq/calib/gptq.hpp"
#include "nuq/calib/hessian.hpp"
#include "nuq/calib/smoothquant.hpp"
#include "nuq/error.hpp"
#include "nuq/format/scale_codec.hpp"
#include "nuq/recipe/fused_modules.hpp"
#include "nuq/pipeline/layer_step.hpp"

namespace nuq::pipeline {

namespace detail {

/// The layer_weights member of a decoder-layer Linear (full name).
inline model::linear& member(model::layer_weights& w, std::string const& module) {
    auto const at = calib::locate(module);
    if (!at || calib::is_norm(at->module))
        throw error("calib.module", module, "is not a Linear of a Llama-family decoder layer");
    return calib::linear_of(w, at->module);
}

/// fn(weight_view<D>) over a float matrix stored as the checkpoint's dtype.
template <class Fn>
decltype(auto) as_weight(xt::xtensor<float, 2> const& m, dtype type, std::string const& where,
                         Fn&& fn) {
    std::vector<float> values(m.begin(), m.end());
    auto const t = format::encode_floats(where, type,
                                         {static_cast<std::int64_t>(m.shape(0)),
                                          static_cast<std::int64_t>(m.shape(1))},
                                         values);
    return visit_weight(tensor_ref(t), where, fn);
}

} // namespace detail

/// GPTQ on the Linears a GPTQModifier quantizes: Σ 2·XᵀX of each input during the layer's
/// calibration pass (q/k/v and gate/up share theirs), then at the layer's end each weight is
/// replaced by GPTQ's fake-quantized one and its qparams are fixed for the writer.
class gptq_step final : public layer_step {
public:
    gptq_step(recipe::gptq_modifier const& g, std::map<std::string, quant_scheme> modules,
              int threads, std::ostream* log)
        : modules_(std::move(modules)), threads_(threads), log_(log) {
        options_.block_size = g.block_size;
        options_.dampening_frac = g.dampening_frac.value_or(0.0);
    }

    [[nodiscard]] bool changes_weights() const override { return true; }

    void begin_layer(layer_context const& ctx) override { prefix_ = ctx.prefix; }

    void observe(model::linear_input in, float const* x, std::int64_t batch, std::int64_t seq,
                 std::int64_t cols) override {
        bool used = false;
        for (auto const& leaf : readers(in)) used = used || modules_.contains(prefix_ + leaf);
        if (!used) return;
        auto const key = input_key(prefix_, in);
        auto it = hessians_.find(key);
        if (it == hessians_.end()) it = hessians_.emplace(key, calib::hessian(cols)).first;
        it->second.add(x, batch * seq, batch);
    }

    void end_layer(layer_context const& ctx, model::layer_weights& w,
                   calibration_state& state) override {
        // NVFP4 global scales over each fused set, from the weights before GPTQ changes them
        std::vector<std::string> tensor_group;
        for (auto const& [name, s] : modules_)
            if (name.starts_with(ctx.prefix) && s.weights->strategy == quant_strategy::tensor_group)
                tensor_group.push_back(name);
        std::map<std::string, float> global;
        for (auto const& set : recipe::fused_sets(tensor_group)) {
            float a = 0;
            for (auto const& m : set)
                a = nan_max(a, detail::as_weight(detail::member(w, m).weight,
                                                 ctx.weight_dtype, m, [&](auto v) { return absmax(v, threads_); }));
            for (auto const& m : set)
                global[m] = calib::detail::with_float_type(ctx.weight_dtype, [&](auto d) {
                    return scheme::nvfp4::global_scale<decltype(d)>(a);
                });
        }
        for (auto const in : {model::linear_input::qkv, model::linear_input::o,
                              model::linear_input::gate_up, model::linear_input::down}) {
            auto const key = input_key(ctx.prefix, in);
            for (auto const& leaf : readers(in)) {
                auto const name = ctx.prefix + leaf;
                auto const mod = modules_.find(name);
                if (mod == modules_.end()) continue;
                auto const h = hessians_.find(key);
                if (h == hessians_.end() || h->second.samples() == 0)
                    throw error("calib.gptq_no_inputs", name,
                                "GPTQ saw no calibration inputs for this Linear",
                                "calibration tokens through every decoder layer",
                                "give more calibration samples");
                auto& lin = detail::member(w, name);
                auto o = options_;
                o.where = name;
                o.threads = threads_;
                if (auto g = global.find(name); g != global.end()) o.global_scale = g->second;
                auto res = detail::as_weight(lin.weight, ctx.weight_dtype, name, [&](auto v) {
                    return calib::gptq_quantize(v, h->second.average(), *mod->second.weights, o);
                });
                if (state.keep_for_report)
                    state.unquantized[name].assign(lin.weight.begin(), lin.weight.end());
                std::copy(res.weight.begin(), res.weight.end(), lin.weight.begin());
                auto& report = state.reports[name];
                report.algorithm = "GPTQ";
                report.gptq_loss = res.loss;
                report.gptq_fell_back = res.fell_back;
                if (res.fell_back) state.warnings.push_back(res.warning);
                state.fixed_qparams[name] = std::move(res.qparams);
                if (log_)
                    *log_ << "  GPTQ " << name << ": loss " << res.loss << " ("
                          << h->second.samples() << " samples)" << (res.fell_back ? ", fell back to RTN" : "")
                          << "\n";
            }
            hessians_.erase(key);
        }
    }

private:
    std::map<std::string, quant_scheme> modules_;
    calib::gptq_options options_;
    int threads_;
    std::ostream* log_;
    std::string prefix_;
    std::map<std::string, calib::hessian> hessians_; ///< by layer prefix + input
};

/// A smoothing transform (AWQ or SmoothQuant) as a layer step; its mapping reports go into
/// the state for the Linears it balanced.
template <class Transform>
class smoothing_step final : public layer_step {
public:
    smoothing_step(Transform t, std::string label, std::ostream* log)
        : t_(std::move(t)), label_(std::move(label)), log_(log) {}

    [[nodiscard]] bool changes_weights() const override { return true; }
    void begin_layer(layer_context const& ctx) override { t_.begin_layer(ctx); }
    void observe(model::linear_input in, float const* x, std::int64_t batch, std::int64_t seq,
                 std::int64_t cols) override {
        t_.observe(in, x, batch, seq, cols);
    }
    void end_layer(layer_context const& ctx, model::layer_weights& w,
                   calibration_state& state) override {
        auto const before = t_.report().size();
        t_.end_layer(ctx, w);
        for (auto i = before; i < t_.report().size(); ++i) {
            auto const& r = t_.report()[i];
            for (auto const& b : r.balance) {
                auto& rep = state.reports[b];
                rep.smoothed_by = label_;
                if (label_ == "AWQ") rep.awq_loss = r.best_loss, rep.awq_initial_loss = r.initial_loss;
            }
            if (log_)
                *log_ << "  " << label_ << " " << r.smooth << " -> " << r.balance.size()
                      << " layers: ratio " << r.ratio << (r.duo ? " (duo)" : "")
                      << (label_ == "AWQ" ? ", loss " + std::to_string(r.initial_loss) + " -> " +
                                                std::to_string(r.best_loss)
                                          : std::string())
                      << "\n";
        }
    }

private:
    Transform t_;
    std::string label_;
    std::ostream* log_;
};

/// --report: XᵀX/n of every Linear input of each layer, in the model as calibration left it.
class input_gram_step final : public layer_step {
public:
    [[nodiscard]] bool changes_weights() const override { return false; }
    void begin_layer(layer_context const& ctx) override { prefix_ = ctx.prefix; }
    void observe(model::linear_input in, float const* x, std::int64_t batch, std::int64_t seq,
                 std::int64_t cols) override {
        auto const key = input_key(prefix_, in);
        auto it = grams_.find(key);
        if (it == grams_.end()) it = grams_.emplace(key, calib::hessian(cols)).first;
        it->second.add(x, batch * seq, batch);
    }
    void end_layer(layer_context const& ctx, model::layer_weights&,
                   calibration_state& state) override {
        take_layer(grams_, ctx.prefix, [&](std::string const& key, calib::hessian const& h) {
            state.input_gram[key] = h.average();
        });
    }

private:
    std::string prefix_;
    std::map<std::string, calib::hessian> grams_;
};

inline std::vector<std::unique_ptr<layer_step>> make_steps(
    recipe::plan const& plan, std::size_t mi, model::config const& cfg,
    std::vector<std::string> const& module_names, calib::weight_args_fn const& weight_args,
    dtype type, std::ostream* log, int threads = 0) {
    std::vector<std::unique_ptr<layer_step>> out;
    auto const& m = plan.source.modifiers[mi];
    if (auto const* a = std::get_if<recipe::awq_modifier>(&m)) {
        calib::awq t(*a, cfg, module_names, weight_args);
        if (log)
            *log << a->info.path << ": " << t.resolved() << " AWQ mappings resolved, "
                 << t.skipped().size() << " skipped\n";
        out.push_back(std::make_unique<smoothing_step<calib::awq>>(std::move(t), "AWQ", log));
        return out;
    }
    if (auto const* s = std::get_if<recipe::smoothquant_modifier>(&m)) {
        calib::smoothquant t(*s, cfg, module_names);
        out.push_back(std::make_unique<smoothing_step<calib::smoothquant>>(std::move(t),
                                                                          "SmoothQuant", log));
        return out;
    }
    auto modules = modules_of(plan, mi);
    if (auto const* g = std::get_if<recipe::gptq_modifier>(&m)) {
        std::map<std::string, quant_scheme> weighted;
        for (auto const& [name, s] : modules)
            if (s.weights) weighted.emplace(name, s);
        if (weighted.empty())
            throw error("calib.gptq_nothing", g->info.path,
                        "the GPTQModifier quantizes no Linear's weights",
                        "at least one targeted Linear with weight args",
                        "check its targets, scheme and ignore list");
        for (auto const& [name, s] : weighted)
            if (!name.starts_with("model.layers."))
                throw error("calib.gptq_outside_layers", g->info.path + ": " + name,
                            "GPTQ targets a Linear outside the decoder layers",
                            "decoder-layer Linears (llm-compressor never calibrates lm_head)",
                            "add \"" + name + "\" to the modifier's ignore list");
        out.push_back(std::make_unique<gptq_step>(*g, std::move(weighted), threads, log));
    }
    auto inputs = std::make_unique<input_observers>(std::move(modules), type);
    if (!inputs->empty()) out.push_back(std::move(inputs));
    return out;
}

} // namespace nuq::pipeline
