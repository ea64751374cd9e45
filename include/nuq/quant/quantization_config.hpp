#pragma once
// quantization_config: the "quantization_config" object of a checkpoint's config.json
// (docs/FORMAT.md §7): the config groups, ignore list, status, KV-cache args and writer version.
// Parsing ignores unknown top-level keys (CT: extra="ignore"); dumping writes every key the
// CT 0.18 writer writes. nlohmann::json objects are key-sorted, as CT's json.dump(sort_keys).
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "nuq/error.hpp"
#include "nuq/quant/compression_format.hpp"
#include "nuq/quant/infer_format.hpp"
#include "nuq/quant/presets.hpp"
#include "nuq/quant/quant_args.hpp"
#include "nuq/quant/quant_scheme.hpp"

namespace nuq {

/// Lifecycle state of the quantized layers. Anything but `compressed` means the weights on
/// disk are dense floats (§11.13).
enum class quant_status { initialized, calibration, frozen, compressed, decompressed };

namespace detail::cfg {
inline constexpr std::array<enum_name<quant_status>, 5> quant_status_names{{
    {quant_status::initialized, "initialized"},
    {quant_status::calibration, "calibration"},
    {quant_status::frozen, "frozen"},
    {quant_status::compressed, "compressed"},
    {quant_status::decompressed, "decompressed"},
}};
} // namespace detail::cfg

constexpr std::string_view to_string(quant_status s) {
    return detail::cfg::name_of(detail::cfg::quant_status_names, s);
}
/// Exact spelling, as CT's enum.
constexpr std::optional<quant_status> quant_status_from_string(std::string_view s) {
    for (auto const& e : detail::cfg::quant_status_names)
        if (e.name == s) return e.value;
    return std::nullopt;
}

/// The value of `quant_method`; HF and vLLM dispatch on it.
inline constexpr std::string_view quant_method_name = "compressed-tensors";

/// CT's format when the key is absent (DEFAULT_QUANTIZATION_FORMAT): "unknown, use the
/// per-group or inferred formats". Held as a null `format`.
inline constexpr std::string_view default_format_name = "fakequant";

struct config_group {
    std::string name;
    quant_scheme scheme;

    friend bool operator==(config_group const&, config_group const&) = default;
};

struct quantization_config {
    std::vector<config_group> config_groups;      // file order: later groups win ties (§8.3)
    std::optional<compression_format> format;     // null: "fakequant"
    std::optional<std::vector<std::string>> ignore = std::vector<std::string>{};  // may be null
    quant_status quantization_status = quant_status::initialized;
    std::optional<quant_args> kv_cache_scheme;
    std::optional<double> global_compression_ratio;
    nlohmann::json sparsity_config = nlohmann::json::object();   // CT 0.18 writes {}
    nlohmann::json transform_config = nlohmann::json::object();  // kept verbatim
    std::optional<std::string> version = to_string(ct_latest);   // writer's CT version

    friend bool operator==(quantization_config const&, quantization_config const&) = default;

    /// The group called `name`, or nullptr.
    [[nodiscard]] quant_scheme const* find_group(std::string_view name) const {
        for (auto const& g : config_groups)
            if (g.name == name) return &g.scheme;
        return nullptr;
    }
    /// The writer's release from `version`; nullopt when absent or unreadable.
    [[nodiscard]] std::optional<ct_version> writer_version() const {
        return version ? ct_version_from_string(*version) : std::nullopt;
    }
};

/// Parses the quantization_config object. Groups keep their file order when `j` is an
/// nlohmann::ordered_json (nlohmann::json sorts them by name). A group whose value is a list of
/// strings is the preset named by the key, with those targets.
/// @param where JSON path of the object ("" when paths should start at config_groups)
template <class Json>
quantization_config parse_quantization_config(Json const& j, std::string_view where = {}) {
    using namespace detail::cfg;
    if (!j.is_object())
        throw error("config.object", std::string(where),
                    "found " + j.dump() + " (" + j.type_name() + ")",
                    "a quantization_config object");
    quantization_config c;
    auto const get = [&](std::string_view k) -> Json const* {
        auto it = j.find(std::string(k));
        return it == j.end() ? nullptr : &*it;
    };

    auto const* groups = get("config_groups");
    if (!groups)
        throw error("config.config_groups", path(where, "config_groups"),
                    "missing \"config_groups\"", "an object of group name -> scheme",
                    "add config_groups, e.g. {\"group_0\": {\"targets\": [\"Linear\"], ...}}");
    if (!groups->is_object())
        throw error("config.config_groups", path(where, "config_groups"),
                    "found " + groups->dump(), "an object of group name -> scheme");
    for (auto it = groups->begin(); it != groups->end(); ++it) {
        auto const gpath = path(path(where, "config_groups"), it.key());
        if (it->is_array()) {
            std::vector<std::string> targets;
            for (std::size_t i = 0; i < it->size(); ++i)
                targets.push_back(get_string((*it)[i], gpath + '[' + std::to_string(i) + ']',
                                             "config.targets"));
            c.config_groups.push_back(
                {it.key(), preset_scheme(it.key(), std::move(targets), gpath)});
        } else {
            c.config_groups.push_back({it.key(), parse_quant_scheme(*it, gpath)});
        }
    }
    if (auto v = get("quant_method")) {
        auto const m = get_string(*v, path(where, "quant_method"), "config.quant_method");
        if (m != quant_method_name)
            throw error("config.quant_method", path(where, "quant_method"),
                        "quant_method \"" + m + '"', "\"compressed-tensors\"",
                        "this is not a compressed-tensors checkpoint; use a loader for " + m);
    }
    if (auto v = get("kv_cache_scheme"); v && !v->is_null())
        c.kv_cache_scheme = parse_quant_args(*v, path(where, "kv_cache_scheme"));
    if (auto v = get("format")) {
        auto const p = path(where, "format");
        auto const f = get_string(*v, p, "format.unknown");
        if (f != default_format_name) c.format = parse_compression_format(f, p);
    }
    if (auto v = get("quantization_status")) {
        auto const p = path(where, "quantization_status");
        auto const s = get_string(*v, p, "config.quantization_status");
        auto const st = quant_status_from_string(s);
        if (!st)
            throw error("config.quantization_status", p, "unknown status \"" + s + '"',
                        "one of " + quoted_list(quant_status_names),
                        "use \"compressed\" for a compressed checkpoint");
        c.quantization_status = *st;
    }
    if (auto v = get("global_compression_ratio"); v && !v->is_null()) {
        if (!v->is_number())
            throw error("config.global_compression_ratio", path(where, "global_compression_ratio"),
                        "found " + v->dump(), "a number or null");
        c.global_compression_ratio = v->template get<double>();
    }
    if (auto v = get("ignore")) {
        auto const p = path(where, "ignore");
        if (v->is_null()) {
            c.ignore.reset();
        } else if (v->is_array()) {
            for (std::size_t i = 0; i < v->size(); ++i)
                c.ignore->push_back(
                    get_string((*v)[i], p + '[' + std::to_string(i) + ']', "config.ignore"));
        } else {
            throw error("config.ignore", p, "found " + v->dump(),
                        "a list of module names or \"re:\" patterns");
        }
    }
    auto const object_key = [&](std::string_view key, nlohmann::json& out) {
        if (auto v = get(key)) {
            if (!v->is_object())
                throw error("config." + std::string(key), path(where, key), "found " + v->dump(),
                            "an object", "use {} when there is none");
            out = nlohmann::json(*v);
        }
    };
    object_key("sparsity_config", c.sparsity_config);
    object_key("transform_config", c.transform_config);
    if (auto v = get("version"))
        c.version = get_string(*v, path(where, "version"), "config.version");
    else
        c.version.reset();
    return c;
}

/// The quantization_config object as compressed-tensors writes it: every key, the
/// preset groups expanded, `format` "fakequant" when null, `version` left out when null.
inline nlohmann::json dump(quantization_config const& c, dump_options const& opt = {}) {
    nlohmann::json j = nlohmann::json::object();
    j["config_groups"] = nlohmann::json::object();
    for (auto const& g : c.config_groups) j["config_groups"][g.name] = dump(g.scheme, opt);
    j["format"] = c.format ? to_string(*c.format) : default_format_name;
    j["global_compression_ratio"] =
        c.global_compression_ratio ? nlohmann::json(*c.global_compression_ratio) : nlohmann::json();
    j["ignore"] = c.ignore ? nlohmann::json(*c.ignore) : nlohmann::json();
    j["kv_cache_scheme"] = c.kv_cache_scheme ? dump(*c.kv_cache_scheme, opt) : nlohmann::json();
    j["quant_method"] = quant_method_name;
    j["quantization_status"] = to_string(c.quantization_status);
    j["sparsity_config"] = c.sparsity_config;
    j["transform_config"] = c.transform_config;
    if (c.version) j["version"] = *c.version;
    return j;
}

/// What a writer does before saving (§6.3): sets each quantized group's `format` (forced, else
/// its own, else inferred for a layer of rules.module) and the top-level format over them.
inline void assign_formats(quantization_config& c, std::optional<compression_format> forced = {},
                           format_rules const& rules = {}) {
    std::vector<compression_format> formats;
    for (auto& g : c.config_groups) {
        auto& s = g.scheme;
        if (!s.weights && !s.input_activations && !s.output_activations) continue;
        s.format = resolve_module_format(s, forced, rules);
        formats.push_back(*s.format);
    }
    c.format = model_format(formats);
}

/// ADL hooks so that `j.get<quantization_config>()` and `json j = config;` work.
inline void from_json(nlohmann::json const& j, quantization_config& c) {
    c = parse_quantization_config(j);
}
inline void to_json(nlohmann::json& j, quantization_config const& c) { j = dump(c); }

} // namespace nuq
