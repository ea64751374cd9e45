#pragma once
// Sibling Linear modules that vLLM fuses into one layer (q/k/v → qkv_proj, gate/up →
// gate_up_proj, ...). llm-compressor gives the members of such a set one NVFP4 global scale
// when all of them are tensor_group (FORMAT.md §4.4, §8.4).
#include <array>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace nuq::pipeline {

/// The leaf names of each fused set (llm-compressor's FUSED_LAYER_NAMES).
inline constexpr std::array<std::array<std::string_view, 3>, 4> fused_leaf_sets{{
    {"q_proj", "k_proj", "v_proj"},
    {"gate_proj", "up_proj", ""},
    {"q_a_proj", "kv_a_proj_with_mqa", ""},
    {"w1", "w3", ""},
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
        for (std::size_t s = 0; s < fused_leaf_sets.size(); ++s)
            for (auto l : fused_leaf_sets[s])
                if (!l.empty() && l == leaf) by_key[parent + "#" + std::to_string(s)].push_back(m);
    }
    std::vector<std::vector<std::string>> out;
    for (auto& [key, members] : by_key) {
        auto const s = static_cast<std::size_t>(std::stoi(key.substr(key.rfind('#') + 1)));
        std::size_t need = 0;
        for (auto l : fused_leaf_sets[s]) need += l.empty() ? 0 : 1;
        if (members.size() == need) out.push_back(members);
    }
    return out;
}

} // namespace nuq::pipeline
