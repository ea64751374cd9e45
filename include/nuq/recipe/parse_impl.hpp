#pragma once
// The bodies of parse.hpp compiled once in the nuq library (nuq/detail/library.hpp).
#include "nuq/detail/library.hpp"
#include "nuq/recipe/parse.hpp"

namespace nuq::recipe {

NUQ_INLINE recipe parse_recipe(nlohmann::ordered_json const& root, std::string source) {
    using namespace fields;
    recipe r;
    r.source = std::move(source);
    require_object(root, "", "a mapping of stages, e.g. `quant_stage: {quant_modifiers: {...}}`");
    for (auto const& [stage_key, stage] : root.items()) {
        if (stage_key == "args") {
            r.args = stage;
            continue;
        }
        if (!stage_key.ends_with("_stage"))
            throw error("recipe.unknown_key", stage_key, "`" + stage_key + "` is not a stage",
                        "a key ending in `_stage`, or `args`",
                        stage_key.ends_with("_modifiers")
                            ? "put the group under a stage: `quant_stage: {" + stage_key + ": ...}`"
                            : "rename it to end in `_stage` (llm-compressor would silently ignore it)");
        require_object(stage, stage_key, "a mapping of `<group>_modifiers` keys");
        for (auto const& [group_key, group] : stage.items()) {
            auto const gpath = child(stage_key, group_key);
            if (!group_key.ends_with("_modifiers"))
                throw error("recipe.unknown_key", gpath, "`" + group_key + "` is not a modifier group",
                            "a key ending in `_modifiers`",
                            "rename it, e.g. `quant_modifiers` (llm-compressor would silently ignore it)");
            require_object(group, gpath, "a mapping of modifier class → fields");
            for (auto const& [type, body] : group.items()) {
                modifier_info info;
                info.path = child(gpath, type);
                info.stage = stage_key.substr(0, stage_key.size() - 6);
                info.group = group_key.substr(0, group_key.size() - 10);
                r.modifiers.push_back(detail::parse_modifier(type, std::move(info), body));
            }
        }
    }
    if (r.modifiers.empty())
        throw error("recipe.empty", r.source, "the recipe has no modifiers", "at least one modifier",
                    "add e.g. `quant_stage: {quant_modifiers: {QuantizationModifier: {scheme: W4A16, "
                    "targets: [Linear], ignore: [lm_head]}}}`");
    detail::check_order(r);
    return r;
}

NUQ_INLINE recipe parse_recipe_text(std::string const& text, std::string const& source) {
    auto const first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos || text[first] != '{') return parse_recipe_yaml(text, source);
    nlohmann::ordered_json tree;
    try {
        tree = detail::parse_json_text(text, source);
    } catch (error const& e) {
        if (e.id() != "recipe.json") throw;
        return parse_recipe_yaml(text, source);
    }
    return parse_recipe(tree, source);
}

NUQ_INLINE recipe load_recipe(std::filesystem::path const& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw error("recipe.file", file.string(), "cannot open the recipe file", "a readable file",
                    "check the path");
    std::stringstream ss;
    ss << in.rdbuf();
    auto text = ss.str();
    auto const name = file.string();
    auto ext = file.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (ext == ".json") return parse_recipe_json(text, name);
    if (ext == ".yaml" || ext == ".yml") return parse_recipe_yaml(text, name);
    if (ext == ".md") {
        auto const open = text.find("---");
        auto const close = open == std::string::npos ? open : text.find("---", open + 3);
        if (close == std::string::npos)
            throw error("recipe.front_matter", name, "no YAML front matter between `---` lines",
                        "a recipe card starting with a `---` ... `---` block", "add the front matter");
        return parse_recipe_yaml(text.substr(open + 3, close - open - 3), name);
    }
    return parse_recipe_text(text, name);
}

} // namespace nuq::recipe
