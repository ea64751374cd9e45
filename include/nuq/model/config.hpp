#pragma once
// config: the Llama-family decoder hyper-parameters of a Hugging Face config.json (Llama 2/3,
// Mistral, Qwen2, Qwen3), with transformers' defaults where a key is missing.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "nuq/error.hpp"

namespace nuq::model {

/// transformers' `rope_scaling` / `rope_parameters`: "default", "linear" or "llama3".
struct rope_scaling {
    std::string type = "default";
    double factor = 1.0;
    double low_freq_factor = 1.0;  ///< llama3
    double high_freq_factor = 4.0; ///< llama3
    double original_max_position_embeddings = 8192; ///< llama3
};

/// The dtype a forward rounds its activations to after every operation (not a config.json key).
enum class act_dtype { f32, bf16, f16 };

struct config {
    std::string model_type; ///< llama, mistral, qwen2, qwen3
    std::string dtype;      ///< the stored weights' torch dtype ("bfloat16", ...), if given
    std::int64_t hidden_size = 0;
    std::int64_t intermediate_size = 0;
    std::int64_t num_hidden_layers = 0;
    std::int64_t num_attention_heads = 0;
    std::int64_t num_key_value_heads = 0;
    std::int64_t head_dim = 0;
    std::int64_t vocab_size = 0;
    double rms_norm_eps = 1e-6;
    double rope_theta = 10000.0;
    rope_scaling rope;
    bool tie_word_embeddings = false;
    bool attention_bias = false; ///< q/k/v (and for Llama o) carry a bias; always so for Qwen2
    bool qk_norm = false;        ///< Qwen3: RMSNorm over each head of q and k before rotary
    /// f32 (the default): an fp32 forward, as the reference's perplexity runs. The model's own
    /// dtype (`activations_of`): as transformers runs a model loaded in bf16/f16, which is how
    /// llm-compressor calibrates; its Hessians and activation scales see those roundings.
    act_dtype activations = act_dtype::f32;
};

/// The activation dtype of a model run in its stored dtype.
inline act_dtype activations_of(config const& c) {
    if (c.dtype == "bfloat16") return act_dtype::bf16;
    if (c.dtype == "float16") return act_dtype::f16;
    return act_dtype::f32;
}

namespace detail {

inline std::int64_t required_int(nlohmann::json const& j, char const* key) {
    auto const it = j.find(key);
    if (it == j.end() || !it->is_number_integer() || it->get<std::int64_t>() <= 0)
        throw error("model.config", std::string("config.json, \"") + key + '"',
                    it == j.end() ? "is missing" : "is " + it->dump(), "a positive integer",
                    "copy config.json again from the original model");
    return it->get<std::int64_t>();
}

inline double number_or(nlohmann::json const& j, char const* key, double fallback) {
    auto const it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

inline bool bool_or(nlohmann::json const& j, char const* key, bool fallback) {
    auto const it = j.find(key);
    return it != j.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

/// transformers ≥ 5 writes `rope_parameters` (theta included); older ones `rope_scaling`.
inline void read_rope(nlohmann::json const& j, config& c) {
    c.rope_theta = number_or(j, "rope_theta", c.rope_theta);
    for (char const* key : {"rope_scaling", "rope_parameters"}) {
        auto const it = j.find(key);
        if (it == j.end() || !it->is_object()) continue;
        auto const& r = *it;
        c.rope_theta = number_or(r, "rope_theta", c.rope_theta);
        auto const type = r.value("rope_type", r.value("type", std::string("default")));
        if (type != "default" && type != "linear" && type != "llama3")
            throw error("model.rope", std::string("config.json, \"") + key + '"',
                        "rope type \"" + type + '"', "default, linear or llama3",
                        "this rope scaling is not implemented");
        c.rope.type = type;
        c.rope.factor = number_or(r, "factor", 1.0);
        c.rope.low_freq_factor = number_or(r, "low_freq_factor", 1.0);
        c.rope.high_freq_factor = number_or(r, "high_freq_factor", 4.0);
        c.rope.original_max_position_embeddings =
            number_or(r, "original_max_position_embeddings", 8192);
    }
}

} // namespace detail

/// Reads a decoder config; throws nuq::error for another architecture or a missing size.
inline config parse_config(nlohmann::json const& j) {
    config c;
    c.model_type = j.value("model_type", std::string());
    if (c.model_type != "llama" && c.model_type != "mistral" && c.model_type != "qwen2" &&
        c.model_type != "qwen3")
        throw error("model.architecture", "config.json, \"model_type\"",
                    '"' + c.model_type + '"', "llama, mistral, qwen2 or qwen3",
                    "nuq runs only Llama-family decoders; quantize this model data-free "
                    "(weight-only RTN) instead");
    c.hidden_size = detail::required_int(j, "hidden_size");
    c.intermediate_size = detail::required_int(j, "intermediate_size");
    c.num_hidden_layers = detail::required_int(j, "num_hidden_layers");
    c.num_attention_heads = detail::required_int(j, "num_attention_heads");
    c.num_key_value_heads = j.contains("num_key_value_heads") && !j["num_key_value_heads"].is_null()
                                ? detail::required_int(j, "num_key_value_heads")
                                : c.num_attention_heads;
    c.head_dim = j.contains("head_dim") && !j["head_dim"].is_null()
                     ? detail::required_int(j, "head_dim")
                     : c.hidden_size / c.num_attention_heads;
    c.vocab_size = detail::required_int(j, "vocab_size");
    if (c.num_attention_heads % c.num_key_value_heads != 0)
        throw error("model.config", "config.json",
                    std::to_string(c.num_attention_heads) + " attention heads over " +
                        std::to_string(c.num_key_value_heads) + " key/value heads",
                    "a multiple", "copy config.json again from the original model");
    c.rms_norm_eps = detail::number_or(j, "rms_norm_eps", c.rms_norm_eps);
    detail::read_rope(j, c);
    for (char const* key : {"dtype", "torch_dtype"}) // transformers ≥ 5 writes "dtype"
        if (auto const it = j.find(key); it != j.end() && it->is_string()) {
            c.dtype = it->get<std::string>();
            break;
        }
    c.tie_word_embeddings = detail::bool_or(j, "tie_word_embeddings", false);
    c.attention_bias = c.model_type == "qwen2" || detail::bool_or(j, "attention_bias", false);
    c.qk_norm = c.model_type == "qwen3";
    return c;
}

} // namespace nuq::model
