#pragma once
// The bodies of checkpoint_rules.hpp compiled once in the nuq library (nuq/detail/library.hpp).
#include "nuq/detail/library.hpp"
#include "nuq/check/checkpoint_rules.hpp"

namespace nuq::pipeline {

NUQ_INLINE check_report check_checkpoint(std::filesystem::path const& dir,
                                     recipe::check_options const& opt) {
    using recipe::detail::chk::module_state;
    check_report rep;
    detail::chk::sink const s{rep.findings};
    std::optional<io::checkpoint> ck;
    nlohmann::ordered_json cfg;
    try {
        ck.emplace(dir);
        cfg = detail::chk::read_ordered(dir / io::config_name);
    } catch (error const& e) {
        s.err("checkpoint", e.where(), e.found(), e.expected(), e.fix());
        return rep;
    } catch (nlohmann::json::exception const& e) {
        s.err("checkpoint", (dir / io::config_name).string(), e.what(), "valid JSON");
        return rep;
    }
    std::string base;
    auto const raw = detail::chk::raw_config(cfg, base, opt.compat, s);
    if (!raw) return rep;
    quantization_config qc;
    try {
        qc = parse_quantization_config(*raw, base);
    } catch (error const& e) {
        s.err("config_invalid", e.where(), e.found() + " (" + e.id() + ")", e.expected(), e.fix());
        return rep;
    }

    detail::chk::checker c{*ck, s, {}};
    for (auto const& name : ck->names()) {
        auto const dot = name.rfind('.');
        if (dot == std::string::npos) continue;
        c.by_module[name.substr(0, dot)].emplace(name.substr(dot + 1), ck->tensor(name));
    }
    // Linear modules: a dense weight, or the packed stand-in for one (weight_packed etc.).
    std::vector<recipe::tensor_entry> entries;
    recipe::module_shapes shapes;
    for (auto const& [m, ts] : c.by_module) {
        bool const quantized = std::any_of(ts.begin(), ts.end(), [](auto const& t) {
            return t.first.starts_with("weight_");
        });
        bool const dense = ts.contains("weight") && ts.at("weight").shape.size() == 2;
        if (!quantized && !dense) continue;
        auto const d = c.dims(ts);
        if (!d) {
            s.err("module_shape", m, "neither a 2-D weight nor a weight_shape tensor",
                  "weight [out, in], or weight_shape int64 [2]", "write weight_shape");
            continue;
        }
        entries.push_back({m + ".weight", {(*d)[0], (*d)[1]}});
    }
    auto const modules = recipe::linear_modules(entries, ck->config());
    for (auto const& e : entries)
        if (std::find(modules.begin(), modules.end(), e.name.substr(0, e.name.size() - 7)) !=
            modules.end())
            shapes[e.name.substr(0, e.name.size() - 7)] = {e.shape[0], e.shape[1]};

    std::vector<std::string> where;
    for (auto const& g : qc.config_groups) where.push_back(base + ".config_groups." + g.name);
    recipe::detail::chk::input const in{qc, where, base, modules, shapes, opt.compat};
    auto const r = recipe::detail::chk::run(in, rep.findings);

    // Tensor level.
    for (auto const& m : modules) {
        auto const ts = c.by_module.find(m);
        if (ts == c.by_module.end()) continue; // a tied lm_head has no tensors
        ++rep.modules;
        auto const [out, inf] = shapes.at(m);
        auto const& mr = r.modules.at(m);
        // Already reported; vLLM releases disagree on what it loads, so there is no layout.
        if (mr.state == module_state::conflict || mr.state == module_state::unmatched) continue;
        if (mr.state != module_state::quantized) {
            c.compare(m, ts->second, {{"weight", detail::chk::floats(), {out, inf}, "dense"}},
                      "unquantized", out);
            continue;
        }
        auto const& sel = r.schemes[mr.group];
        if (!sel) continue; // the group has no vLLM scheme: reported at config level
        ++rep.quantized;
        rep.formats.insert(std::string(to_string(sel->format)));
        auto const& sc = qc.config_groups[mr.group].scheme;
        std::vector<detail::chk::expected_tensor> exp;
        try {
            exp = detail::chk::quantized_tensors(sc, *sel, out, inf);
        } catch (error const& e) { // args nuq cannot lay out; the config level said why
            s.err("no_scheme", m, e.found(), e.expected(), e.fix());
            continue;
        }
        c.compare(m, ts->second, exp, "quantized", out);
    }
    for (auto const& l : r.layers) {
        auto const& mr = r.modules.at(l.shards.front());
        if (l.shards.size() > 1 && mr.state == module_state::quantized && r.schemes[mr.group] &&
            r.schemes[mr.group]->kind == recipe::detail::chk::scheme_kind::nvfp4)
            c.shared_global_scales(l);
    }
    // Quantization tensors on modules vLLM never quantizes (embeddings, norms, towers).
    for (auto const& [m, ts] : c.by_module) {
        if (shapes.contains(m)) continue;
        for (auto const& [suffix, t] : ts)
            if (std::find(detail::chk::quant_suffixes.begin(), detail::chk::quant_suffixes.end(),
                          suffix) != detail::chk::quant_suffixes.end())
                s.err("tensor_extra", c.at(m + "." + suffix), "a quantization tensor on a "
                      "module that is not a quantizable Linear", "plain weights here",
                      "store this module dense and list it in ignore");
    }
    return rep;
}

} // namespace nuq::pipeline
