#pragma once
// Recipe text (YAML or JSON, llm-compressor's grammar, docs/ALGORITHMS.md §7.1) → recipe.
//
//   <name>_stage:                  any top-level key ending in "_stage"; `args` is also allowed
//     <group>_modifiers:           any key ending in "_modifiers"
//       <ModifierClass>: {fields}  QuantizationModifier, GPTQModifier, AWQModifier,
//                                  SmoothQuantModifier
//
// Stages, groups and modifiers are flattened in file order. Where llm-compressor silently
// ignores a key (a top-level key that is not a stage, a stage key that is not a group) nuq
// refuses it: a misspelt stage would otherwise quantize nothing. Unknown fields, modifiers and
// presets, and values of the wrong type, are nuq::error naming the recipe path
// (`quant_stage.quant_modifiers.QuantizationModifier.config_groups.group_1.weights.group_size`)
// and, for YAML, the line.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nuq/detail/library.hpp"
#include "nuq/error.hpp"
#include "nuq/quant/presets.hpp"
#include "nuq/quant/quant_args.hpp"
#include "nuq/quant/quant_scheme.hpp"
#include "nuq/recipe/fields.hpp"
#include "nuq/recipe/modifiers.hpp"
#include "nuq/recipe/target.hpp"
#include "nuq/recipe/yaml.hpp"

namespace nuq::recipe {

namespace detail {

using fields::json;

/// Base Modifier fields; each parser adds its own keys to these.
inline std::vector<std::string> with_base_keys(std::vector<std::string> keys) {
    for (auto k : {"index", "group", "start", "end", "update", "requires_calibration_data"})
        keys.emplace_back(k);
    return keys;
}

/// Reads a base Modifier field if `key` is one; false otherwise.
inline bool read_base_field(modifier_info& info, std::string const& key, json const& v, std::string const& p) {
    using namespace fields;
    auto const opt_number = [&](std::optional<double>& out) {
        if (!v.is_null()) out = get_number(v, p);
    };
    if (key == "index") {
        if (!v.is_null()) info.index = get_int_in(v, p, 0, 1 << 30);
    } else if (key == "group") {
        if (!v.is_null()) info.group = get_string(v, p);
    } else if (key == "start") {
        opt_number(info.start);
    } else if (key == "end") {
        opt_number(info.end);
    } else if (key == "update") {
        opt_number(info.update);
    } else if (key == "requires_calibration_data") {
        info.requires_calibration_data = get_bool(v, p);
    } else {
        return false;
    }
    return true;
}

inline void check_targets(std::vector<std::string> const& targets, std::string const& p) {
    compile_targets(targets, p); // compiles every `re:` pattern once, so bad ones fail here
}

inline void apply_observer(std::optional<quant_args>& args, std::optional<std::string> const& obs,
                           std::string const& where) {
    if (!args || !obs) return;
    args->observer = *obs;
    args->validate(where); // as llm-compressor re-validates: a dynamic arg drops the observer
}

/// QuantizationMixin fields. Returns false for a key that is not one of them.
inline bool read_quant_field(quantization_fields& q, std::string const& key, json const& v,
                             std::string const& p, json& config_groups, json& scheme,
                             std::string& scheme_path, std::string& groups_path) {
    using namespace fields;
    if (key == "config_groups") {
        if (!v.is_null()) {
            require_object(v, p, "a mapping of group name → scheme");
            config_groups = v;
            groups_path = p;
        }
    } else if (key == "scheme") {
        if (!v.is_null()) {
            if (!v.is_string() && !v.is_object())
                wrong_type(p, v, "a preset name such as \"W4A16\", or a mapping preset → targets");
            scheme = v;
            scheme_path = p;
        }
    } else if (key == "targets") {
        q.targets = get_string_list(v, p);
        check_targets(q.targets, p);
    } else if (key == "ignore") {
        if (!v.is_null()) {
            q.ignore = get_string_list(v, p);
            check_targets(q.ignore, p);
        }
    } else if (key == "kv_cache_scheme") {
        if (!v.is_null()) q.kv_cache_scheme = parse_quant_args(v, p);
    } else if (key == "weight_observer" || key == "input_observer" || key == "output_observer") {
        auto& slot = key == "weight_observer" ? q.weight_observer
                     : key == "input_observer" ? q.input_observer
                                               : q.output_observer;
        if (!v.is_null()) slot = get_string(v, p);
    } else if (key == "observer") {
        if (!v.is_null()) {
            require_object(v, p, "a mapping with keys `weights`, `input`, `output`");
            check_keys(v, p, {"weights", "input", "output"}, "the observer overrides");
            for (auto const& [k, o] : v.items()) {
                auto& slot = k == "weights" ? q.observer_weights : k == "input" ? q.observer_input : q.observer_output;
                slot = get_string(o, child(p, k));
            }
        }
    } else if (key == "bypass_divisibility_checks") {
        q.bypass_divisibility_checks = get_bool(v, p);
    } else {
        return false;
    }
    return true;
}

inline std::vector<std::string> const& quant_keys() {
    static std::vector<std::string> const keys{
        "config_groups",  "scheme",          "targets",         "ignore",   "kv_cache_scheme",
        "weight_observer", "input_observer", "output_observer", "observer", "bypass_divisibility_checks"};
    return keys;
}

/// llm-compressor `resolve_quantization_config` + `_apply_observer_overrides`.
inline void resolve_groups(quantization_fields& q, json const& config_groups, json const& scheme,
                           std::string const& mod_path, std::string const& scheme_path,
                           std::string const& groups_path) {
    using namespace fields;
    if (!scheme.is_null() && !config_groups.is_null())
        throw error("recipe.scheme_and_config_groups", scheme_path,
                    "both `scheme` and `config_groups` are given", "one of them",
                    "keep `scheme` (a preset) or `config_groups` (schemes written out), not both");
    q.has_scheme = !scheme.is_null();
    q.has_config_groups = !config_groups.is_null();
    if (q.has_scheme) {
        // A lone preset name applies to the modifier's `targets`.
        std::vector<std::pair<std::string, std::vector<std::string>>> presets;
        if (scheme.is_string()) {
            presets.emplace_back(scheme.get<std::string>(), q.targets);
        } else {
            for (auto const& [name, targets] : scheme.items())
                presets.emplace_back(name, get_string_list(targets, child(scheme_path, name)));
        }
        for (std::size_t i = 0; i < presets.size(); ++i) {
            auto const& [name, targets] = presets[i];
            auto const where = scheme.is_string() ? scheme_path : child(scheme_path, name);
            if (!is_preset(name)) {
                std::vector<std::string> known(preset_names.begin(), preset_names.end());
                throw error("recipe.unknown_preset", where, "unknown preset scheme \"" + name + "\"",
                            "a preset name (case-insensitive)",
                            suggest(name, known) + "; or write the scheme out under `config_groups`");
            }
            check_targets(targets, where);
            q.groups.push_back({"group_" + std::to_string(i), where, preset_scheme(name, targets, where)});
        }
    } else if (q.has_config_groups && !config_groups.empty()) {
        for (auto const& [name, value] : config_groups.items()) {
            auto const where = child(groups_path, name);
            require_object(value, where, "a scheme: a mapping with `targets` and `weights` / "
                                         "`input_activations` / `output_activations` / `format`");
            auto s = parse_quant_scheme(value, where);
            check_targets(s.targets, child(where, "targets"));
            q.groups.push_back({name, where, std::move(s)});
        }
    } else {
        quant_scheme none;
        none.targets = q.targets;
        q.groups.push_back({"group_0", mod_path, std::move(none)});
    }

    bool const individual = q.weight_observer || q.input_observer || q.output_observer;
    bool const dict = q.observer_weights || q.observer_input || q.observer_output;
    if (individual && dict)
        throw error("recipe.observer", child(mod_path, "observer"),
                    "both `observer` and `weight_observer`/`input_observer`/`output_observer` are given",
                    "one of the two forms", "keep only the `observer` mapping or only the single fields");
    auto const& w = dict ? q.observer_weights : q.weight_observer;
    auto const& in = dict ? q.observer_input : q.input_observer;
    auto const& out = dict ? q.observer_output : q.output_observer;
    for (auto& g : q.groups) {
        apply_observer(g.scheme.weights, w, child(g.path, "weights"));
        apply_observer(g.scheme.input_activations, in, child(g.path, "input_activations"));
        apply_observer(g.scheme.output_activations, out, child(g.path, "output_activations"));
    }
}

/// Reads the QuantizationMixin part of a modifier and any keys the caller handles in `extra`.
template <class Extra>
void read_quantization_modifier(quantization_fields& q, modifier_info& info, json const& body,
                                std::vector<std::string> const& own_keys, Extra&& extra) {
    using namespace fields;
    auto keys = with_base_keys(quant_keys());
    keys.insert(keys.end(), own_keys.begin(), own_keys.end());
    check_keys(body, info.path, keys, std::string("a ") + info.path.substr(info.path.rfind('.') + 1));
    json config_groups, scheme;
    std::string scheme_path, groups_path;
    for (auto const& [k, v] : body.items()) {
        auto const p = child(info.path, k);
        if (read_base_field(info, k, v, p)) continue;
        if (read_quant_field(q, k, v, p, config_groups, scheme, scheme_path, groups_path)) continue;
        extra(k, v, p);
    }
    resolve_groups(q, config_groups, scheme, info.path, scheme_path, groups_path);
}

inline quantization_modifier parse_quantization_modifier(modifier_info info, json const& body) {
    quantization_modifier m{std::move(info), {}};
    read_quantization_modifier(m.quant, m.info, body, {}, [](auto const&, auto const&, auto const&) {});
    if (!m.quant.has_config())
        throw error("recipe.empty_modifier", m.info.path, "a QuantizationModifier with nothing configured",
                    "`scheme`, `config_groups` or `kv_cache_scheme`",
                    "add e.g. `scheme: W4A16` with `targets: [Linear]` and `ignore: [lm_head]`");
    return m;
}

/// GPTQ `resolve_actorder` over the resolved groups (docs/ALGORITHMS.md §4.2).
inline void resolve_gptq_actorder(gptq_modifier& g) {
    for (auto& group : g.quant.groups) {
        auto& w = group.scheme.weights;
        if (!w) continue;
        auto const s = w->strategy_or_tensor();
        if (s != quant_strategy::group && s != quant_strategy::tensor_group && s != quant_strategy::channel &&
            s != quant_strategy::tensor && s != quant_strategy::block)
            continue;
        if (!g.actorder_given) {
            if (w->actorder == actorder_mode::none) w->actorder = actorder_mode::weight, w->actorder_alias = true;
        } else if (w->actorder == actorder_mode::none || w->actorder == g.actorder) {
            w->actorder = g.actorder;
            w->actorder_alias = g.actorder_alias;
        } else {
            throw error("recipe.actorder", fields::child(g.info.path, "actorder"),
                        "GPTQModifier.actorder is \"" + std::string(to_string(g.actorder)) +
                            "\" but " + fields::child(group.path, "weights.actorder") + " is \"" +
                            std::string(to_string(w->actorder)) + "\"",
                        "the same value, or one of them unset",
                        "remove `actorder` from the modifier or from the config group");
        }
        // compressed-tensors reloads actorder "group" only on grouped strategies.
        if (w->actorder == actorder_mode::group && s != quant_strategy::group && s != quant_strategy::tensor_group)
            w->actorder = actorder_mode::none, w->actorder_alias = false;
    }
}

inline gptq_modifier parse_gptq_modifier(modifier_info info, json const& body) {
    using namespace fields;
    gptq_modifier m;
    m.info = std::move(info);
    read_quantization_modifier(
        m.quant, m.info, body,
        {"block_size", "dampening_frac", "actorder", "offload_hessians", "sequential_targets"},
        [&](std::string const& k, json const& v, std::string const& p) {
            if (k == "block_size") {
                m.block_size = get_int_in(v, p, 1, 1 << 20);
            } else if (k == "dampening_frac") {
                if (v.is_null()) m.dampening_frac.reset();
                else m.dampening_frac = get_number(v, p);
                if (m.dampening_frac && *m.dampening_frac < 0)
                    throw error("recipe.range", p, "found " + v.dump(), "a fraction >= 0, e.g. 0.01");
            } else if (k == "actorder") {
                m.actorder_given = true;
                if (v.is_null()) {
                    m.actorder = actorder_mode::none;
                    m.actorder_alias = false;
                } else {
                    auto const s = get_enum(v, p, {"static", "weight", "group", "dynamic"});
                    m.actorder = s == "static" || s == "weight" ? actorder_mode::weight : actorder_mode::group;
                    m.actorder_alias = s == "static" || s == "dynamic";
                }
            } else if (k == "offload_hessians") {
                m.offload_hessians = get_bool(v, p);
            } else if (k == "sequential_targets") {
                if (!v.is_null()) m.sequential_targets = get_string_list(v, p);
            }
        });
    resolve_gptq_actorder(m);
    return m;
}

inline awq_modifier parse_awq_modifier(modifier_info info, json const& body) {
    using namespace fields;
    awq_modifier m;
    m.info = std::move(info);
    check_keys(body, m.info.path,
               with_base_keys({"mappings", "offload_device", "duo_scaling", "n_grid", "sequential_targets"}),
               "an AWQModifier (AWQ smooths only: put `scheme`/`targets`/`ignore` on a following "
               "QuantizationModifier or GPTQModifier)");
    for (auto const& [k, v] : body.items()) {
        auto const p = child(m.info.path, k);
        if (read_base_field(m.info, k, v, p)) continue;
        if (k == "mappings") {
            if (v.is_null()) continue;
            if (!v.is_array()) wrong_type(p, v, "a list of mappings");
            std::vector<awq_mapping> maps;
            for (std::size_t i = 0; i < v.size(); ++i) {
                auto const mp = item(p, i);
                require_object(v[i], mp, "a mapping with `smooth_layer` and `balance_layers`");
                check_keys(v[i], mp, {"smooth_layer", "balance_layers", "activation_hook_target"},
                           "an AWQ mapping");
                awq_mapping a;
                a.path = mp;
                if (!v[i].contains("smooth_layer") || !v[i].contains("balance_layers"))
                    throw error("recipe.awq_mapping", mp, "a mapping without `smooth_layer` or `balance_layers`",
                                "both keys", "add e.g. smooth_layer: \"re:.*input_layernorm$\", "
                                             "balance_layers: [\"re:.*q_proj$\", ...]");
                a.smooth_layer = get_string(v[i]["smooth_layer"], child(mp, "smooth_layer"));
                check_targets({a.smooth_layer}, child(mp, "smooth_layer"));
                a.balance_layers = get_string_list(v[i]["balance_layers"], child(mp, "balance_layers"));
                check_targets(a.balance_layers, child(mp, "balance_layers"));
                if (v[i].contains("activation_hook_target") && !v[i]["activation_hook_target"].is_null())
                    a.activation_hook_target =
                        get_string(v[i]["activation_hook_target"], child(mp, "activation_hook_target"));
                maps.push_back(std::move(a));
            }
            m.mappings = std::move(maps);
        } else if (k == "offload_device") {
            m.offload_device_given = true;
            if (!v.is_null()) m.offload_device = get_string(v, p);
        } else if (k == "duo_scaling") {
            if (v.is_boolean()) m.duo = v.get<bool>() ? duo_scaling::on : duo_scaling::off;
            else if (v.is_string() && v.get<std::string>() == "both") m.duo = duo_scaling::both;
            else wrong_type(p, v, "true, false or \"both\"");
        } else if (k == "n_grid") {
            m.n_grid = get_int_in(v, p, 1, 1 << 16);
        } else if (k == "sequential_targets") {
            if (!v.is_null()) m.sequential_targets = get_string_list(v, p);
        }
    }
    return m;
}

inline smoothquant_modifier parse_smoothquant_modifier(modifier_info info, json const& body) {
    using namespace fields;
    smoothquant_modifier m;
    m.info = std::move(info);
    check_keys(body, m.info.path,
               with_base_keys({"smoothing_strength", "mappings", "ignore", "num_calibration_steps",
                               "calibration_function", "algorithm"}),
               "a SmoothQuantModifier");
    for (auto const& [k, v] : body.items()) {
        auto const p = child(m.info.path, k);
        if (read_base_field(m.info, k, v, p)) continue;
        if (k == "smoothing_strength") {
            m.smoothing_strength = get_number(v, p);
            if (m.smoothing_strength < 0 || m.smoothing_strength > 1)
                throw error("recipe.range", p, "found " + v.dump(), "a number in [0, 1]",
                            "the examples use 0.8; the default is 0.5");
        } else if (k == "mappings") {
            if (v.is_null()) continue;
            if (!v.is_array()) wrong_type(p, v, "a list of [[balance layers...], smooth layer]");
            std::vector<smoothquant_mapping> maps;
            for (std::size_t i = 0; i < v.size(); ++i) {
                auto const mp = item(p, i);
                if (!v[i].is_array() || v[i].size() != 2)
                    wrong_type(mp, v[i], "a pair [[balance layers...], smooth layer]",
                               "write e.g. [[\"re:.*q_proj\", \"re:.*k_proj\", \"re:.*v_proj\"], "
                               "\"re:.*input_layernorm\"]");
                smoothquant_mapping s;
                s.path = mp;
                s.balance_layers = get_string_list(v[i][0], item(mp, 0));
                check_targets(s.balance_layers, item(mp, 0));
                s.smooth_layer = get_string(v[i][1], item(mp, 1));
                check_targets({s.smooth_layer}, item(mp, 1));
                maps.push_back(std::move(s));
            }
            m.mappings = std::move(maps);
        } else if (k == "ignore") {
            if (!v.is_null()) {
                m.ignore = get_string_list(v, p);
                check_targets(*m.ignore, p);
            }
        } else if (k == "num_calibration_steps") {
            if (!v.is_null()) m.num_calibration_steps = get_int_in(v, p, 1, 1 << 30);
        } else if (k == "calibration_function") {
            if (!v.is_null())
                throw error("recipe.value", p, "found " + fields::describe(v), "null",
                            "a Python callable cannot be given in a recipe file; remove the key");
        } else if (k == "algorithm") {
            m.algorithm = get_enum(v, p, {"smoothquant", "log_equalization"}) == "smoothquant"
                              ? smoothquant_algorithm::smoothquant
                              : smoothquant_algorithm::log_equalization;
        }
    }
    return m;
}

inline std::vector<std::string> const& supported_modifiers() {
    static std::vector<std::string> const names{"QuantizationModifier", "GPTQModifier", "AWQModifier",
                                                "SmoothQuantModifier"};
    return names;
}

inline modifier parse_modifier(std::string const& type, modifier_info info, json const& body) {
    using namespace fields;
    if (!body.is_object())
        wrong_type(info.path, body, "a mapping of the modifier's fields",
                   body.is_null() ? "give the modifier its fields, e.g. `scheme: W4A16`" : "");
    if (type == "QuantizationModifier") return parse_quantization_modifier(std::move(info), body);
    if (type == "GPTQModifier") return parse_gptq_modifier(std::move(info), body);
    if (type == "AWQModifier") return parse_awq_modifier(std::move(info), body);
    if (type == "SmoothQuantModifier") return parse_smoothquant_modifier(std::move(info), body);
    bool const llmc = type.ends_with("Modifier");
    throw error("recipe.unknown_modifier", info.path,
                llmc ? "the modifier `" + type + "` is not supported by nuq" : "unknown modifier `" + type + "`",
                one_of(supported_modifiers()),
                llmc ? "remove it, or run this recipe with llm-compressor"
                     : suggest(type, supported_modifiers()));
}

/// Cross-modifier rule: every AWQModifier needs a quantizing modifier after it.
inline void check_order(recipe const& r) {
    for (std::size_t i = 0; i < r.modifiers.size(); ++i) {
        if (!std::holds_alternative<awq_modifier>(r.modifiers[i])) continue;
        bool const later = std::any_of(r.modifiers.begin() + static_cast<std::ptrdiff_t>(i) + 1, r.modifiers.end(),
                                       [](modifier const& m) { return quantization(m) != nullptr; });
        if (!later)
            throw error("recipe.awq_order", info(r.modifiers[i]).path,
                        "an AWQModifier with no QuantizationModifier or GPTQModifier after it",
                        "a quantizing modifier later in the recipe",
                        "AWQ only smooths weights: add e.g. a QuantizationModifier with `scheme: W4A16` "
                        "after it");
    }
}

} // namespace detail

/// Parse a recipe from its JSON tree (what yaml_to_json or a JSON parser gives).
/// @param source a name for the recipe in messages (file name)
/// @throws nuq::error naming the recipe path of the first problem
recipe parse_recipe(nlohmann::ordered_json const& root, std::string source);

namespace detail {

/// The line of `where` or of its nearest ancestor path.
inline int line_of(line_map const& lines, std::string where) {
    while (!where.empty()) {
        if (auto it = lines.find(where); it != lines.end()) return it->second;
        auto const cut = where.find_last_of(".[");
        if (cut == std::string::npos) break;
        where.resize(cut);
    }
    return 0;
}

/// JSON text → tree, refusing repeated keys (nlohmann would keep the last silently).
inline nlohmann::ordered_json parse_json_text(std::string const& text, std::string const& source) {
    using json = nlohmann::ordered_json;
    std::vector<std::set<std::string>> seen;
    std::string dup;
    auto cb = [&](int, json::parse_event_t ev, json& parsed) {
        if (ev == json::parse_event_t::object_start) seen.emplace_back();
        else if (ev == json::parse_event_t::object_end) seen.pop_back();
        else if (ev == json::parse_event_t::key && !seen.back().insert(parsed.get<std::string>()).second && dup.empty())
            dup = parsed.get<std::string>();
        return true;
    };
    json j;
    try {
        j = json::parse(text, cb);
    } catch (json::parse_error const& e) {
        throw error("recipe.json", source, std::string("JSON syntax error: ") + e.what(), "", "fix the JSON");
    }
    if (!dup.empty())
        throw error("recipe.duplicate_key", source, "the key `" + dup + "` appears twice in one object",
                    "each key once",
                    "merge the two entries; to run a modifier class twice, put the second one in its "
                    "own `<name>_modifiers` group");
    return j;
}

} // namespace detail

/// Parse YAML recipe text. Errors name the recipe path and the line.
inline recipe parse_recipe_yaml(std::string const& text, std::string const& source = "<recipe>") {
    line_map lines;
    auto const tree = yaml_to_json(text, source, &lines);
    try {
        return parse_recipe(tree, source);
    } catch (error const& e) {
        auto const line = detail::line_of(lines, e.where());
        if (line == 0) throw;
        throw error(e.id(), e.where() + " (" + source + ":" + std::to_string(line) + ")", e.found(),
                    e.expected(), e.fix());
    }
}

/// Parse JSON recipe text.
inline recipe parse_recipe_json(std::string const& text, std::string const& source = "<recipe>") {
    return parse_recipe(detail::parse_json_text(text, source), source);
}

/// Parse recipe text of either kind: JSON first, then YAML, as llm-compressor does (so a
/// YAML flow mapping `{quant_stage: ...}` still reads).
recipe parse_recipe_text(std::string const& text, std::string const& source = "<recipe>");

/// Load a recipe file: `.json`, `.yaml`/`.yml`, or `.md` with YAML front matter between `---`
/// lines (the recipe cards llm-compressor reads); any other name is parsed as either kind.
recipe load_recipe(std::filesystem::path const& file);

} // namespace nuq::recipe

#ifdef NUQ_HEADER_ONLY
#include "nuq/recipe/parse_impl.hpp"
#endif
