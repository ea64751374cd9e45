#pragma once
// resolve: recipe + the model's Linear modules → plan. For every Linear module: the scheme
// it gets, its compression format, and the modifier that quantizes it, or why it is not
// quantized. Plus the quantization_config compressed-tensors would write for the result.
//
// Semantics (docs/ALGORITHMS.md §1.11, §3.1, §7.4; docs/FORMAT.md §6.3, §7.1, §8):
// * Within one quantizing modifier, targets map to schemes in group order (the same target in
//   two groups: the later group wins); a module matched by a target and by no `ignore` entry
//   gets the scheme of its most specific target: exact name > `re:` (alphabetical) > class.
// * Modifiers apply in recipe order; a later quantizing modifier that matches a module
//   replaces what an earlier one gave it, even with a scheme that has no args.
// * A GPTQModifier with nothing configured quantizes, with GPTQ, the modules earlier
//   modifiers gave a scheme, among its targets (default `Linear`) and not in its `ignore`.
// * Config groups are the distinct schemes of the quantized modules in module order, named
//   group_0, group_1, ... (QuantizationConfig.from_pretrained); `ignore` is the exact names of
//   the Linear modules left unquantized, in module order.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "nuq/error.hpp"
#include "nuq/quant/compression_format.hpp"
#include "nuq/quant/infer_format.hpp"
#include "nuq/quant/quant_scheme.hpp"
#include "nuq/quant/quantization_config.hpp"
#include "nuq/recipe/fields.hpp"
#include "nuq/recipe/modifiers.hpp"
#include "nuq/recipe/modules.hpp"
#include "nuq/recipe/plan.hpp"
#include "nuq/recipe/target.hpp"

namespace nuq::recipe {

namespace detail {

inline std::vector<std::string> const& linear_classes() {
    static std::vector<std::string> const classes{"Linear"};
    return classes;
}

/// One modifier's target → scheme table, as apply_quantization_config builds it.
struct target_table {
    std::vector<target> targets;
    std::vector<std::size_t> group; // targets[i] belongs to groups[group[i]]
    std::vector<target> ignore;
};

inline target_table build_table(quantization_fields const& q, std::string const& mod_path) {
    target_table t;
    for (std::size_t g = 0; g < q.groups.size(); ++g) {
        auto const& group = q.groups[g];
        for (std::size_t i = 0; i < group.scheme.targets.size(); ++i) {
            auto const& text = group.scheme.targets[i];
            auto const same = std::find_if(t.targets.begin(), t.targets.end(),
                                           [&](target const& x) { return x.text() == text; });
            if (same != t.targets.end()) {
                t.group[static_cast<std::size_t>(same - t.targets.begin())] = g; // later group wins
                continue;
            }
            t.targets.emplace_back(text, group.path + ".targets[" + std::to_string(i) + "]");
            t.group.push_back(g);
        }
    }
    t.ignore = compile_targets(q.ignore, fields::child(mod_path, "ignore"));
    return t;
}

inline bool has_args(quant_scheme const& s) {
    return s.weights || s.input_activations || s.output_activations;
}

} // namespace detail

/// Resolve a recipe against the model's Linear modules (in `named_modules()` order; see
/// linear_modules() to get them from a checkpoint).
inline plan resolve(recipe const& r, std::vector<std::string> const& linear_module_names,
                    resolve_options const& opt = {}) {
    plan p;
    p.source = r;
    for (auto const& name : linear_module_names) {
        module_plan m;
        m.name = name;
        p.modules.push_back(std::move(m));
    }
    auto const& classes = detail::linear_classes();

    for (std::size_t mi = 0; mi < r.modifiers.size(); ++mi) {
        auto const* q = quantization(r.modifiers[mi]);
        if (!q) continue;
        auto const& mod_info = info(r.modifiers[mi]);
        auto const table = detail::build_table(*q, mod_info.path);
        bool const takes_over = std::holds_alternative<gptq_modifier>(r.modifiers[mi]) && !q->has_config();
        std::vector<bool> used(table.targets.size(), false);

        for (auto& m : p.modules) {
            auto const hits = match_targets(table.targets, m.name, classes);
            if (hits.empty()) continue;
            for (auto h : hits) used[h] = true;
            auto const ign = std::find_if(table.ignore.begin(), table.ignore.end(),
                                          [&](target const& t) { return t.matches(m.name, classes); });
            if (takes_over) {
                if (ign == table.ignore.end() && m.status == module_status::quantized) m.modifier = mi;
                continue;
            }
            if (ign != table.ignore.end()) {
                // Not touched by this modifier: an earlier modifier's scheme stays.
                if (m.status != module_status::quantized) {
                    m.status = module_status::ignored;
                    m.target = ign->text();
                }
                continue;
            }
            auto const& group = q->groups[table.group[hits.front()]];
            if (m.status == module_status::quantized && m.modifier && *m.modifier != mi)
                p.warnings.push_back(m.name + ": the scheme from " + info(r.modifiers[*m.modifier]).path +
                                     " is replaced by " + group.path);
            m.modifier = mi;
            m.group = group.name;
            m.group_path = group.path;
            m.target = table.targets[hits.front()].text();
            m.scheme = group.scheme;
            m.status = detail::has_args(group.scheme) ? module_status::quantized : module_status::no_args;
            if (m.status == module_status::no_args) m.modifier.reset();
        }
        for (std::size_t i = 0; i < used.size(); ++i)
            if (!used[i])
                p.warnings.push_back(mod_info.path + ": the target `" + table.targets[i].text() +
                                     "` matches no Linear module");
        if (q->kv_cache_scheme) p.config.kv_cache_scheme = q->kv_cache_scheme;
    }

    // Formats, config groups in module order, the ignore list.
    std::vector<compression_format> formats;
    bool any_quantized = false;
    for (auto& m : p.modules) {
        if (m.status != module_status::quantized) {
            m.scheme.reset();
            m.format = compression_format::dense;
            continue;
        }
        any_quantized = true;
        auto const inferred = infer_module_format(*m.scheme, opt.rules);
        m.format = resolve_module_format(*m.scheme, opt.forced_format, opt.rules);
        if (opt.forced_format && inferred != m.format)
            p.warnings.push_back(m.name + ": format " + std::string(to_string(m.format)) +
                                 " is forced, but its scheme would get " + std::string(to_string(inferred)));
        m.scheme->format = m.format;
        formats.push_back(m.format);
        auto& groups = p.config.config_groups;
        auto const same = std::find_if(groups.begin(), groups.end(),
                                       [&](auto const& g) { return g.scheme == *m.scheme; });
        m.config_group = static_cast<std::size_t>(same - groups.begin());
        if (same == groups.end()) groups.push_back({"group_" + std::to_string(groups.size()), *m.scheme});
    }
    p.config.ignore = std::vector<std::string>{};
    if (any_quantized)
        for (auto const& m : p.modules)
            if (m.status != module_status::quantized) p.config.ignore->push_back(m.name);
    p.config.format = model_format(formats);
    p.config.quantization_status = quant_status::compressed;
    return p;
}

/// Resolve against a checkpoint: its tensors (names and shapes) and config.json.
inline plan resolve(recipe const& r, std::vector<tensor_entry> const& tensors,
                    nlohmann::json const& config_json, resolve_options const& opt = {}) {
    return resolve(r, linear_modules(tensors, config_json), opt);
}

} // namespace nuq::recipe
