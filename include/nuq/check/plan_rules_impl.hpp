#pragma once
// The bodies of plan_rules.hpp compiled once in the nuq library (nuq/detail/library.hpp).
#include "nuq/detail/library.hpp"
#include "nuq/check/plan_rules.hpp"

namespace nuq::recipe {

NUQ_INLINE std::vector<finding> check(plan const& p, nlohmann::json const& model_config,
                                  module_shapes const& shapes, check_options const& opt) {
    std::vector<finding> out;
    detail::chk::sink const s{out};
    std::vector<std::string> modules, where;
    for (auto const& m : p.modules) modules.push_back(m.name);
    auto const& groups = p.config.config_groups;
    for (std::size_t g = 0; g < groups.size(); ++g) {
        auto const m = std::find_if(p.modules.begin(), p.modules.end(),
                                    [&](module_plan const& x) { return x.config_group == g; });
        where.push_back(m != p.modules.end() && !m->group_path.empty()
                            ? m->group_path
                            : "quantization_config.config_groups." + groups[g].name);
    }
    if (opt.compat == compat_level::ct_0_11) {
        for (std::size_t g = 0; g < groups.size(); ++g) {
            auto const& sc = groups[g].scheme;
            if (sc.weights) detail::chk::check_legacy_keys(*sc.weights, where[g] + ".weights", s);
            if (sc.input_activations)
                detail::chk::check_legacy_keys(*sc.input_activations,
                                               where[g] + ".input_activations", s);
        }
    }
    // resolve() writes the modules no recipe group targets to `ignore`: they load, dense.
    for (auto const& m : p.modules)
        if (m.status == module_status::unmatched && m.name != "lm_head")
            s.warn("unmatched", m.name, "no recipe group targets it", "every Linear module "
                   "targeted or ignored", "it stays dense (written to ignore); target it if it "
                   "should be quantized, or list it in the recipe's ignore");
    detail::chk::input const in{p.config, where, "quantization_config", modules, shapes,
                                opt.compat};
    detail::chk::run(in, out);
    auto const tied = model_config.find("tie_word_embeddings");
    if (tied != model_config.end() && *tied == true)
        for (auto& f : out)
            if (f.id == "check.lm_head")
                f.fix += "; with tie_word_embeddings the embedding would be quantized too";
    return out;
}

NUQ_INLINE std::vector<finding> check(plan const& p, nlohmann::json const& model_config,
                                  std::vector<tensor_entry> const& tensors,
                                  check_options const& opt) {
    return check(p, model_config, shapes_of(tensors), opt);
}

} // namespace nuq::recipe
