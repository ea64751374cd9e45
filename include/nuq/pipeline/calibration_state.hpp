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
#include "nuq/model/weights.hpp"
#include "nuq/quant/quantized_weight.hpp"

namespace nuq::pipeline {

/// What --report says about one quantized Linear.
struct calibration_report {
    std::string algorithm;               ///< "GPTQ" when GPTQ quantized it (else RTN at write)
    std::string smoothed_by;             ///< "AWQ" or "SmoothQuant" when one balanced it
    std::optional<double> gptq_loss;     ///< as llm-compressor logs it
    std::optional<double> awq_loss;      ///< best parent-output MSE of the mapping that balanced it
    std::optional<double> awq_initial_loss;
    bool gptq_fell_back = false;
    std::string scheme, format;          ///< filled by the writer
    std::optional<double> weight_sqnr_db;        ///< 10·log10(Σw² / Σ(w−q)²), w before quantization
    std::optional<double> output_relative_error; ///< ‖X(w−q)ᵀ‖ / ‖Xwᵀ‖ on the calibration inputs
};

struct calibration_state {
    /// Replaced tensors (full names, e.g. "model.layers.0.input_layernorm.weight"); each value
    /// exact in the tensor's stored dtype.
    std::map<std::string, std::vector<float>> tensors;
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

/// The members of a decoder layer by their module names under the layer's prefix.
struct layer_member {
    char const* name;        ///< e.g. "self_attn.q_proj"
    model::linear model::layer_weights::*linear;
};
inline constexpr layer_member layer_linears[] = {
    {"self_attn.q_proj", &model::layer_weights::q},  {"self_attn.k_proj", &model::layer_weights::k},
    {"self_attn.v_proj", &model::layer_weights::v},  {"self_attn.o_proj", &model::layer_weights::o},
    {"mlp.gate_proj", &model::layer_weights::gate}, {"mlp.up_proj", &model::layer_weights::up},
    {"mlp.down_proj", &model::layer_weights::down},
};
struct layer_vector {
    char const* name;        ///< e.g. "input_layernorm.weight"
    xt::xtensor<float, 1> model::layer_weights::*vector;
};
inline constexpr layer_vector layer_vectors[] = {
    {"input_layernorm.weight", &model::layer_weights::input_norm},
    {"post_attention_layernorm.weight", &model::layer_weights::post_attention_norm},
    {"self_attn.q_norm.weight", &model::layer_weights::q_norm},
    {"self_attn.k_norm.weight", &model::layer_weights::k_norm},
};

/// Decoder layer i as `state` has it: the checkpoint's values with the replaced ones.
inline model::layer_weights load_layer(model::weights const& w, std::int64_t i,
                                       calibration_state const& state) {
    auto layer = w.layer(i);
    auto const prefix = "model.layers." + std::to_string(i) + ".";
    auto const put = [&](std::string const& name, auto& target) {
        auto const it = state.tensors.find(name);
        if (it != state.tensors.end()) std::copy(it->second.begin(), it->second.end(), target.begin());
    };
    for (auto const& m : layer_linears) {
        put(prefix + m.name + ".weight", (layer.*m.linear).weight);
        if ((layer.*m.linear).bias.size()) put(prefix + m.name + ".bias", (layer.*m.linear).bias);
    }
    for (auto const& v : layer_vectors)
        if ((layer.*v.vector).size()) put(prefix + v.name, layer.*v.vector);
    return layer;
}

/// Records in `state` every tensor of layer i that differs from `before`.
inline void record_changes(std::int64_t i, model::layer_weights const& before,
                           model::layer_weights const& after, calibration_state& state) {
    auto const prefix = "model.layers." + std::to_string(i) + ".";
    auto const keep = [&](std::string const& name, auto const& a, auto const& b) {
        if (a.size() && !std::equal(a.begin(), a.end(), b.begin()))
            state.tensors[name].assign(b.begin(), b.end());
    };
    for (auto const& m : layer_linears) {
        keep(prefix + m.name + ".weight", (before.*m.linear).weight, (after.*m.linear).weight);
        keep(prefix + m.name + ".bias", (before.*m.linear).bias, (after.*m.linear).bias);
    }
    for (auto const& v : layer_vectors) keep(prefix + v.name, before.*v.vector, after.*v.vector);
}

} // namespace nuq::pipeline
