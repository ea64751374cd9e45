#pragma once
// Sibling Linear modules fused into one layer (q/k/v → qkv_proj, gate/up → gate_up_proj, ...):
// the one table of them. llm-compressor gives the members of such a set one NVFP4 global scale
// when all of them are tensor_group (docs/FORMAT.md §4.4, §8.4); vLLM loads the members of its
// packed modules as one parameter, so they must share a scheme (check/).
#include <array>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace nuq::recipe {

/// One fused set: its leaf names ("" pads) and, where vLLM's packed_modules_mapping of the
/// dense decoders (Llama, Qwen, Mistral, DeepSeek) has it, the fused layer's name.
struct fused_module {
    std::string_view vllm_name; ///< "" where vLLM does not load the set as one Linear
    std::array<std::string_view, 3> shards;
};

/// llm-compressor's FUSED_LAYER_NAMES, with vLLM's names for the sets it packs.
inline constexpr std::array<fused_module, 4> fused_modules{{
    {"qkv_proj", {"q_proj", "k_proj", "v_proj"}},
    {"gate_up_proj", {"gate_proj", "up_proj", ""}},
    {"fused_qkv_a_proj", {"q_a_proj", "kv_a_proj_with_mqa", ""}},
    {"", {"w1", "w3", ""}},
}};

/// Groups `modules` into fused sets: each result lists the members of one set that are all
/// present (same parent, every leaf of the set). Modules in no complete set are left out.
inline std::vector<std::vector<std::string>> fused_sets(std::vector<std::string> const& modules) {
    std::map<std::string, std::vector<std::string>> by_key; // parent + set index → members
    for (auto const& m : modules) {
        auto const dot = m.rfind('.');
        std::string const parent = dot == std::string::npos ? "" : m.substr(0, dot);
        std::string_view const leaf = dot == std::string::npos ? std::string_view(m)
                                                               : std::string_view(m).substr(dot + 1);
        for (std::size_t s = 0; s < fused_modules.size(); ++s)
            for (auto l : fused_modules[s].shards)
                if (!l.empty() && l == leaf) by_key[parent + "#" + std::to_string(s)].push_back(m);
    }
    std::vector<std::vector<std::string>> out;
    for (auto& [key, members] : by_key) {
        auto const s = static_cast<std::size_t>(std::stoi(key.substr(key.rfind('#') + 1)));
        std::size_t need = 0;
        for (auto l : fused_modules[s].shards) need += l.empty() ? 0 : 1;
        if (members.size() == need) out.push_back(members);
    }
    return out;
}

} // namespace nuq::recipe
