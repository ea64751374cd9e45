#pragma once
// mapping_sets: a smoothing mapping (a smooth layer whose output feeds some balance layers,
// written as target strings) resolved over the model's module names into one set per decoder
// layer, the way compressed-tensors' match_modules_set groups them (docs/ALGORITHMS.md §1.11, §5.2):
// modules are walked in named_modules() order and collected for the tuple of targets while
// their lowest common ancestor stays the same; a set is emitted once every target has matched
// and the next match would widen the ancestor. A module matching two targets of one mapping,
// and a final incomplete set, are errors there and here.
//
// nuq smooths through model::layer_weights, so it also checks what the reference leaves to
// the user: every member is a module of layer_modules.hpp in one decoder layer, the balance
// layers read one input, and that input is the smooth layer's output (output_feeds). Another
// mapping would run in the reference and silently change the model's function.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nuq/calib/layer_modules.hpp"
#include "nuq/error.hpp"
#include "nuq/model/config.hpp"
#include "nuq/recipe/modules.hpp"
#include "nuq/recipe/target.hpp"

namespace nuq::calib {

/// compressed-tensors' get_lowest_common_ancestor_name: the longest common dotted prefix of
/// the names ("a.b.c", "a.b.d" → "a.b"; one name → itself).
inline std::string common_ancestor(std::vector<std::string> const& names) {
    if (names.empty()) return {};
    auto const [lo, hi] = std::minmax_element(names.begin(), names.end());
    std::string const a = "." + *lo + ".", b = "." + *hi + ".";
    std::size_t n = 0;
    while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
    auto const cut = a.rfind('.', n - 1);
    return cut == 0 ? std::string() : a.substr(1, cut - 1);
}

/// The sets of one tuple of targets: per set, per target, the module names it matched.
using module_sets = std::vector<std::vector<std::vector<std::string>>>;

/// compressed-tensors' match_modules_set over module names in named_modules() order.
/// @param path the mapping's recipe path, for errors
inline module_sets match_module_sets(std::vector<recipe::target> const& targets,
                                     std::vector<std::string> const& names, model::config const& c,
                                     std::string const& path) {
    module_sets sets;
    std::vector<std::vector<std::string>> matches(targets.size());
    std::optional<std::string> context;
    std::vector<bool> matched(targets.size(), false);
    auto const all_matched = [&] {
        return std::all_of(matched.begin(), matched.end(), [](bool m) { return m; });
    };
    for (auto const& name : names) {
        auto const classes = module_classes(name, c);
        std::vector<std::string> hits;
        for (std::size_t t = 0; t < targets.size(); ++t) {
            if (!targets[t].matches(name, classes)) continue;
            hits.push_back(targets[t].text());
            auto next = context ? common_ancestor({name, *context}) : name;
            if (all_matched() && next != *context) { // a wider ancestor: the set is complete
                sets.push_back(std::move(matches));
                matches.assign(targets.size(), {});
                matched.assign(targets.size(), false);
                next = name;
            }
            matches[t].push_back(name);
            context = next;
            matched[t] = true;
        }
        if (hits.size() > 1)
            throw error("calib.mapping", path,
                        "module " + name + " matches several targets: `" + hits[0] + "` and `" +
                            hits[1] + "`",
                        "each module matched by one target of the mapping",
                        "anchor the patterns, e.g. `re:.*q_proj$`");
    }
    if (std::none_of(matched.begin(), matched.end(), [](bool m) { return m; })) return sets;
    if (all_matched()) {
        sets.push_back(std::move(matches));
        return sets;
    }
    auto const listed = [&](bool state) {
        std::string s;
        for (std::size_t t = 0; t < targets.size(); ++t)
            if (matched[t] == state) s += (s.empty() ? "`" : ", `") + targets[t].text() + "`";
        return s;
    };
    throw error("calib.mapping", path,
                "the last set is incomplete: modules match " + listed(true) + " but none matches " +
                    listed(false),
                "every target matching in each decoder layer",
                "name modules that exist; a Llama-family decoder layer has input_layernorm, "
                "self_attn.{q,k,v,o}_proj, post_attention_layernorm and mlp.{gate,up,down}_proj");
}

/// One set of a mapping: a smooth module and its balance modules in one decoder layer.
struct layer_mapping {
    std::string path; ///< the mapping's recipe path
    std::int64_t layer = 0;
    std::string smooth; ///< full module names
    std::vector<std::string> balance;
    layer_module smooth_module = layer_module::input_norm;
    std::vector<layer_module> balance_modules;
};

/// The input every balance layer of `m` reads (m has at least one balance layer).
inline model::linear_input balance_input(layer_mapping const& m) {
    return *input_of(m.balance_modules.front());
}

/// "smooth → [balance, ...]", for messages.
inline std::string describe(layer_mapping const& m) {
    std::string s = m.smooth + " → [";
    for (std::size_t i = 0; i < m.balance.size(); ++i) s += (i ? ", " : "") + m.balance[i];
    return s + "]";
}

/// Resolves one mapping over the model's module names into its sets, in named_modules()
/// order, checking each as the header says. A mapping that matches no module is an error too:
/// a recipe that names modules the model lacks would otherwise smooth nothing unnoticed.
/// @param module_names every module of the model (any order)
inline std::vector<layer_mapping> resolve_mapping(std::string const& path,
                                                  std::string const& smooth_target,
                                                  std::vector<std::string> const& balance_targets,
                                                  std::vector<std::string> module_names,
                                                  model::config const& c) {
    recipe::sort_in_module_order(module_names);
    std::vector<recipe::target> targets{recipe::target(smooth_target, path)};
    for (auto const& b : balance_targets) targets.emplace_back(b, path);
    auto const sets = match_module_sets(targets, module_names, c, path);
    if (sets.empty())
        throw error("calib.mapping", path, "no module of the model matches the mapping's targets",
                    "a mapping that names this model's modules",
                    "check the module names: a Llama-family decoder layer has input_layernorm, "
                    "self_attn.{q,k,v,o}_proj, post_attention_layernorm and "
                    "mlp.{gate,up,down}_proj");
    auto const fail = [&](std::string const& found, std::string const& fix) {
        throw error("calib.mapping", path, found, "", fix);
    };
    std::vector<layer_mapping> out;
    for (auto const& set : sets) {
        if (set[0].size() != 1)
            fail("smooth_layer `" + smooth_target + "` matches " + std::to_string(set[0].size()) +
                     " modules in one set (" + set[0][0] + ", " + set[0][1] + ")",
                 "make smooth_layer match one module per decoder layer");
        layer_mapping m;
        m.path = path;
        m.smooth = set[0][0];
        for (std::size_t t = 1; t < set.size(); ++t)
            m.balance.insert(m.balance.end(), set[t].begin(), set[t].end());
        auto const where = [&](std::string const& name) {
            auto const r = locate(name);
            if (!r)
                fail("module " + name + " is not one nuq smooths",
                     "map only the norms and projections inside decoder layers "
                     "(input_layernorm, self_attn.*_proj, post_attention_layernorm, mlp.*_proj)");
            return *r;
        };
        auto const smooth = where(m.smooth);
        m.layer = smooth.layer;
        m.smooth_module = smooth.module;
        for (auto const& b : m.balance) {
            auto const r = where(b);
            if (r.layer != m.layer)
                fail(b + " and " + m.smooth + " lie in different decoder layers",
                     "map modules of one layer to each other");
            if (is_norm(r.module))
                fail("balance layer " + b + " is a norm", "balance only Linear layers");
            m.balance_modules.push_back(r.module);
        }
        if (!m.balance.empty()) {
            auto const in = balance_input(m);
            for (std::size_t i = 1; i < m.balance.size(); ++i)
                if (*input_of(m.balance_modules[i]) != in)
                    fail("balance layers " + m.balance[0] + " and " + m.balance[i] +
                             " read different inputs",
                         "put layers that read one input in one mapping");
            if (output_feeds(m.smooth_module) != in)
                fail("the output of " + m.smooth + " is not the input of " + m.balance[0] +
                         ", so smoothing it would change the model",
                     "pair input_layernorm with q/k/v_proj, v_proj with o_proj, "
                     "post_attention_layernorm with gate/up_proj, up_proj with down_proj");
        }
        out.push_back(std::move(m));
    }
    return out;
}

} // namespace nuq::calib
