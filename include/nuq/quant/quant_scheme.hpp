#pragma once
// quant_scheme: compressed-tensors' QuantizationScheme — the targets of one config group and
// the args for their weights, input and output activations, plus an optional per-group format
// (docs/FORMAT.md §1.3).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "nuq/detail/library.hpp"
#include "nuq/error.hpp"
#include "nuq/quant/compression_format.hpp"
#include "nuq/quant/quant_args.hpp"

namespace nuq {

struct quant_scheme {
    std::vector<std::string> targets;
    std::optional<quant_args> weights;
    std::optional<quant_args> input_activations;
    std::optional<quant_args> output_activations;
    std::optional<compression_format> format;

    friend bool operator==(quant_scheme const&, quant_scheme const&) = default;

    /// Validates each args (§1.2, inferring their defaults), then the scheme rules of §1.3 in
    /// the reference order. Throws nuq::error naming `where`.<field>.
    /// @param where JSON path of the scheme, e.g. "config_groups.group_0"
    void validate(std::string_view where = {});
};



/// Parses and validates a QuantizationScheme object (unknown keys are errors; `targets` is
/// required). Works with nlohmann::json and nlohmann::ordered_json.
/// @param where JSON path of the object, e.g. "config_groups.group_0"
template <class Json>
quant_scheme parse_quant_scheme(Json const& j, std::string_view where = {}) {
    using namespace detail::cfg;
    static constexpr std::array<std::string_view, 5> keys{
        "targets", "weights", "input_activations", "output_activations", "format"};
    if (!j.is_object())
        throw error("quant_scheme.object", std::string(where),
                    "found " + j.dump() + " (" + j.type_name() + ")",
                    "a QuantizationScheme object, or a list of targets for a preset");
    for (auto it = j.begin(); it != j.end(); ++it) {
        bool known = false;
        for (auto k : keys) known = known || k == it.key();
        if (!known)
            throw error("quant_scheme.unknown_key", path(where, it.key()),
                        "unknown key \"" + it.key() + '"', "one of " + quoted_list(keys),
                        "remove the key or fix its spelling");
    }
    quant_scheme s;
    auto const t = j.find("targets");
    if (t == j.end())
        throw error("quant_scheme.targets", path(where, "targets"), "missing \"targets\"",
                    "a list of module names, classes or \"re:\" patterns",
                    "add e.g. \"targets\": [\"Linear\"]");
    if (!t->is_array())
        throw error("quant_scheme.targets", path(where, "targets"), "found " + t->dump(),
                    "a list of strings", "write targets as a list, e.g. [\"Linear\"]");
    for (std::size_t i = 0; i < t->size(); ++i)
        s.targets.push_back(get_string((*t)[i], path(where, "targets") + '[' + std::to_string(i) +
                                                    ']', "quant_scheme.targets"));
    // Args are validated while parsed, then the scheme rules run, as in CT.
    auto const args = [&](std::string_view key, std::optional<quant_args>& out) {
        if (auto it = j.find(std::string(key)); it != j.end() && !it->is_null())
            out = parse_quant_args(*it, path(where, key));
    };
    args("weights", s.weights);
    args("input_activations", s.input_activations);
    args("output_activations", s.output_activations);
    if (auto it = j.find("format"); it != j.end() && !it->is_null()) {
        auto const p = path(where, "format");
        s.format = parse_compression_format(get_string(*it, p, "format.unknown"), p);
    }
    s.validate(where);
    return s;
}

/// The JSON compressed-tensors writes for a scheme: all five keys, null where unset.
nlohmann::json dump(quant_scheme const& s, dump_options const& opt = {});

/// ADL hooks so that `j.get<quant_scheme>()` and `json j = scheme;` work (top-level paths).
inline void from_json(nlohmann::json const& j, quant_scheme& s) { s = parse_quant_scheme(j); }
inline void to_json(nlohmann::json& j, quant_scheme const& s) { j = dump(s); }

} // namespace nuq

#ifdef NUQ_HEADER_ONLY
#include "nuq/quant/quant_scheme_impl.hpp"
#endif
