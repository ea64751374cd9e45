#pragma once
// check_checkpoint: would vLLM load this checkpoint directory, ours or anyone's, and compute
// with it correctly? recipe::check's rules (docs/VLLM.md §7 1–16) on its config.json, with the plan
// rebuilt the way vLLM builds it (config_groups and ignore matched against the checkpoint's
// Linear modules), plus the tensor level (§7 17–19): each module stores exactly the tensors
// its scheme and format load, with their dtypes and shapes (format::describe gives them).
//
// Finding ids on top of recipe/check.hpp's:
//   checkpoint       the directory does not open as a safetensors model (io::checkpoint)
//   unknown_key      a config group key vLLM skips (warning; compressed-tensors rejects it)
//   module_shape     a module whose [out, in] cannot be told from its tensors
//   tensor_missing   a tensor the scheme loads is absent (vLLM computes with garbage)
//   tensor_extra     a tensor the scheme does not load ("There is no module or parameter")
//   tensor_dtype     wrong dtype (packed payloads are copied bit for bit)
//   tensor_shape     wrong shape, packed sizes included
//   scale_value      a per-tensor scale that is not finite and positive
//   global_scale     fused NVFP4 shards with different global scales (vLLM uses the max)
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "nuq/detail/library.hpp"
#include "nuq/error.hpp"
#include "nuq/format/quantize_and_pack.hpp"
#include "nuq/io/checkpoint.hpp"
#include "nuq/numeric/bfloat16.hpp"
#include "nuq/numeric/float16.hpp"
#include "nuq/quant/quantize.hpp"
#include "nuq/quant/quantization_config.hpp"
#include "nuq/check/plan_rules.hpp"
#include "nuq/recipe/modules.hpp"

namespace nuq::pipeline {

/// What check_checkpoint found.
struct check_report {
    std::vector<recipe::finding> findings;
    std::size_t modules = 0;          ///< Linear modules with tensors
    std::size_t quantized = 0;        ///< of those, quantized in vLLM's reading
    std::set<std::string> formats;    ///< formats of the quantized modules

    [[nodiscard]] bool loadable() const { return recipe::loadable(findings); }
};

namespace detail::chk {

using recipe::detail::chk::sink;
using recipe::detail::chk::str;

/// Suffixes of the tensors quantization adds to a module.
inline constexpr std::array<std::string_view, 9> quant_suffixes{
    "weight_packed", "weight_scale",    "weight_zero_point", "weight_shape",
    "weight_g_idx",  "weight_global_scale", "input_scale",   "input_zero_point",
    "input_global_scale"};

/// One tensor a module must store; any of `types` will do (vLLM casts model-dtype scales).
struct expected_tensor {
    std::string name;
    std::vector<dtype> types;
    std::vector<std::int64_t> shape;
    std::string why;
};

inline bool model_float(dtype t) {
    return t == dtype::bfloat16 || t == dtype::float16 || t == dtype::float32;
}
inline std::vector<dtype> floats() { return {dtype::bfloat16, dtype::float16, dtype::float32}; }

inline std::string shape_text(std::vector<std::int64_t> const& s) {
    std::string r = "[";
    for (std::size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
    return r + "]";
}

inline std::string types_text(std::vector<dtype> const& ts) {
    std::string r;
    for (auto t : ts) r += (r.empty() ? "" : " or ") + str(safetensors_name(t));
    return r;
}

/// The value of a one-element float tensor, if it is one.
inline std::optional<float> scalar(io::tensor_view const& t) {
    if (t.numel() != 1) return std::nullopt;
    std::uint16_t h = 0;
    switch (t.type) {
    case dtype::float32: {
        float f = 0;
        std::memcpy(&f, t.bytes.data(), 4);
        return f;
    }
    case dtype::bfloat16:
        std::memcpy(&h, t.bytes.data(), 2);
        return float(bfloat16_t::from_bits(h));
    case dtype::float16:
        std::memcpy(&h, t.bytes.data(), 2);
        return float(float16_t::from_bits(h));
    default: return std::nullopt;
    }
}

/// The tensors vLLM loads for a module quantized with group `sc` under scheme `sel`
/// (docs/VLLM.md §3): the packer's layout, plus g_idx and the activation scales.
inline std::vector<expected_tensor> quantized_tensors(quant_scheme const& sc,
                                                      recipe::detail::chk::selected sel,
                                                      std::int64_t out, std::int64_t in) {
    using K = recipe::detail::chk::scheme_kind;
    auto const& w = *sc.weights;
    auto const& a = sc.input_activations;
    auto const specs = format::describe(sel.format, w, out, in, dtype::bfloat16, {});
    std::vector<expected_tensor> exp;
    for (auto const& s : specs)
        exp.push_back({s.name, model_float(s.type) ? floats() : std::vector{s.type}, s.shape, ""});
    if (w.actorder == actorder_mode::group)
        exp.push_back({"weight_g_idx", {dtype::int32}, {in}, "actorder: group"});
    if (a && (sel.kind == K::fp8 || sel.kind == K::int8) && a->dynamic == dynamic_mode::static_) {
        exp.push_back({"input_scale", floats(), {1}, "static input activations"});
        if (!a->symmetric)
            exp.push_back({"input_zero_point", {dtype::int8, dtype::int32}, {1},
                           "asymmetric static input activations"});
    }
    if (a && sel.kind == K::nvfp4)
        exp.push_back({"input_global_scale", {dtype::float32}, {1}, "NVFP4 W4A4"});
    return exp;
}

/// Why a tensor is not loaded, for the common cases.
inline std::string extra_hint(std::string_view suffix) {
    if (suffix == "weight_zero_point") return "zero points are loaded only for asymmetric weights";
    if (suffix == "weight_g_idx") return "g_idx is loaded only with actorder: group";
    if (suffix == "input_scale" || suffix == "input_zero_point")
        return "loaded only for static activation quantization";
    if (suffix == "input_global_scale") return "loaded only for NVFP4 W4A4";
    if (suffix == "weight") return "this scheme loads packed weights, not a plain weight";
    return "this module's scheme does not load it";
}

struct checker {
    io::checkpoint const& ck;
    sink s;
    std::map<std::string, std::map<std::string, io::tensor_view>, std::less<>> by_module;

    std::string at(std::string const& tensor) const {
        return ck.shard_of(tensor).string() + ": " + tensor;
    }

    /// [out, in] from a plain weight, the weight_shape tensor, or fp4 packing.
    using tensors = std::map<std::string, io::tensor_view>;

    std::optional<std::array<std::int64_t, 2>> dims(tensors const& ts) const {
        if (auto w = ts.find("weight"); w != ts.end() && w->second.shape.size() == 2)
            return std::array{w->second.shape[0], w->second.shape[1]};
        if (auto w = ts.find("weight_shape"); w != ts.end() && w->second.type == dtype::int64 &&
                                               w->second.shape == std::vector<std::int64_t>{2}) {
            std::int64_t v[2];
            std::memcpy(v, w->second.bytes.data(), sizeof v);
            return std::array{v[0], v[1]};
        }
        if (auto w = ts.find("weight_packed");
            w != ts.end() && w->second.type == dtype::uint8 && w->second.shape.size() == 2)
            return std::array{w->second.shape[0], 2 * w->second.shape[1]};
        return std::nullopt;
    }

    void compare(std::string const& module, tensors const& ts,
                 std::vector<expected_tensor> const& exp, std::string const& state,
                 std::int64_t out) const {
        for (auto const& e : exp) {
            auto const name = module + "." + e.name;
            auto const it = ts.find(e.name);
            if (it == ts.end()) {
                s.err("tensor_missing", name, "missing", types_text(e.types) + " " +
                      shape_text(e.shape) + (e.why.empty() ? "" : " (" + e.why + ")"),
                      "vLLM does not notice and computes with uninitialized memory: write the "
                      "checkpoint again");
                continue;
            }
            auto const& t = it->second;
            if (std::find(e.types.begin(), e.types.end(), t.type) == e.types.end())
                s.err("tensor_dtype", at(name), "dtype " + str(safetensors_name(t.type)),
                      types_text(e.types), "store it as " + types_text(e.types));
            if (t.shape != e.shape) {
                if (e.shape == std::vector<std::int64_t>{1} && t.shape.empty())
                    s.warn("tensor_shape", at(name), "a 0-dim scalar", "shape [1]",
                           "vLLM accepts it; write shape [1]");
                else
                    s.err("tensor_shape", at(name), "shape " + shape_text(t.shape),
                          shape_text(e.shape), "write the tensor with the shape its scheme loads");
            }
        }
        for (auto const& [suffix, t] : ts) {
            if (std::any_of(exp.begin(), exp.end(),
                            [&](auto const& e) { return e.name == suffix; }))
                continue;
            auto const name = module + "." + suffix;
            if (suffix == "bias") {
                if (!model_float(t.type) || t.shape != std::vector<std::int64_t>{out})
                    s.err("tensor_shape", at(name), str(safetensors_name(t.type)) + " " +
                          shape_text(t.shape), "a float bias [" + std::to_string(out) + "]",
                          "store the bias in the model dtype");
                continue;
            }
            s.err("tensor_extra", at(name), "a tensor this " + state + " module does not load (" +
                  extra_hint(suffix) + ")", "only the tensors of its scheme",
                  "remove it (vLLM: 'There is no module or parameter named ...')");
        }
        for (auto const* n : {"weight_scale", "weight_global_scale", "input_scale",
                              "input_global_scale"})
            if (auto it = ts.find(n); it != ts.end())
                if (auto v = scalar(it->second); v && !(std::isfinite(*v) && *v > 0))
                    s.err("scale_value", at(module + "." + n), "value " + std::to_string(*v),
                          "a finite positive scale", "recompute the scale");
    }

    /// vLLM keeps one NVFP4 global scale per fused layer (their max): shards must agree.
    void shared_global_scales(recipe::detail::chk::layer const& l) const {
        for (auto const* n : {"weight_global_scale", "input_global_scale"}) {
            std::vector<float> v;
            for (auto const& m : l.shards) {
                auto const ts = by_module.find(m);
                if (ts == by_module.end() || !ts->second.contains(n)) return; // reported missing
                if (auto x = scalar(ts->second.at(n))) v.push_back(*x);
            }
            if (v.size() == l.shards.size() &&
                std::adjacent_find(v.begin(), v.end(), std::not_equal_to<>()) != v.end()) {
                std::string parts;
                for (std::size_t i = 0; i < v.size(); ++i)
                    parts += (i ? ", " : "") + l.shards[i].substr(l.shards[i].rfind('.') + 1) +
                             "=" + std::to_string(v[i]);
                s.err("global_scale", l.name, std::string("fused shards with different ") + n +
                      " (" + parts + ")", "one " + str(n) + " for all shards of " + l.name,
                      "vLLM uses their max for every shard: quantize the shards with a shared "
                      "global scale");
            }
        }
    }
};

/// config.json with its key order kept: vLLM walks config groups and targets in file order.
inline nlohmann::ordered_json read_ordered(std::filesystem::path const& p) {
    std::ifstream f(p);
    return nlohmann::ordered_json::parse(f);
}

/// Checks on the raw JSON that parsing cannot see: quant_method spellings vLLM accepts, the
/// status, sparsity, and keys the compatibility level rejects. Returns the object to parse.
inline std::optional<nlohmann::ordered_json> raw_config(nlohmann::ordered_json const& cfg,
                                                        std::string& base,
                                                        recipe::compat_level compat,
                                                        sink const& s) {
    nlohmann::ordered_json const* qc = nullptr;
    base = "quantization_config";
    if (auto it = cfg.find("quantization_config"); it != cfg.end()) qc = &*it;
    else if (auto t = cfg.find("text_config"); t != cfg.end() && t->is_object() &&
                                               t->contains("quantization_config")) {
        qc = &(*t)["quantization_config"];
        base = "text_config.quantization_config";
    }
    if (!qc || !qc->is_object()) {
        s.err("quant_method", "config.json", "no quantization_config object",
              "a compressed-tensors quantization_config", "this is not a quantized checkpoint");
        return std::nullopt;
    }
    auto copy = *qc;
    auto const method = qc->value("quant_method", nlohmann::ordered_json()).is_string()
                            ? recipe::detail::chk::lower((*qc)["quant_method"].get<std::string>())
                            : std::string();
    if (method != "compressed-tensors" && method != "compressed_tensors") {
        s.err("quant_method", base + ".quant_method", "quant_method " +
              qc->value("quant_method", nlohmann::ordered_json()).dump(),
              "\"compressed-tensors\"", "this checker reads compressed-tensors checkpoints only");
        return std::nullopt;
    }
    copy["quant_method"] = quant_method_name;
    if (auto st = qc->find("quantization_status");
        st != qc->end() && st->is_string() && *st != "compressed")
        s.err("status", base + ".quantization_status", "status " + st->dump(), "\"compressed\"",
              "vLLM reads the compressed tensor layout: save with save_compressed=True");
    if (auto sp = qc->find("sparsity_config"); sp != qc->end() && !sp->is_null() &&
                                              !(sp->is_object() && sp->empty())) {
        bool const dense = sp->is_object() && !sp->contains("targets") &&
                           sp->value("format", "dense") == "dense";
        if (!dense)
            s.err("sparsity", base + ".sparsity_config", "a sparsity configuration",
                  "{} or null", "vLLM removed sparsity support ('Sparsity support has been "
                  "removed'): save a dense model");
        copy["sparsity_config"] = nlohmann::ordered_json::object();
    }
    // vLLM reads a group's keys itself and skips others; only the writer's validation rejects.
    if (auto g = copy.find("config_groups"); g != copy.end() && g->is_object())
        for (auto& [name, grp] : g->items()) {
            if (!grp.is_object()) continue;
            std::vector<std::string> unknown;
            for (auto const& [k, v] : grp.items())
                if (k != "targets" && k != "weights" && k != "input_activations" &&
                    k != "output_activations" && k != "format")
                    unknown.push_back(k);
            for (auto const& k : unknown) {
                s.warn("unknown_key", base + ".config_groups." + name + "." + k, "unknown key `" +
                       k + "`", "targets, weights, input_activations, output_activations, format",
                       "vLLM ignores it but compressed-tensors rejects it: remove it");
                grp.erase(k);
            }
        }
    if (compat == recipe::compat_level::ct_0_11) {
        auto const keys = [&](nlohmann::ordered_json const& args, std::string const& where) {
            if (!args.is_object()) return;
            for (auto const* k : {"scale_dtype", "zp_dtype"})
                if (args.contains(k))
                    s.err("compat_key", where + "." + k, "the key `" + std::string(k) + "`",
                          "no such key: compressed-tensors 0.11/0.12 rejects it even as null",
                          "remove the key, or check with --compat ct-latest");
        };
        if (auto g = qc->find("config_groups"); g != qc->end() && g->is_object())
            for (auto const& [name, grp] : g->items())
                if (grp.is_object())
                    for (auto const* k : {"weights", "input_activations", "output_activations"})
                        if (grp.contains(k))
                            keys(grp[k], base + ".config_groups." + name + "." + k);
        if (auto kv = qc->find("kv_cache_scheme"); kv != qc->end())
            keys(*kv, base + ".kv_cache_scheme");
    }
    return copy;
}

} // namespace detail::chk

/// Checks the checkpoint in `dir` as vLLM would load it (single file or sharded).
check_report check_checkpoint(std::filesystem::path const& dir,
                                     recipe::check_options const& opt = {});

} // namespace nuq::pipeline

#ifdef NUQ_HEADER_ONLY
#include "nuq/check/checkpoint_rules_impl.hpp"
#endif
