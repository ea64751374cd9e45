#pragma once
// layer_step: one modifier's part in a calibrated run, driven one decoder layer at a time
// (llm-compressor's lifecycle, docs/ALGORITHMS.md §3.2: hooks observe during the layer's
// calibration pass, then the modifier acts at the layer's epoch end). Also the step every
// quantizing modifier has: observing the static / "local" inputs of the Linears it quantizes.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nuq/calib/activation_observer.hpp"
#include "nuq/calib/input_qparams.hpp"
#include "nuq/calib/layer_context.hpp"
#include "nuq/calib/layer_modules.hpp"
#include "nuq/model/decoder.hpp"
#include "nuq/pipeline/calibration_state.hpp"
#include "nuq/recipe/resolve.hpp"

namespace nuq::pipeline {

using calib::layer_context;

class layer_step {
public:
    virtual ~layer_step() = default;
    /// Whether end_layer may change weights (then the layer's outputs are computed again).
    [[nodiscard]] virtual bool changes_weights() const = 0;
    /// Layer ctx.index begins: observe() calls that follow are its inputs.
    virtual void begin_layer(layer_context const& ctx) = 0;
    virtual void observe(model::linear_input in, float const* x, std::int64_t batch,
                         std::int64_t seq, std::int64_t cols) = 0;
    /// The layer's epoch end: act on its weights (in the checkpoint's dtype) and record results.
    virtual void end_layer(layer_context const& ctx, model::layer_weights& w,
                           calibration_state& state) = 0;
};

/// The module names under a layer's prefix that read each Linear input ("self_attn.q_proj", ...).
inline std::vector<std::string> readers(model::linear_input in) {
    std::vector<std::string> out;
    for (auto const& e : calib::detail::layer_module_names)
        if (calib::input_of(e.module) == in) out.emplace_back(e.suffix);
    return out;
}

/// Calls fn(key, value) for the entries of `map` whose key starts with `prefix`, then removes
/// them: what a step does with a layer's statistics at the layer's end.
template <class Map, class Fn>
void take_layer(Map& map, std::string const& prefix, Fn&& fn) {
    for (auto it = map.begin(); it != map.end();) {
        if (!it->first.starts_with(prefix)) {
            ++it;
            continue;
        }
        fn(it->first, it->second);
        it = map.erase(it);
    }
}

/// The key of a Linear input of a layer ("model.layers.3." + "#2"), and the one a module reads.
inline std::string input_key(std::string const& prefix, model::linear_input in) {
    return prefix + "#" + std::to_string(static_cast<int>(in));
}
inline std::optional<std::string> input_key_of(std::string const& module) {
    for (auto const in : {model::linear_input::qkv, model::linear_input::o,
                          model::linear_input::gate_up, model::linear_input::down})
        for (auto const& leaf : readers(in))
            if (module.ends_with("." + leaf))
                return input_key(module.substr(0, module.size() - leaf.size()), in);
    return std::nullopt;
}

/// The quantized modules of one modifier and their schemes.
inline std::map<std::string, quant_scheme> modules_of(recipe::plan const& plan,
                                                      std::size_t modifier) {
    std::map<std::string, quant_scheme> out;
    for (auto const& m : plan.modules)
        if (m.status == recipe::module_status::quantized && m.modifier == modifier && m.scheme)
            out.emplace(m.name, *m.scheme);
    return out;
}

/// Observers on the static and "local" inputs of a modifier's Linears (§3.4); at the layer's
/// end their qparams go into the state.
class input_observers final : public layer_step {
public:
    input_observers(std::map<std::string, quant_scheme> modules, dtype stat_type)
        : modules_(std::move(modules)), stat_type_(stat_type) {}

    [[nodiscard]] bool empty() const {
        for (auto const& [name, s] : modules_)
            if (calibrated(s)) return false;
        return true;
    }
    [[nodiscard]] bool changes_weights() const override { return false; }

    void begin_layer(layer_context const& ctx) override { prefix_ = ctx.prefix; }

    void observe(model::linear_input in, float const* x, std::int64_t batch, std::int64_t seq,
                 std::int64_t cols) override {
        for (auto const& leaf : readers(in)) {
            auto const name = prefix_ + leaf;
            auto const it = modules_.find(name);
            if (it == modules_.end() || !calibrated(it->second)) continue;
            auto const& a = *it->second.input_activations;
            auto obs = observers_.find(name);
            if (obs == observers_.end()) {
                std::int64_t const group =
                    a.strategy_or_tensor() == quant_strategy::tensor_group ? a.group_size.value_or(16) : 0;
                double const c = a.observer_kwargs.value("averaging_constant", 0.01);
                obs = observers_
                          .emplace(name, calib::activation_observer(
                                             calib::input_observer(a, name + ".input_activations"),
                                             cols, group, stat_type_, c))
                          .first;
            }
            // one observer call per calibration batch of one sequence, as the reference's hooks
            for (std::int64_t b = 0; b < batch; ++b) obs->second.observe(x + b * seq * cols, seq, cols);
        }
    }

    void end_layer(layer_context const& ctx, model::layer_weights&,
                   calibration_state& state) override {
        take_layer(observers_, ctx.prefix, [&](std::string const& name, auto const& obs) {
            auto const& a = *modules_.at(name).input_activations;
            state.inputs[name] =
                calib::input_qparams_of(a, obs, stat_type_, name + ".input_activations");
        });
    }

private:
    static bool calibrated(quant_scheme const& s) {
        return s.input_activations && s.input_activations->dynamic != dynamic_mode::dynamic;
    }

    std::map<std::string, quant_scheme> modules_;
    dtype stat_type_;
    std::string prefix_;
    std::map<std::string, calib::activation_observer> observers_;
};

} // namespace nuq::pipeline
