#pragma once
// calibration_state: what the calibrated pipelines leave for the checkpoint writer, by name:
// tensors whose values changed (AWQ/SmoothQuant smoothing, GPTQ's fake-quantized weights),
// the qparams GPTQ fixed, and the activation qparams the observers produced. A later
// modifier's run (independent pipeline) starts from the model as this state describes it.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nuq/calib/input_qparams.hpp"
#include "nuq/pipeline/calibration_report.hpp"
#include "nuq/calib/layer_modules.hpp"
#include "nuq/model/weights.hpp"
#include "nuq/pipeline/changed_tensors.hpp"
#include "nuq/quant/quantized_weight.hpp"

namespace nuq::pipeline {

struct calibration_state {
    /// Replaced tensors (full names, e.g. "model.layers.0.input_layernorm.weight"); each value
    /// exact in the tensor's stored dtype. On disk, not in memory.
    changed_tensors tensors;
    std::map<std::string, quantized_weight> fixed_qparams; ///< by module: GPTQ's
    std::map<std::string, calib::input_qparams> inputs;    ///< by module: calibrated inputs
    std::map<std::string, calibration_report> reports;          ///< by module
    std::vector<std::string> warnings;                     ///< e.g. GPTQ Cholesky fallbacks

    /// --report only: the weights GPTQ replaced, as they were before (by module), and XᵀX/n
    /// of each Linear input of the final float model (by input_key).
    bool keep_for_report = false;
    std::map<std::string, std::vector<float>> unquantized;
    std::map<std::string, xt::xtensor<float, 2>> input_gram;
};

/// fn(tensor name, values) for every tensor of decoder layer `w` under `prefix`: the Linears'
/// weights and biases, the norms' γ (with Qwen3's q/k norms).
template <class Weights, class Fn>
void for_each_layer_tensor(Weights& w, std::string const& prefix, Fn&& fn) {
    for (auto const& e : calib::detail::layer_module_names) {
        auto const name = prefix + std::string(e.suffix);
        if (calib::is_norm(e.module)) {
            fn(name + ".weight", e.module == calib::layer_module::input_norm ? w.input_norm
                                                                              : w.post_attention_norm);
            continue;
        }
        auto& l = calib::linear_of(w, e.module);
        fn(name + ".weight", l.weight);
        fn(name + ".bias", l.bias);
    }
    fn(prefix + "self_attn.q_norm.weight", w.q_norm);
    fn(prefix + "self_attn.k_norm.weight", w.k_norm);
}

/// Decoder layer i as `state` has it: the checkpoint's values with the replaced ones.
inline model::layer_weights load_layer(model::weights const& w, std::int64_t i,
                                       calibration_state const& state) {
    auto layer = w.layer(i);
    for_each_layer_tensor(layer, calib::layer_prefix(i), [&](std::string const& name, auto& t) {
        auto const v = state.tensors.get(name);
        if (v && t.size() == v->size()) std::copy(v->begin(), v->end(), t.begin());
    });
    return layer;
}

/// Records in `state` every tensor of layer i that differs from `before`.
inline void record_changes(std::int64_t i, model::layer_weights const& before,
                           model::layer_weights const& after, calibration_state& state) {
    std::vector<std::pair<std::string, std::vector<float>>> old;
    for_each_layer_tensor(before, calib::layer_prefix(i), [&](std::string const& name, auto const& t) {
        old.emplace_back(name, std::vector<float>(t.begin(), t.end()));
    });
    std::size_t k = 0;
    for_each_layer_tensor(after, calib::layer_prefix(i), [&](std::string const& name, auto const& t) {
        auto const& a = old[k++].second;
        if (!a.empty() && !std::equal(a.begin(), a.end(), t.begin(), t.end()))
            state.tensors.put(name, std::vector<float>(t.begin(), t.end()));
    });
}

} // namespace nuq::pipeline
