#pragma once
// recipe_builder: an llm-compressor recipe built in C++, without YAML and without filling the
// parser's provenance fields (paths, stage, group) by hand.
//
//   auto r = nuq::recipe::recipe_builder{}
//                .group("re:.*down_proj", "W8A16")
//                .group({"re:.*self_attn.*", "re:.*gate_proj", "re:.*up_proj"}, "W4A16")
//                .ignore("lm_head")
//                .build();
//
// gives the recipe parse.hpp makes of one modifier in `quant_stage.quant_modifiers` with one
// config group per group() call, in call order, named group_0, group_1, ...:
//
//   quant_stage:
//     quant_modifiers:
//       QuantizationModifier:          # GPTQModifier after .gptq()
//         ignore: [lm_head]
//         config_groups:
//           group_0: {targets: ["re:.*down_proj"], weights: <W8A16's weights>}
//           group_1: {targets: [...], weights: <W4A16's weights>}
//
// A group is a preset name (presets.hpp, case-insensitive) over targets, weight args over
// targets, or a whole quant_scheme. Everything is checked in build(), as the parser checks a
// file: an unknown preset, bad args or a bad `re:` pattern is a nuq::error naming the group's
// recipe path, e.g. `quant_stage.quant_modifiers.QuantizationModifier.config_groups.group_1`.
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "nuq/error.hpp"
#include "nuq/quant/presets.hpp"
#include "nuq/quant/quant_args.hpp"
#include "nuq/quant/quant_scheme.hpp"
#include "nuq/recipe/fields.hpp"
#include "nuq/recipe/modifiers.hpp"
#include "nuq/recipe/target.hpp"

namespace nuq::recipe {

/// Module targets as the builder takes them: one string, a braced list or a vector
/// (`"lm_head"`, `{"re:.*gate_proj", "re:.*up_proj"}`).
struct target_list {
    std::vector<std::string> names;
    target_list(char const* one) : names{one} {}                          // NOLINT
    target_list(std::string one) : names{std::move(one)} {}               // NOLINT
    target_list(std::initializer_list<std::string> list) : names(list) {} // NOLINT
    target_list(std::vector<std::string> list) : names(std::move(list)) {} // NOLINT
};

class recipe_builder {
public:
    /// A config group of preset `preset` (e.g. "W4A16", "FP8_DYNAMIC") on `targets`.
    recipe_builder& group(target_list targets, std::string_view preset) {
        groups_.push_back({std::move(targets.names), std::string(preset)});
        return *this;
    }
    /// A weight-only config group with these args on `targets`.
    recipe_builder& group(target_list targets, quant_args weights) {
        quant_scheme s;
        s.targets = std::move(targets.names);
        s.weights = std::move(weights);
        groups_.push_back({{}, std::move(s)});
        return *this;
    }
    /// A config group written out: its targets, weight / activation args and optional format.
    recipe_builder& group(quant_scheme scheme) {
        groups_.push_back({{}, std::move(scheme)});
        return *this;
    }
    /// Modules left unquantized (exact names, `re:` patterns or classes); adds to earlier calls.
    recipe_builder& ignore(target_list names) {
        for (auto& n : names.names) ignore_.push_back(std::move(n));
        return *this;
    }
    /// A GPTQModifier instead of a QuantizationModifier (llm-compressor's defaults: block size
    /// 128, dampening 0.01, static activation order on the weights that take one).
    recipe_builder& gptq() {
        gptq_ = true;
        return *this;
    }

    /// The recipe path of the modifier build() makes.
    [[nodiscard]] std::string modifier_path() const {
        return std::string("quant_stage.quant_modifiers.") +
               (gptq_ ? "GPTQModifier" : "QuantizationModifier");
    }

    /// The recipe, checked as parse_recipe checks a file.
    /// @throws nuq::error naming the recipe path of the first problem
    [[nodiscard]] recipe build() const {
        using fields::child;
        modifier_info info;
        info.path = modifier_path();
        info.stage = "quant";
        info.group = "quant";
        if (groups_.empty())
            throw error("recipe.empty_modifier", info.path, "a recipe_builder with no group",
                        "at least one config group",
                        "add e.g. .group(\"Linear\", \"W4A16\").ignore(\"lm_head\")");
        quantization_fields q;
        q.has_config_groups = true;
        q.ignore = ignore_;
        compile_targets(q.ignore, child(info.path, "ignore")); // a bad `re:` pattern fails here
        auto const groups_path = child(info.path, "config_groups");
        for (std::size_t i = 0; i < groups_.size(); ++i) {
            auto const name = "group_" + std::to_string(i);
            auto const where = child(groups_path, name);
            auto const& g = groups_[i];
            quant_scheme s;
            if (auto const* preset = std::get_if<std::string>(&g.scheme)) {
                if (!is_preset(*preset)) {
                    std::vector<std::string> known(preset_names.begin(), preset_names.end());
                    throw error("recipe.unknown_preset", where,
                                "unknown preset scheme \"" + *preset + "\"",
                                "a preset name (case-insensitive)",
                                fields::suggest(*preset, known) + "; or give the group's quant_args");
                }
                s = preset_scheme(*preset, g.targets, where);
            } else {
                s = std::get<quant_scheme>(g.scheme);
                s.validate(where);
            }
            if (s.targets.empty())
                throw error("recipe.builder_targets", child(where, "targets"), "no targets",
                            "module names, `re:` patterns or classes such as \"Linear\"",
                            "give the group its targets");
            compile_targets(s.targets, child(where, "targets"));
            q.groups.push_back({name, where, std::move(s)});
        }

        recipe r;
        r.source = "recipe_builder";
        if (gptq_) {
            gptq_modifier m;
            m.info = std::move(info);
            m.quant = std::move(q);
            default_actorder(m);
            r.modifiers.emplace_back(std::move(m));
        } else {
            r.modifiers.emplace_back(quantization_modifier{std::move(info), std::move(q)});
        }
        return r;
    }

private:
    /// parse.hpp's resolve_gptq_actorder for a GPTQModifier without `actorder`: llm-compressor's
    /// "static" sentinel gives every weight without one actorder "weight" (spelled "static").
    /// (Args that validate never carry actorder "group" on a strategy without groups.)
    static void default_actorder(gptq_modifier& g) {
        for (auto& group : g.quant.groups) {
            auto& w = group.scheme.weights;
            if (!w || w->actorder != actorder_mode::none) continue;
            auto const s = w->strategy_or_tensor();
            if (s == quant_strategy::group || s == quant_strategy::tensor_group ||
                s == quant_strategy::channel || s == quant_strategy::tensor ||
                s == quant_strategy::block) {
                w->actorder = actorder_mode::weight;
                w->actorder_alias = true;
            }
        }
    }

    struct group_spec {
        std::vector<std::string> targets;            ///< for a preset
        std::variant<std::string, quant_scheme> scheme; ///< preset name or the scheme itself
    };
    std::vector<group_spec> groups_;
    std::vector<std::string> ignore_;
    bool gptq_ = false;
};

} // namespace nuq::recipe
