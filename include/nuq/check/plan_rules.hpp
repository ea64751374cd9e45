#pragma once
// check: would vLLM load what a plan writes, and compute with it correctly? The config-level and
// scheme-level rules of docs/VLLM.md §7 (1–16), run on the quantization_config a plan writes and on
// the model's Linear modules. check/checkpoint_rules.hpp runs the same rules on a checkpoint
// already on disk and adds the tensor level (§7 17–19).
//
// Where vLLM versions differ, the rule is the conservative intersection (docs/VLLM.md §0): a config
// passes only if every vLLM release of the chosen compatibility level takes it.
//
// Finding ids (stable; `check.` + rule):
//   config_invalid      compressed-tensors' own validation rejects the config (rule 3)
//   quant_method        not a compressed-tensors config (rule 1)
//   status              quantization_status is not "compressed" (rule 1)
//   sparsity            a sparsity_config vLLM refuses (rule 1)
//   group_weights       a group without weights (rule 2)
//   attention_group     a group that targets only an Attention class (rule 2)
//   output_activations  a group with output_activations (rule 2)
//   compat_key          a key the compatibility level's compressed-tensors rejects (rule 3)
//   compat_feature      a scheme that compatibility level does not have (rules 3, 15)
//   actorder_alias      actorder spelled "static"/"dynamic" (rule 3, warning)
//   duplicate_target    the same target string in two groups (rule 4)
//   unmatched           a Linear module no group targets and `ignore` does not list (rule 4;
//                       a warning for a plan, whose writer lists it in `ignore`)
//   match_disagrees     vLLM's first-match and compressed-tensors' most-specific match give a
//                       module different schemes (rule 4)
//   class_vs_shard      older and newer vLLM pick different groups for a fused layer (rule 6)
//   fused_ignore        some shards of a fused layer ignored, others not (rule 7)
//   fused_split         shards of a fused layer in groups with different schemes (rule 7)
//   fused_spread        shards in different groups with the same scheme (rule 7, warning)
//   lm_head             lm_head quantized: vLLM before 2026 cannot load it (rule 9)
//   group_format        a group's `format` missing or not the one its scheme loads (rule 10)
//   top_format          the top-level `format` does not fit the groups' formats (rule 10)
//   no_scheme           no vLLM linear scheme takes these weights/activations (rules 11–16)
//   weights_dynamic     dynamic weights (rules 11–15)
//   asym_weights        asymmetric weights outside 4-bit WNA16 (rule 11)
//   wna16_strategy / wna16_bits / wna16_group_size       WNA16 kernel limits (rule 11)
//   kernel_shape        a fused layer's sizes Marlin cannot tile (rule 11)
//   group_divides       group_size does not divide a module's input features (rules 11, 14, 15)
//   fp8_strategy / fp8_activations / fp8_block_size      FP8 W8A8/W8A16 (rule 12)
//   block_shape         FP8 block rows do not divide a fused shard's outputs (rule 12)
//   int8_strategy / int8_activations                     INT8 W8A8 (rule 13)
//   nvfp4_activations / mxfp4_activations / mxfp8_activations   (rules 14, 15)
//   w4a8_fp8            W4A8-FP8 runs on SM90 only (rule 16, warning)
//   w4a8_group_size     W4A8-FP8 needs group_size 128 (rule 16)
//   w4a8_int            W4A8-INT has no GPU kernel (rule 16)
//   needs_new_vllm      a scheme only 2026 vLLM releases load (warning)
//   kv_cache_scheme     a KV-cache scheme vLLM refuses
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "nuq/detail/library.hpp"
#include "nuq/check/finding.hpp"
#include "nuq/error.hpp"
#include "nuq/quant/compression_format.hpp"
#include "nuq/quant/infer_format.hpp"
#include "nuq/quant/quant_args.hpp"
#include "nuq/quant/quant_scheme.hpp"
#include "nuq/quant/quantization_config.hpp"
#include "nuq/recipe/fused_modules.hpp"
#include "nuq/recipe/modules.hpp"
#include "nuq/recipe/resolve.hpp"
#include "nuq/recipe/target.hpp"

namespace nuq::recipe {

/// How a writer targeting level `c` dumps its config (ct-0.11 leaves the new keys out).
inline dump_options dump_options_for(compat_level c) {
    return {.ct_legacy_keys = c == compat_level::ct_0_11};
}


/// [out_features, in_features] of each Linear module, by module name.
using module_shapes = std::map<std::string, std::array<std::int64_t, 2>, std::less<>>;

/// The shapes of the modules that store a dense 2-D `weight` (a model before quantization).
inline module_shapes shapes_of(std::vector<tensor_entry> const& tensors) {
    module_shapes out;
    for (auto const& t : tensors)
        if (t.name.ends_with(".weight") && t.shape.size() == 2)
            out[t.name.substr(0, t.name.size() - 7)] = {t.shape[0], t.shape[1]};
    return out;
}

namespace detail::chk {

/// The linear scheme vLLM runs for a group (docs/VLLM.md §2).
enum class scheme_kind { wna16, w4a8_fp8, fp8, int8, nvfp4, mxfp4, mxfp8 };

struct selected {
    scheme_kind kind;
    compression_format format; ///< the format that scheme's tensors are stored in
};

/// Findings with the context in which they are raised.
struct sink {
    std::vector<finding>& out;
    void add(severity s, std::string id, std::string where, std::string found,
             std::string expected = {}, std::string fix = {}) const {
        out.push_back({"check." + std::move(id), s, std::move(where), std::move(found),
                       std::move(expected), std::move(fix)});
    }
    void err(std::string id, std::string where, std::string found, std::string expected = {},
             std::string fix = {}) const {
        add(severity::error, std::move(id), std::move(where), std::move(found),
            std::move(expected), std::move(fix));
    }
    void warn(std::string id, std::string where, std::string found, std::string expected = {},
              std::string fix = {}) const {
        add(severity::warning, std::move(id), std::move(where), std::move(found),
            std::move(expected), std::move(fix));
    }
};

inline std::string str(std::string_view s) { return std::string(s); }

inline bool is_nvfp4(quant_args const& a) {
    return a.is_float() && a.num_bits == 4 &&
           a.strategy_or_tensor() == quant_strategy::tensor_group && a.group_size == 16 &&
           a.symmetric;
}
inline bool is_mxfp4(quant_args const& a) {
    return a.is_float() && a.num_bits == 4 && a.strategy_or_tensor() == quant_strategy::group &&
           a.group_size == 32 && a.symmetric;
}
inline bool is_naive_family(compression_format f) {
    return f == compression_format::naive_quantized || f == compression_format::int_quantized ||
           f == compression_format::float_quantized;
}

/// vLLM's `_get_scheme_from_parts` for one group; reports why a group has no scheme.
inline std::optional<selected> select_scheme(quant_args const& w,
                                             std::optional<quant_args> const& a,
                                             std::string const& where, compat_level compat,
                                             sink const& s) {
    using S = quant_strategy;
    using F = compression_format;
    auto const wp = where + ".weights", ap = where + ".input_activations";
    auto const st = w.strategy_or_tensor();
    auto const new_vllm = [&](std::string what) {
        s.warn("needs_new_vllm", wp, what + " loads only in 2026 vLLM releases", "",
               "make sure the target vLLM has this scheme");
    };
    if (w.dynamic != dynamic_mode::static_) {
        s.err("weights_dynamic", wp + ".dynamic", "dynamic weight quantization",
              "dynamic: false", "set weights.dynamic to false");
        return std::nullopt;
    }
    if (w.is_float() && !w.symmetric) {
        s.err("asym_weights", wp + ".symmetric", "asymmetric float weights",
              "symmetric: true (every FP8/FP4 scheme of vLLM requires it)",
              "set weights.symmetric to true");
        return std::nullopt;
    }
    if (w.is_float() && w.num_bits == 4) {
        if (is_nvfp4(w)) {
            if (a && !is_nvfp4(*a)) {
                s.err("nvfp4_activations", ap, "NVFP4 weights with non-NVFP4 input activations",
                      "NVFP4 activations (W4A4) or none (NVFP4A16)",
                      "use the NVFP4 or NVFP4A16 preset");
                return std::nullopt;
            }
            return selected{scheme_kind::nvfp4, F::nvfp4_pack_quantized};
        }
        if (is_mxfp4(w)) {
            if (compat == compat_level::ct_0_11) {
                s.err("compat_feature", wp, "MXFP4 weights",
                      "a scheme compressed-tensors 0.11/0.12 has (MXFP4 needs >= 0.13)",
                      "use NVFP4, or --compat ct-latest");
                return std::nullopt;
            }
            if (a && !(is_mxfp4(*a) && a->dynamic == dynamic_mode::dynamic)) {
                s.err("mxfp4_activations", ap, "MXFP4 weights with other input activations",
                      "dynamic MXFP4 activations or none", "use the MXFP4A16 or MXFP4 preset");
                return std::nullopt;
            }
            new_vllm("MXFP4");
            return selected{scheme_kind::mxfp4, F::mxfp4_pack_quantized};
        }
        s.err("no_scheme", wp, "fp4 weights that are neither NVFP4 nor MXFP4",
              "NVFP4 (tensor_group, group_size 16) or MXFP4 (group, group_size 32)",
              "use the NVFP4A16 or MXFP4A16 preset");
        return std::nullopt;
    }
    if (w.is_float()) {
        if (w.num_bits != 8) {
            s.err("no_scheme", wp + ".num_bits", "float weights of " + std::to_string(w.num_bits) +
                  " bits", "8 (FP8) or 4 (NVFP4/MXFP4)", "use FP8 or an FP4 preset");
            return std::nullopt;
        }
        if (st == S::group && w.group_size == 32 && w.scale_dtype == dtype::uint8) {
            if (compat == compat_level::ct_0_11) {
                s.err("compat_feature", wp, "MXFP8 weights",
                      "a scheme compressed-tensors 0.11/0.12 has (MXFP8 needs >= 0.15)",
                      "use FP8, or --compat ct-latest");
                return std::nullopt;
            }
            if (a && !(a->is_float() && a->num_bits == 8 && a->dynamic == dynamic_mode::dynamic &&
                       a->strategy_or_tensor() == S::group && a->group_size == 32)) {
                s.err("mxfp8_activations", ap, "MXFP8 weights with other input activations",
                      "dynamic MXFP8 activations or none", "use the MXFP8 preset");
                return std::nullopt;
            }
            new_vllm("MXFP8");
            return selected{scheme_kind::mxfp8, F::mxfp8_quantized};
        }
        if (st != S::tensor && st != S::channel && st != S::block) {
            s.err("fp8_strategy", wp + ".strategy", "FP8 weights with strategy " +
                  str(to_string(st)), "tensor, channel or block (group only as MXFP8)",
                  "use the FP8, FP8_DYNAMIC or FP8_BLOCK preset");
            return std::nullopt;
        }
        if (!a) {
            if (st == S::block) new_vllm("FP8 block weight-only");
            return selected{scheme_kind::fp8, F::naive_quantized};
        }
        if (!a->is_float() || a->num_bits != 8) {
            s.err("fp8_activations", ap, "FP8 weights with non-FP8 input activations",
                  "FP8 activations (float, 8 bits) or none", "use the FP8 or FP8_DYNAMIC preset");
            return std::nullopt;
        }
        if (a->dynamic == dynamic_mode::static_ &&
            (!a->symmetric || a->strategy_or_tensor() != S::tensor || st == S::block)) {
            s.err("fp8_activations", ap, st == S::block
                      ? "FP8 block weights with static input activations"
                      : "static FP8 input activations that are not symmetric per-tensor",
                  st == S::block ? "dynamic activations" : "symmetric tensor strategy",
                  "use the FP8_BLOCK, FP8_DYNAMIC or FP8 preset");
            return std::nullopt;
        }
        if (st == S::block && w.block_structure != std::array<int, 2>{128, 128})
            s.warn("fp8_block_size", wp + ".block_structure", "an FP8 block other than [128, 128]",
                   "[128, 128], the block vLLM's fast kernels take", "use [128, 128]");
        return selected{scheme_kind::fp8, F::float_quantized};
    }

    // Integer weights.
    if (!a) {
        if (st != S::group && st != S::channel) {
            s.err("wna16_strategy", wp + ".strategy", "int weight-only with strategy " +
                  str(to_string(st)), "group or channel (WNA16)", "use group_size 128 or channel");
            return std::nullopt;
        }
        if (w.num_bits != 4 && w.num_bits != 8) {
            s.err("wna16_bits", wp + ".num_bits", std::to_string(w.num_bits) + "-bit int weights",
                  "4 or 8 bits (vLLM's WNA16 kernels; 1-8 only in 2026 releases)",
                  "use 4 or 8 bits");
            return std::nullopt;
        }
        auto const gs = w.group_size.value_or(0);
        if (st == S::group && gs != 32 && gs != 64 && gs != 128)
            s.err("wna16_group_size", wp + ".group_size", "group_size " + std::to_string(gs),
                  "32, 64 or 128, or channel (-1): the sizes vLLM's Marlin kernels take",
                  "use group_size 128");
        if (!w.symmetric && w.num_bits != 4)
            s.err("asym_weights", wp + ".symmetric", "asymmetric " + std::to_string(w.num_bits) +
                  "-bit weights", "asymmetric weights only for 4 bits (Marlin uint4 with zero "
                  "points)", "set symmetric: true");
        return selected{scheme_kind::wna16, F::pack_quantized};
    }
    auto const ast = a->strategy_or_tensor();
    if (w.num_bits == 4 && st == S::group && w.symmetric && a->is_float() && a->num_bits == 8 &&
        ast == S::token && a->dynamic == dynamic_mode::dynamic && a->symmetric) {
        s.warn("w4a8_fp8", where, "W4A8-FP8 (int4 weights, FP8 token activations)",
               "", "it runs only on SM90 GPUs (H100/H200)");
        if (w.group_size != 128)
            s.err("w4a8_group_size", wp + ".group_size", "group_size " +
                  std::to_string(w.group_size.value_or(0)), "128 (W4A8-FP8 kernels)",
                  "set group_size 128");
        return selected{scheme_kind::w4a8_fp8, F::pack_quantized};
    }
    if (a->is_float()) {
        s.err("no_scheme", ap, "int weights with float input activations",
              "int8 activations, dynamic per-token FP8 with int4 group weights (W4A8-FP8), or none",
              "use W8A8, W4A16 or W4AFP8");
        return std::nullopt;
    }
    if (w.num_bits == 4 && a->num_bits == 8 && ast == S::token &&
        a->dynamic != dynamic_mode::static_) {
        s.err("w4a8_int", where, "W4A8-INT (int4 weights, int8 token activations)",
              "a scheme with a GPU kernel", "vLLM runs W4A8-INT on CPUs only: use W4A16 or W8A8");
        return std::nullopt;
    }
    if (w.num_bits != 8 || a->num_bits != 8) {
        s.err("no_scheme", where, "int" + std::to_string(w.num_bits) + " weights with int" +
              std::to_string(a->num_bits) + " activations", "INT8 W8A8 (8-bit weights and "
              "activations)", "use W8A8, or drop the activations for WNA16");
        return std::nullopt;
    }
    if (st != S::tensor && st != S::channel) {
        s.err("int8_strategy", wp + ".strategy", "INT8 W8A8 weights with strategy " +
              str(to_string(st)), "tensor or channel", "use the W8A8 preset (channel)");
        return std::nullopt;
    }
    if (!w.symmetric) {
        s.err("asym_weights", wp + ".symmetric", "asymmetric INT8 W8A8 weights",
              "asymmetric weights only for 4-bit WNA16", "set symmetric: true");
        return std::nullopt;
    }
    bool const dyn = a->dynamic != dynamic_mode::static_;
    if ((dyn && ast != S::token) || (!dyn && ast != S::tensor)) {
        s.err("int8_activations", ap + ".strategy", str(dyn ? "dynamic" : "static") +
              " int8 activations with strategy " + str(to_string(ast)),
              "dynamic per-token or static per-tensor", "use the W8A8 preset");
        return std::nullopt;
    }
    return selected{scheme_kind::int8, F::int_quantized};
}

/// Args equal for loading: observers do not change what is stored.
inline bool same_args(std::optional<quant_args> a, std::optional<quant_args> b) {
    for (auto* x : {&a, &b})
        if (*x) {
            (*x)->observer.reset();
            (*x)->observer_kwargs = nlohmann::json::object();
            (*x)->actorder_alias = false;
        }
    return a == b;
}

/// A vLLM Linear layer: one module, or the shards vLLM fuses into one parameter.
struct layer {
    std::string name;                ///< vLLM's name, e.g. model.layers.0.self_attn.qkv_proj
    std::string cls;                 ///< a vLLM class name, for class targets
    std::vector<std::string> shards; ///< checkpoint modules, in shard order
};

inline std::vector<layer> vllm_layers(std::vector<std::string> const& modules) {
    std::vector<layer> out;
    std::map<std::string, std::size_t> fused_at; // vLLM name -> index in out
    for (auto const& m : modules) {
        auto const dot = m.rfind('.');
        auto const parent = dot == std::string::npos ? std::string() : m.substr(0, dot + 1);
        auto const leaf = std::string_view(m).substr(dot == std::string::npos ? 0 : dot + 1);
        std::optional<std::string> fused;
        for (auto const& p : fused_modules)
            if (!p.vllm_name.empty() &&
                std::find(p.shards.begin(), p.shards.end(), leaf) != p.shards.end())
                fused = parent + str(p.vllm_name);
        if (!fused) {
            out.push_back({m, m == "lm_head" ? "ParallelLMHead" : "Linear", {m}});
            continue;
        }
        auto const [it, added] = fused_at.emplace(*fused, out.size());
        if (added) out.push_back({*fused, "MergedColumnParallelLinear", {}});
        out[it->second].shards.push_back(m);
    }
    for (auto& l : out) // a lone shard is an ordinary layer under its own name
        if (l.shards.size() == 1 && l.name != l.shards[0]) l.name = l.shards[0], l.cls = "Linear";
    return out;
}

inline std::string lower(std::string_view s) {
    std::string r(s);
    std::transform(r.begin(), r.end(), r.begin(), [](unsigned char c) { return std::tolower(c); });
    return r;
}

inline std::string shard_list(layer const& l) {
    std::string s;
    for (auto const& m : l.shards) s += (s.empty() ? "" : ", ") + m.substr(m.rfind('.') + 1);
    return s;
}

/// What the engine checks: a quantization_config as vLLM reads it, and the model's modules.
struct input {
    quantization_config const& config;
    std::vector<std::string> group_where; ///< per group: the path findings name
    std::string base;                     ///< path of the config object itself
    std::vector<std::string> const& modules;
    module_shapes const& shapes;
    compat_level compat = compat_level::ct_latest;
};

enum class module_state { quantized, ignored, unmatched, conflict };

struct module_result {
    module_state state = module_state::unmatched;
    std::size_t group = 0;
};

/// What the engine found out, for the tensor level.
struct result {
    std::vector<std::optional<selected>> schemes;   ///< per group; nullopt: no vLLM scheme
    std::map<std::string, module_result, std::less<>> modules;
    std::vector<layer> layers;
};

/// The groups' target strings in vLLM's map order (first occurrence) with the group that
/// owns each (the last occurrence), compiled; bad patterns are reported and dropped.
struct target_map {
    std::vector<target> targets;
    std::vector<std::size_t> owner;
    std::vector<target> ignore;

    [[nodiscard]] std::optional<std::size_t> first_name(std::string const& name) const {
        for (std::size_t i = 0; i < targets.size(); ++i)
            if (targets[i].matches_name(name)) return i;
        return std::nullopt;
    }
    [[nodiscard]] std::optional<std::size_t> first_class(std::string const& cls) const {
        for (std::size_t i = 0; i < targets.size(); ++i)
            if (!targets[i].is_regex() && lower(cls).find(lower(targets[i].text())) !=
                                              std::string::npos)
                return i;
        return std::nullopt;
    }
    [[nodiscard]] bool ignored(std::string const& name) const {
        return std::any_of(ignore.begin(), ignore.end(),
                           [&](target const& t) { return t.matches_name(name); });
    }
    /// compressed-tensors' group for `name` (exact > regex > class; class names in ignore):
    /// how the writer quantized it. nullopt when it stays dense.
    [[nodiscard]] std::optional<std::size_t> ct_group(std::string const& name) const {
        static std::vector<std::string> const classes{"Linear"};
        if (matches_any(ignore, name, classes)) return std::nullopt;
        auto const hits = match_targets(targets, name, classes);
        if (hits.empty()) return std::nullopt;
        return owner[hits.front()];
    }
};

inline target_map build_targets(input const& in, sink const& s) {
    target_map m;
    auto const& groups = in.config.config_groups;
    for (std::size_t g = 0; g < groups.size(); ++g) {
        auto const& ts = groups[g].scheme.targets;
        for (std::size_t i = 0; i < ts.size(); ++i) {
            auto const where = in.group_where[g] + ".targets[" + std::to_string(i) + "]";
            auto const same = std::find_if(m.targets.begin(), m.targets.end(),
                                           [&](target const& t) { return t.text() == ts[i]; });
            if (same != m.targets.end()) {
                auto& owner = m.owner[static_cast<std::size_t>(same - m.targets.begin())];
                if (owner == g)
                    s.warn("duplicate_target", where, "target `" + ts[i] + "` listed twice", "",
                           "remove the repetition");
                else
                    s.err("duplicate_target", where, "target `" + ts[i] + "` is also in " +
                          in.group_where[owner], "each target string in one group only",
                          "vLLM keeps only the later group for it: remove it from one group");
                owner = g;
                continue;
            }
            try {
                m.targets.emplace_back(ts[i], where);
                m.owner.push_back(g);
            } catch (error const& e) {
                s.err("config_invalid", e.where(), e.found(), e.expected(), e.fix());
            }
        }
    }
    auto const& ignore = in.config.ignore ? *in.config.ignore : std::vector<std::string>{};
    for (std::size_t i = 0; i < ignore.size(); ++i) {
        try {
            m.ignore.emplace_back(ignore[i], in.base + ".ignore[" + std::to_string(i) + "]");
        } catch (error const& e) {
            s.err("config_invalid", e.where(), e.found(), e.expected(), e.fix());
        }
    }
    return m;
}

inline void check_groups(input const& in, result& r, sink const& s) {
    auto const& groups = in.config.config_groups;
    std::vector<compression_format> formats;
    auto const top = in.config.format;
    for (std::size_t g = 0; g < groups.size(); ++g) {
        auto const& sc = groups[g].scheme;
        auto const& where = in.group_where[g];
        std::optional<selected> sel;
        if (sc.targets.size() == 1 && sc.targets[0].ends_with("Attention"))
            s.err("attention_group", where + ".targets", "a group that targets only `" +
                  sc.targets[0] + "`", "Linear targets", "quantize the KV cache with "
                  "kv_cache_scheme instead");
        if (sc.output_activations)
            s.err("output_activations", where + ".output_activations", "output activations "
                  "quantized", "null", "remove output_activations (2026 vLLM routes such layers "
                  "to a fake-quant scheme)");
        if (!sc.weights) {
            s.err("group_weights", where + ".weights", "no weights args", "weights args in "
                  "every group (vLLM validates them)", "add weights, or drop the group");
        } else {
            sel = select_scheme(*sc.weights, sc.input_activations, where, in.compat, s);
            if (sc.weights->actorder_alias)
                s.warn("actorder_alias", where + ".weights.actorder", "actorder spelled as the "
                       "alias \"static\"/\"dynamic\"", "\"group\", \"weight\" or null",
                       "older compressed-tensors and vLLM's MoE path compare with the plain "
                       "names: write them");
            if (in.compat == compat_level::ct_0_11) {
                auto const& w = *sc.weights;
                if (w.actorder != actorder_mode::none &&
                    w.strategy_or_tensor() != quant_strategy::group)
                    s.err("compat_feature", where + ".weights.actorder", "actorder with strategy " +
                          str(to_string(w.strategy_or_tensor())), "actorder only with strategy "
                          "group (compressed-tensors 0.11/0.12)", "remove actorder");
            }
        }
        for (auto const* a : {&sc.weights, &sc.input_activations})
            if (*a && (*a)->strategy == quant_strategy::attn_head &&
                in.compat == compat_level::ct_0_11)
                s.err("compat_feature", where, "strategy attn_head", "a strategy "
                      "compressed-tensors 0.11/0.12 has (attn_head needs >= 0.13)",
                      "use strategy tensor");
        r.schemes.push_back(sel);

        auto fmt = sc.format;
        if (!fmt) {
            if (!top || *top == compression_format::mixed_precision)
                s.err("group_format", where + ".format", "no format", "the group's format",
                      "write \"format\" in every group (vLLM has no format for this one)");
            else
                s.warn("group_format", where + ".format", "no format; vLLM uses the top-level " +
                       str(to_string(*top)), "the group's format", "write it per group");
            fmt = top;
        }
        if (sel && fmt && *fmt != sel->format &&
            *fmt != compression_format::mixed_precision) {
            if (is_naive_family(*fmt) && is_naive_family(sel->format))
                s.warn("group_format", where + ".format", "\"" + str(to_string(*fmt)) + "\"",
                       "\"" + str(to_string(sel->format)) + "\" (the same tensors)",
                       "write the format compressed-tensors writes for this scheme");
            else
                s.err("group_format", where + ".format", "\"" + str(to_string(*fmt)) + "\"",
                      "\"" + str(to_string(sel->format)) + "\", the format this scheme loads",
                      "set the group's format to \"" + str(to_string(sel->format)) + "\"");
        }
        if (sel) formats.push_back(sc.format.value_or(sel->format));
        else if (sc.format) formats.push_back(*sc.format);
    }
    if (formats.empty()) return;
    auto const want = model_format(formats);
    if (!top && want != compression_format::mixed_precision)
        s.warn("top_format", in.base + ".format", "no top-level format", "\"" +
               str(to_string(want)) + "\"", "older vLLM reads only the top-level format: write it");
    else if (top != want)
        s.err("top_format", in.base + ".format", top ? "\"" + str(to_string(*top)) + "\""
                                                     : std::string("no format"),
              "\"" + str(to_string(want)) + "\" for the groups' formats",
              want == compression_format::mixed_precision
                  ? "set it to \"mixed-precision\" (several formats)"
                  : "set it to the one format the groups use");
}

inline void check_kv(input const& in, sink const& s) {
    auto const& kv = in.config.kv_cache_scheme;
    if (!kv) return;
    auto const where = in.base + ".kv_cache_scheme";
    auto const st = kv->strategy_or_tensor();
    if (!kv->is_float() || kv->num_bits != 8)
        s.err("kv_cache_scheme", where, "a " + str(kv->is_float() ? "float" : "int") +
              std::to_string(kv->num_bits) + " KV cache", "FP8 (float, 8 bits)",
              "use an FP8 kv_cache_scheme");
    if (st != quant_strategy::tensor && st != quant_strategy::attn_head)
        s.err("kv_cache_scheme", where + ".strategy", "strategy " + str(to_string(st)),
              "tensor (or attn_head in 2026 vLLM)", "use strategy tensor");
    if (!kv->symmetric)
        s.err("kv_cache_scheme", where + ".symmetric", "an asymmetric KV cache", "symmetric",
              "set symmetric: true");
}

/// Which group vLLM gives each layer (ignore first, then the first target in map order by
/// name, class, or all fused shards), with rules 4, 6 and 7.
inline void assign(input const& in, target_map const& tm, result& r, sink const& s) {
    auto const& groups = in.config.config_groups;
    auto const same = [&](std::size_t a, std::size_t b) {
        auto const& x = groups[a].scheme;
        auto const& y = groups[b].scheme;
        return same_args(x.weights, y.weights) &&
               same_args(x.input_activations, y.input_activations) &&
               x.format.value_or(compression_format::dense) ==
                   y.format.value_or(compression_format::dense);
    };
    auto const set = [&](layer const& l, module_state st, std::size_t g = 0) {
        for (auto const& m : l.shards) r.modules[m] = {st, g};
    };
    for (auto const& l : r.layers) {
        bool const fused = l.shards.size() > 1;
        std::vector<bool> ign;
        for (auto const& m : l.shards) ign.push_back(tm.ignored(m));
        if (std::adjacent_find(ign.begin(), ign.end(), std::not_equal_to<>()) != ign.end()) {
            std::string parts;
            for (std::size_t i = 0; i < ign.size(); ++i)
                parts += (i ? ", " : "") + l.shards[i].substr(l.shards[i].rfind('.') + 1) +
                         (ign[i] ? " ignored" : " quantized");
            s.err("fused_ignore", l.name, "fused shards disagree on ignore (" + parts + ")",
                  "all shards of " + l.name + " ignored, or none",
                  "vLLM raises 'requires all to use the same scheme': ignore all of " +
                  shard_list(l) + " or none");
            set(l, module_state::conflict);
            continue;
        }
        if (ign.front()) {
            set(l, module_state::ignored);
            continue;
        }
        auto const name_t = tm.first_name(l.name);
        auto const cls_t = tm.first_class(l.cls);
        std::vector<std::optional<std::size_t>> shard_t;
        for (auto const& m : l.shards) shard_t.push_back(tm.first_name(m));
        std::optional<std::size_t> fused_t;
        if (fused && std::all_of(shard_t.begin(), shard_t.end(), [](auto const& t) { return t; }))
            fused_t = shard_t.front();
        // vLLM up to 2026-07 tries name, class, shards; later releases name, shards, class.
        auto const old_t = name_t ? name_t : cls_t ? cls_t : fused_t;
        auto const new_t = name_t ? name_t : fused_t ? fused_t : cls_t;
        if (!new_t) {
            if (l.cls == "ParallelLMHead") { // vLLM quantizes lm_head by name only
                set(l, module_state::ignored);
                continue;
            }
            s.err("unmatched", l.name, "no group targets it and `ignore` does not list it",
                  "every Linear module in one group or in ignore",
                  "add it to ignore (older vLLM raises 'Unable to find matching target')");
            set(l, module_state::unmatched);
            continue;
        }
        auto const g = tm.owner[*new_t];
        if (old_t && !same(tm.owner[*old_t], g)) {
            s.err("class_vs_shard", l.name, "older vLLM gives it " +
                  in.group_where[tm.owner[*old_t]] + " by class target `" +
                  tm.targets[*old_t].text() + "`, newer vLLM " + in.group_where[g],
                  "one group for the fused layer in every vLLM release",
                  "make the shards' group also target the fused name, e.g. `re:.*" +
                  l.name.substr(l.name.rfind('.') + 1) + "$`");
            set(l, module_state::conflict);
            continue;
        }
        if (fused) {
            std::vector<std::optional<std::size_t>> own;
            for (auto const& t : shard_t) // a shard no name matches takes the class target
                own.push_back(t       ? std::optional(tm.owner[*t])
                              : cls_t ? std::optional(tm.owner[*cls_t])
                                      : std::nullopt);
            bool const split = std::any_of(own.begin(), own.end(), [&](auto const& o) {
                return !o || !same(*o, *own.front());
            });
            if (split) {
                std::string parts;
                for (std::size_t i = 0; i < own.size(); ++i)
                    parts += (i ? ", " : "") + l.shards[i].substr(l.shards[i].rfind('.') + 1) +
                             " " + (own[i] ? in.group_where[*own[i]] : std::string("unmatched"));
                s.err("fused_split", l.name, "fused shards in groups with different schemes (" +
                      parts + ")", "all shards of " + l.name + " in one group",
                      "vLLM applies the first shard's scheme to all of them: put " +
                      shard_list(l) + " in the same group");
                set(l, module_state::conflict);
                continue;
            }
            if (std::any_of(own.begin(), own.end(),
                            [&](auto const& o) { return *o != *own.front(); }))
                s.warn("fused_spread", l.name, "fused shards spread over groups with the same "
                       "scheme", "one group", "put " + shard_list(l) + " in one group");
        }
        set(l, module_state::quantized, g);
    }

    // How compressed-tensors quantized each module vs what vLLM loads it as.
    for (auto const& [m, mr] : r.modules) {
        if (mr.state == module_state::conflict || mr.state == module_state::unmatched) continue;
        auto const ct = tm.ct_group(m);
        if (m == "lm_head") {
            if (ct)
                s.err("lm_head", m, "lm_head quantized by " + in.group_where[*ct],
                      "lm_head in ignore", "vLLM before 2026 has no quantized lm_head ('There "
                      "is no module or parameter named lm_head.weight_...'): add \"lm_head\" "
                      "to ignore");
            continue;
        }
        bool const vq = mr.state == module_state::quantized;
        if (vq && ct && same(mr.group, *ct)) continue;
        if (!vq && !ct) continue;
        s.err("match_disagrees", m, "vLLM loads it as " +
              (vq ? in.group_where[mr.group] : std::string("unquantized")) +
              ", compressed-tensors writes it as " +
              (ct ? in.group_where[*ct] : std::string("unquantized")),
              "targets that give one answer under both matching rules (vLLM: first target in "
              "file order; compressed-tensors: exact > regex > class)",
              "make the groups' targets disjoint, anchored `re:.*name$` patterns");
    }
}

/// Shape rules that need [out, in]: group_size divides in (per module), Marlin tiles and FP8
/// blocks (per vLLM layer, tensor parallel size 1).
inline void check_shapes(input const& in, result const& r, sink const& s) {
    auto const& groups = in.config.config_groups;
    for (auto const& l : r.layers) {
        auto const& first = r.modules.at(l.shards.front());
        if (first.state != module_state::quantized || !r.schemes[first.group]) continue;
        auto const& w = *groups[first.group].scheme.weights;
        auto const kind = r.schemes[first.group]->kind;
        std::int64_t out_total = 0, cols = -1;
        bool known = true;
        for (std::size_t i = 0; i < l.shards.size(); ++i) {
            auto const it = in.shapes.find(l.shards[i]);
            if (it == in.shapes.end()) {
                known = false;
                continue;
            }
            auto const [out, inf] = it->second;
            out_total += out;
            cols = inf;
            auto const st = w.strategy_or_tensor();
            if ((st == quant_strategy::group || st == quant_strategy::tensor_group) &&
                w.group_size && *w.group_size > 0 && inf % *w.group_size != 0)
                s.err("group_divides", l.shards[i], "in_features " + std::to_string(inf) +
                      " is not a multiple of group_size " + std::to_string(*w.group_size),
                      "a group_size that divides the input features",
                      "use a smaller group_size, or ignore this module");
            if (st == quant_strategy::block && w.block_structure && i + 1 < l.shards.size() &&
                out % (*w.block_structure)[0] != 0)
                s.err("block_shape", l.shards[i], "out_features " + std::to_string(out) +
                      " is not a multiple of the block rows " +
                      std::to_string((*w.block_structure)[0]),
                      "block rows that divide every fused shard but the last",
                      "use a smaller block, or another strategy");
        }
        if (kind == scheme_kind::wna16 && known && cols >= 0 &&
            (out_total % 64 != 0 || cols % 128 != 0))
            s.err("kernel_shape", l.name, "[out " + std::to_string(out_total) + ", in " +
                  std::to_string(cols) + "]", "out a multiple of 64 and in of 128 (Marlin "
                  "WNA16 tiles)", "ignore this layer or quantize it with another scheme");
    }
}

/// Runs every config-level and scheme-level rule.
inline result run(input const& in, std::vector<finding>& out) {
    sink const s{out};
    result r;
    r.layers = vllm_layers(in.modules);
    for (auto const& l : r.layers)
        for (auto const& m : l.shards) r.modules[m] = {};
    check_groups(in, r, s);
    check_kv(in, s);
    auto const tm = build_targets(in, s);
    assign(in, tm, r, s);
    check_shapes(in, r, s);
    return r;
}

/// At ct-0.11 the writer leaves `scale_dtype`/`zp_dtype` out: flag args that then mean
/// something else (a scale or zero-point dtype other than the one inferred without the key).
inline void check_legacy_keys(quant_args const& a, std::string const& where, sink const& s) {
    quant_args plain = a;
    plain.scale_dtype.reset();
    plain.zp_dtype.reset();
    plain.validate(where);
    bool const fp4_scale = a.is_float() && a.num_bits == 4 && a.scale_dtype == dtype::float8_e4m3fn;
    if (a.scale_dtype && !fp4_scale)
        s.err("compat_key", where + ".scale_dtype", "scale_dtype " +
              nuq::detail::cfg::torch_string(*a.scale_dtype), "no scale_dtype (compressed-tensors "
              "0.11/0.12 rejects the key)", "drop scale_dtype, or use --compat ct-latest");
    if (a.zp_dtype && a.zp_dtype != plain.zp_dtype)
        s.err("compat_key", where + ".zp_dtype", "zp_dtype " +
              nuq::detail::cfg::torch_string(*a.zp_dtype), "the inferred zero-point dtype (the key "
              "is left out for compressed-tensors 0.11/0.12)", "drop zp_dtype, or use "
              "--compat ct-latest");
}

} // namespace detail::chk

/// Would vLLM load the checkpoint this plan writes? Checks `p.config` (the quantization_config
/// that will be written) against the plan's modules: docs/VLLM.md §7 rules 1–16.
/// @param model_config the model's config.json (read: tie_word_embeddings)
/// @param shapes       [out, in] of the Linear modules (see shapes_of); modules missing here
///                     skip the shape rules
/// @return findings in a stable order; group paths are the recipe's
std::vector<finding> check(plan const& p, nlohmann::json const& model_config,
                                  module_shapes const& shapes, check_options const& opt = {});

/// As above, with the shapes read from the model's tensors.
std::vector<finding> check(plan const& p, nlohmann::json const& model_config,
                                  std::vector<tensor_entry> const& tensors,
                                  check_options const& opt = {});

} // namespace nuq::recipe

#ifdef NUQ_HEADER_ONLY
#include "nuq/check/plan_rules_impl.hpp"
#endif
