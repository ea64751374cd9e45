#pragma once
// Which modules of a checkpoint are `Linear`, and in which order PyTorch would list them.
//
// A safetensors checkpoint has no classes, so nuq decides from tensor names, shapes and
// config.json, the way compressed-tensors' model-free `match_quantizable_tensors` does:
// a module is Linear when it owns a 2-D `weight` and its last name component is neither a
// norm (`…norm`, e.g. `input_layernorm`, `q_norm`) nor an embedding (`…embed…`, `wte`, `wpe`).
// In a HF Llama checkpoint that is every `*_proj` and `lm_head`; MoE routers (`mlp.gate`)
// are nn.Linear too and count. With `tie_word_embeddings` the checkpoint may hold no
// `lm_head.weight`, yet the model still has an `lm_head` Linear module: it is listed.
//
// Order matters: compressed-tensors names config groups and writes `ignore` in
// `named_modules()` order. Tensor names in a file are sorted alphabetically, so they are
// re-ordered here: layer indices numerically, and the sub-modules of the HF decoder layer in
// the order the HF classes define them (attention before MLP, q, k, v, o; gate, up, down).
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace nuq::recipe {

/// A tensor's name and shape, as read from a checkpoint header.
struct tensor_entry {
    std::string name;
    std::vector<std::int64_t> shape;
};

namespace detail {

inline std::vector<std::string_view> split_dots(std::string_view s) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= s.size(); ++i)
        if (i == s.size() || s[i] == '.') {
            parts.push_back(s.substr(start, i - start));
            start = i + 1;
        }
    return parts;
}

inline bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

/// Definition order of sub-modules in the HF decoder-only classes (Llama, Mistral, Qwen2/3,
/// Qwen-MoE, Mixtral, DeepSeek-V3, Phi-3). Only siblings are ever compared.
inline constexpr std::array<std::string_view, 36> module_rank{
    "model", "embed_tokens", "layers", "self_attn", "q_proj", "q_a_proj", "q_a_layernorm", "q_b_proj",
    "k_proj", "v_proj", "qkv_proj", "kv_a_proj_with_mqa", "kv_a_layernorm", "kv_b_proj", "o_proj",
    "q_norm", "k_norm", "mlp", "block_sparse_moe", "gate", "experts", "shared_expert", "shared_experts",
    "shared_expert_gate", "gate_proj", "up_proj", "gate_up_proj", "down_proj", "w1", "w2", "w3",
    "input_layernorm", "post_attention_layernorm", "norm", "rotary_emb", "lm_head"};

inline std::size_t rank_of(std::string_view part) {
    auto const it = std::find(module_rank.begin(), module_rank.end(), part);
    return static_cast<std::size_t>(it - module_rank.begin());
}

inline bool is_norm(std::string_view leaf) {
    std::string l(leaf);
    std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
    return l.ends_with("norm") || l.ends_with("norm_weight") || l == "ln_f" || l.starts_with("ln_");
}

inline bool is_embedding(std::string_view leaf) {
    return leaf.find("embed") != std::string_view::npos || leaf == "wte" || leaf == "wpe";
}

} // namespace detail

/// `a` comes before `b` in `named_modules()` order (see the header comment).
inline bool module_order_less(std::string_view a, std::string_view b) {
    auto const pa = detail::split_dots(a), pb = detail::split_dots(b);
    for (std::size_t i = 0; i < std::min(pa.size(), pb.size()); ++i) {
        if (pa[i] == pb[i]) continue;
        if (detail::all_digits(pa[i]) && detail::all_digits(pb[i])) {
            if (pa[i].size() != pb[i].size()) return pa[i].size() < pb[i].size();
            return pa[i] < pb[i];
        }
        auto const ra = detail::rank_of(pa[i]), rb = detail::rank_of(pb[i]);
        if (ra != rb) return ra < rb;
        return pa[i] < pb[i];
    }
    return pa.size() < pb.size(); // a parent comes before its children
}

/// Sort module names into `named_modules()` order.
inline void sort_in_module_order(std::vector<std::string>& names) {
    std::stable_sort(names.begin(), names.end(),
                     [](std::string const& a, std::string const& b) { return module_order_less(a, b); });
}

/// The Linear modules of a checkpoint, in `named_modules()` order.
/// @param tensors every tensor of the checkpoint (all shards)
/// @param config  its config.json (read: `tie_word_embeddings`)
inline std::vector<std::string> linear_modules(std::vector<tensor_entry> const& tensors,
                                               nlohmann::json const& config) {
    std::vector<std::string> out;
    bool has_lm_head = false;
    for (auto const& t : tensors) {
        if (!t.name.ends_with(".weight") || t.shape.size() != 2) continue;
        auto module = t.name.substr(0, t.name.size() - 7);
        auto const leaf = std::string_view(module).substr(module.rfind('.') + 1);
        if (detail::is_norm(leaf) || detail::is_embedding(leaf)) continue;
        has_lm_head = has_lm_head || module == "lm_head";
        out.push_back(std::move(module));
    }
    bool const tied = config.is_object() && config.contains("tie_word_embeddings") &&
                      config["tie_word_embeddings"].is_boolean() && config["tie_word_embeddings"].get<bool>();
    if (tied && !has_lm_head) out.emplace_back("lm_head");
    sort_in_module_order(out);
    return out;
}

} // namespace nuq::recipe
