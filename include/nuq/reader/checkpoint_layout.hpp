#pragma once
// The compressed-checkpoint reader: read_layout() maps the config groups of a checkpoint's
// `quantization_config` onto the modules found in its tensor names (docs/FORMAT.md §8) and
// decides each module's format (§9.1) and dense shape, as compressed-tensors' decompressor
// does; lookup() gives a module's stored tensors by local name. dequantize_module.hpp turns
// one module back into dense values; pipeline/inspect and pipeline/decompress, model::weights
// and the checkpoint checker read checkpoints through these.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "nuq/error.hpp"
#include "nuq/format/bit_packing.hpp"
#include "nuq/quant/infer_format.hpp"
#include "nuq/format/tensor_lookup.hpp"
#include "nuq/io/checkpoint.hpp"
#include "nuq/quant/quantization_config.hpp"
#include "nuq/recipe/modules.hpp"
#include "nuq/recipe/target.hpp"

namespace nuq::reader {

/// A module that a config group quantizes, as the checkpoint stores it.
struct stored_module {
    std::string name;
    std::string group;                 ///< the config group whose scheme applies
    quant_scheme scheme;
    /// §9.1; dense when the weight is stored as floats (no weight args, or a status other
    /// than compressed).
    compression_format format = compression_format::dense;
    format::bit_layout layout = format::bit_layout::dense; ///< pack-quantized only
    std::vector<std::int64_t> shape;   ///< of the dense weight
    std::vector<std::string> tensors;  ///< its stored tensors (full names), `bias` excepted
};

/// The modules of a checkpoint seen through its quantization_config.
struct checkpoint_layout {
    std::optional<quantization_config> config; ///< none: not a compressed-tensors checkpoint
    std::vector<stored_module> modules;        ///< quantized modules, in named_modules() order

    /// Quantized and stored compressed (§11.13: any other status means dense weights).
    [[nodiscard]] bool compressed() const {
        return config && config->quantization_status == quant_status::compressed;
    }
};

/// A stored tensor as a tensor_ref.
inline tensor_ref ref_of(io::tensor_view const& v) { return {v.type, v.shape, v.bytes}; }

/// The stored tensors of `module` by local name.
inline format::tensor_lookup lookup(io::checkpoint const& ck, std::string const& module) {
    return [&ck, module](std::string const& local) -> std::optional<tensor_ref> {
        auto const name = module + "." + local;
        if (!ck.has(name)) return std::nullopt;
        return ref_of(ck.tensor(name));
    };
}

namespace detail {

/// `model.layers.0.mlp.down_proj.weight_scale` → {module, local name}; no dot: module "".
inline std::pair<std::string, std::string> split_tensor_name(std::string const& name) {
    auto const dot = name.rfind('.');
    if (dot == std::string::npos) return {"", name};
    return {name.substr(0, dot), name.substr(dot + 1)};
}

/// The config groups' targets in one table, as apply_quantization_config builds it: a target
/// string repeated in a later group keeps its place but takes the later group (§8.3).
struct group_table {
    std::vector<recipe::target> targets;
    std::vector<std::size_t> group; ///< targets[i] belongs to config_groups[group[i]]
    std::vector<recipe::target> ignore;

    explicit group_table(quantization_config const& c) {
        for (std::size_t g = 0; g < c.config_groups.size(); ++g) {
            auto const& grp = c.config_groups[g];
            for (std::size_t i = 0; i < grp.scheme.targets.size(); ++i) {
                auto const& text = grp.scheme.targets[i];
                std::size_t k = 0;
                while (k < targets.size() && targets[k].text() != text) ++k;
                if (k < targets.size()) {
                    group[k] = g;
                    continue;
                }
                targets.emplace_back(text, "quantization_config.config_groups." + grp.name +
                                               ".targets[" + std::to_string(i) + "]");
                group.push_back(g);
            }
        }
        if (c.ignore) ignore = recipe::compile_targets(*c.ignore, "quantization_config.ignore");
    }
};

/// True when a stored weight holds codes rather than floats.
inline bool holds_codes(io::checkpoint const& ck, std::string const& module) {
    if (ck.has(module + ".weight_packed")) return true;
    return ck.has(module + ".weight") && !is_floating(ck.tensor(module + ".weight").type);
}

/// The classes a module is matched by: checkpoints have none, so, as compressed-tensors'
/// model-free matching does, a 2-D weight that is no norm is a Linear, or an Embedding when its
/// name says so. So is a module with any weight qparam, even if its weight is missing: then
/// the missing tensor is reported rather than the rest passed through.
inline std::vector<std::string> module_classes(io::checkpoint const& ck,
                                               std::string const& module) {
    auto const leaf = std::string_view(module).substr(module.rfind('.') + 1);
    bool const two_d =
        ck.has(module + ".weight") && ck.tensor(module + ".weight").shape.size() == 2;
    bool quantized = holds_codes(ck, module);
    for (std::string_view local : {"weight_packed", "weight_shape", "weight_scale",
                                   "weight_zero_point", "weight_global_scale", "weight_g_idx"})
        quantized = quantized || ck.has(module + "." + std::string(local));
    if (recipe::detail::is_norm(leaf) || !(two_d || quantized)) return {};
    return {recipe::detail::is_embedding(leaf) ? "Embedding" : "Linear"};
}

/// §9.1: the group's format, else the top-level one unless mixed-precision/dense/fakequant,
/// else inferred with the writer's rules.
inline compression_format module_format(quantization_config const& c, quant_scheme const& s,
                                        bool embedding) {
    using F = compression_format;
    if (s.format) return *s.format;
    if (c.format && *c.format != F::mixed_precision && *c.format != F::dense) return *c.format;
    format_rules rules;
    rules.version = c.writer_version().value_or(ct_latest);
    rules.module = embedding ? module_kind::embedding : module_kind::linear;
    return infer_module_format(s, rules);
}

/// The weight and its qparams: what a decompressed (or already dense) weight replaces.
inline bool is_weight_part(std::string_view local) {
    return local == "weight" || local == "weight_packed" || local == "weight_shape" ||
           local == "weight_scale" || local == "weight_zero_point" ||
           local == "weight_global_scale" || local == "weight_g_idx";
}

/// Dense shape and pack layout of a module stored in a compressed format.
inline void read_shape(io::checkpoint const& ck, quantization_config const& c, stored_module& m) {
    using F = compression_format;
    auto const find = lookup(ck, m.name);
    auto const& w = m.name;
    switch (m.format) {
    case F::pack_quantized: {
        auto const s = format::require(find, w, "weight_shape");
        if (s.shape.size() != 1 || (s.type != dtype::int64 && s.type != dtype::int32))
            throw error("format.weight_shape", w + ".weight_shape",
                        "weight_shape is " + std::string(torch_name(s.type)) + " of " +
                            std::to_string(s.shape.size()) + " dimensions",
                        "int64 [2]", "only 2-D weights are supported");
        for (std::size_t i = 0; i < static_cast<std::size_t>(s.numel()); ++i)
            m.shape.push_back(s.type == dtype::int64 ? s.at<std::int64_t>(i)
                                                     : s.at<std::int32_t>(i));
        auto const packed = format::require(find, w, "weight_packed", dtype::int32);
        // docs/FORMAT.md §5.3: the writer's version decides; without one, the row length does
        int const bits = m.scheme.weights->num_bits;
        if (auto const v = c.writer_version())
            m.layout = *v < ct_version{0, 18, 0} ? format::bit_layout::element_aligned
                                                 : format::bit_layout::dense;
        else if (m.shape.size() == 2 && packed.shape.size() == 2 &&
                 packed.shape[1] !=
                     format::packed_words(m.shape[1], bits, format::bit_layout::dense))
            m.layout = format::bit_layout::element_aligned;
        break;
    }
    case F::nvfp4_pack_quantized:
    case F::mxfp4_pack_quantized: {
        auto const p = format::require(find, w, "weight_packed", dtype::uint8);
        m.shape = p.shape;
        if (!m.shape.empty()) m.shape.back() *= 2; // two fp4 codes a byte
        break;
    }
    default: m.shape = format::require(find, w, "weight").shape;
    }
    if (m.format != F::dense) format::require(find, w, "weight_scale");
}

} // namespace detail

/// The checkpoint's quantization_config, if it has one. Read in file order: of two groups
/// with the same target string, the later wins.
inline std::optional<quantization_config> read_quantization_config(io::checkpoint const& ck) {
    if (!ck.config().contains("quantization_config")) return std::nullopt;
    std::ifstream f(ck.directory() / io::config_name);
    auto const ordered = nlohmann::ordered_json::parse(f, nullptr, false);
    if (ordered.is_object() && ordered.contains("quantization_config"))
        return parse_quantization_config(ordered["quantization_config"], "quantization_config");
    return parse_quantization_config(ck.config().at("quantization_config"), "quantization_config");
}

/// Maps the checkpoint's config groups onto its modules. Throws nuq::error for a legacy format,
/// a quantized module whose tensors are missing, or compressed tensors no group accounts for.
inline checkpoint_layout read_layout(io::checkpoint const& ck) {
    checkpoint_layout out;
    out.config = read_quantization_config(ck);
    if (!out.config) return out;
    auto const& c = *out.config;
    detail::group_table const table(c);

    // modules with a weight, or with any part of one (so that a missing part is reported)
    std::map<std::string, std::vector<std::string>> tensors_of;
    std::set<std::string> weighted;
    for (auto const& n : ck.names()) {
        auto [module, local] = detail::split_tensor_name(n);
        if (detail::is_weight_part(local)) weighted.insert(module);
        if (local != "bias") tensors_of[module].push_back(n);
    }
    std::vector<std::string> names(weighted.begin(), weighted.end());
    recipe::sort_in_module_order(names);

    for (auto const& name : names) {
        auto const classes = detail::module_classes(ck, name);
        auto const hits = recipe::match_targets(table.targets, name, classes);
        bool const ignored = recipe::matches_any(table.ignore, name, classes);
        if (hits.empty() || ignored) {
            if (detail::holds_codes(ck, name))
                throw error("layout.unmatched", ck.directory().string() + ", module " + name,
                            "its weight is stored compressed, but " +
                                std::string(ignored ? "it is in `ignore`"
                                                    : "no config group targets it"),
                            "a config group whose targets match the module",
                            "fix quantization_config in config.json (targets / ignore)");
            continue;
        }
        auto const& group = c.config_groups[table.group[hits.front()]];
        auto const& s = group.scheme;
        if (!s.weights && !s.input_activations && !s.output_activations) continue;
        stored_module m;
        m.name = name;
        m.group = group.name;
        m.scheme = s;
        m.tensors = tensors_of[name];
        bool const embedding = !classes.empty() && classes.front() == "Embedding";
        if (s.weights && out.compressed()) m.format = detail::module_format(c, s, embedding);
        if (is_legacy(m.format)) // a group cannot say mixed-precision: parsing refuses it
            throw error("layout.format", ck.directory().string() + ", module " + name,
                        "format \"" + std::string(to_string(m.format)) + "\" cannot be read",
                        "naive-, int-, float-, pack-, nvfp4-pack-, mxfp4-pack- or mxfp8-quantized, "
                        "or dense",
                        "the sparse and marlin-24 formats were removed in compressed-tensors 0.15; "
                        "decompress such a checkpoint with an older compressed-tensors");
        detail::read_shape(ck, c, m);
        out.modules.push_back(std::move(m));
    }
    return out;
}

} // namespace nuq::reader
