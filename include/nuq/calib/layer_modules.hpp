#pragma once
// layer_modules: the modules of one Llama-family decoder layer that AWQ and SmoothQuant smooth,
// as model::layer_weights holds them: their checkpoint names ("model.layers.3.mlp.up_proj"),
// their shapes, the Linear-group input each Linear reads (model::linear_input) and the input
// group a module's output becomes, which is where a smoothing scale can be undone.
#include <array>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "nuq/model/config.hpp"
#include "nuq/model/decoder.hpp"
#include "nuq/model/weights.hpp"
#include "nuq/recipe/modules.hpp"

namespace nuq::calib {

enum class layer_module { input_norm, post_attention_norm, q, k, v, o, gate, up, down };

namespace detail {
struct layer_module_name {
    layer_module module;
    std::string_view suffix; ///< the name under the layer's prefix
};
inline constexpr std::array<layer_module_name, 9> layer_module_names{{
    {layer_module::input_norm, "input_layernorm"},
    {layer_module::post_attention_norm, "post_attention_layernorm"},
    {layer_module::q, "self_attn.q_proj"},
    {layer_module::k, "self_attn.k_proj"},
    {layer_module::v, "self_attn.v_proj"},
    {layer_module::o, "self_attn.o_proj"},
    {layer_module::gate, "mlp.gate_proj"},
    {layer_module::up, "mlp.up_proj"},
    {layer_module::down, "mlp.down_proj"},
}};
inline constexpr std::string_view layers_prefix = "model.layers.";
} // namespace detail

/// "model.layers.<i>.": the prefix of decoder layer i's module names.
inline std::string layer_prefix(std::int64_t layer) {
    return std::string(detail::layers_prefix) + std::to_string(layer) + ".";
}

/// The name under the layer prefix, e.g. "self_attn.q_proj".
constexpr std::string_view suffix(layer_module m) {
    for (auto const& e : detail::layer_module_names)
        if (e.module == m) return e.suffix;
    return {};
}

constexpr bool is_norm(layer_module m) {
    return m == layer_module::input_norm || m == layer_module::post_attention_norm;
}

/// The Linear-group input a Linear reads; nullopt for the norms, which read the residual stream.
constexpr std::optional<model::linear_input> input_of(layer_module m) {
    switch (m) {
    case layer_module::q:
    case layer_module::k:
    case layer_module::v: return model::linear_input::qkv;
    case layer_module::o: return model::linear_input::o;
    case layer_module::gate:
    case layer_module::up: return model::linear_input::gate_up;
    case layer_module::down: return model::linear_input::down;
    default: return std::nullopt;
    }
}

/// The input group that is a per-channel multiple of this module's output, so that dividing
/// the output by s and multiplying the group's weight columns by s keeps the layer's function:
/// a norm's output is the q/k/v or gate/up input; v_proj's becomes o_proj's through the
/// attention weights (when the widths agree); up_proj's is a factor of down_proj's.
constexpr std::optional<model::linear_input> output_feeds(layer_module m) {
    switch (m) {
    case layer_module::input_norm: return model::linear_input::qkv;
    case layer_module::post_attention_norm: return model::linear_input::gate_up;
    case layer_module::v: return model::linear_input::o;
    case layer_module::up: return model::linear_input::down;
    default: return std::nullopt;
    }
}

/// Output features of a Linear, or the width of a norm.
inline std::int64_t out_features(model::config const& c, layer_module m) {
    switch (m) {
    case layer_module::q: return c.num_attention_heads * c.head_dim;
    case layer_module::k:
    case layer_module::v: return c.num_key_value_heads * c.head_dim;
    case layer_module::gate:
    case layer_module::up: return c.intermediate_size;
    default: return c.hidden_size;
    }
}

/// Input features of a Linear (the width of its input group), or the width of a norm.
inline std::int64_t in_features(model::config const& c, layer_module m) {
    switch (m) {
    case layer_module::o: return c.num_attention_heads * c.head_dim;
    case layer_module::down: return c.intermediate_size;
    default: return c.hidden_size;
    }
}

/// A module of one decoder layer.
struct layer_module_ref {
    std::int64_t layer = 0;
    layer_module module = layer_module::input_norm;
};

/// Which decoder-layer module `name` is ("model.layers.3.self_attn.q_proj"), if it is one.
inline std::optional<layer_module_ref> locate(std::string_view name) {
    if (!name.starts_with(detail::layers_prefix)) return std::nullopt;
    name.remove_prefix(detail::layers_prefix.size());
    auto const dot = name.find('.');
    auto const index = name.substr(0, dot);
    if (dot == std::string_view::npos || !recipe::detail::all_digits(index)) return std::nullopt;
    auto const rest = name.substr(dot + 1);
    for (auto const& e : detail::layer_module_names)
        if (e.suffix == rest) return layer_module_ref{std::stoll(std::string(index)), e.module};
    return std::nullopt;
}

/// The Linear `m` of a layer's weights (const or not).
template <class Weights>
auto& linear_of(Weights& w, layer_module m) {
    switch (m) {
    case layer_module::q: return w.q;
    case layer_module::k: return w.k;
    case layer_module::v: return w.v;
    case layer_module::o: return w.o;
    case layer_module::gate: return w.gate;
    case layer_module::up: return w.up;
    default: return w.down;
    }
}

/// The γ of norm `m`.
inline xt::xtensor<float, 1>& norm_of(model::layer_weights& w, layer_module m) {
    return m == layer_module::input_norm ? w.input_norm : w.post_attention_norm;
}

/// The class names a compressed-tensors class target can match for a module of this model:
/// its class and nn.Module ("Linear", "LlamaRMSNorm", "Embedding").
inline std::vector<std::string> module_classes(std::string_view name, model::config const& c) {
    auto const leaf = name.substr(name.rfind('.') + 1);
    if (recipe::detail::is_norm(leaf)) {
        // transformers' class prefixes: LlamaRMSNorm, MistralRMSNorm, Qwen2RMSNorm, Qwen3RMSNorm
        std::string arch = c.model_type;
        if (!arch.empty())
            arch[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(arch[0])));
        return {arch + "RMSNorm", "Module"};
    }
    if (recipe::detail::is_embedding(leaf)) return {"Embedding", "Module"};
    return {"Linear", "Module"};
}

} // namespace nuq::calib
