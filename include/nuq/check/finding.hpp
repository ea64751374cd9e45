#pragma once
// What the vLLM loadability checks report (check/plan_rules.hpp for a plan,
// check/checkpoint_rules.hpp for a checkpoint on disk): findings, their severity, and the
// compressed-tensors compatibility level they are checked against.
#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "nuq/error.hpp"

namespace nuq::recipe {

enum class severity { error, warning };

constexpr std::string_view to_string(severity s) {
    return s == severity::error ? "error" : "warning";
}

/// One problem found: the same fields as nuq::error, plus how bad it is.
struct finding {
    std::string id;        ///< stable, e.g. "check.fused_split"
    severity level = severity::error;
    std::string where;     ///< config or recipe path, module, or "file: tensor"
    std::string found;
    std::string expected;
    std::string fix;

    friend bool operator==(finding const&, finding const&) = default;
};

/// The oldest compressed-tensors release the target vLLM ships (vLLM pins it exactly).
enum class compat_level {
    ct_latest, ///< compressed-tensors >= 0.13: `scale_dtype`/`zp_dtype` keys, MX formats
    ct_0_11,   ///< compressed-tensors 0.11/0.12 (e.g. vLLM 0.11.0): no `scale_dtype`/`zp_dtype`
               ///< keys even as null, no MXFP4/MXFP8, no attn_head, actorder only with group
};

inline constexpr std::array<std::pair<compat_level, std::string_view>, 2> compat_names{{
    {compat_level::ct_latest, "ct-latest"},
    {compat_level::ct_0_11, "ct-0.11"},
}};

constexpr std::string_view to_string(compat_level c) {
    for (auto const& [v, n] : compat_names)
        if (v == c) return n;
    return "invalid";
}
constexpr std::optional<compat_level> compat_from_string(std::string_view s) {
    for (auto const& [v, n] : compat_names)
        if (n == s) return v;
    return std::nullopt;
}

struct check_options {
    compat_level compat = compat_level::ct_latest;
};

[[nodiscard]] inline std::size_t count(std::vector<finding> const& fs, severity s) {
    return static_cast<std::size_t>(
        std::count_if(fs.begin(), fs.end(), [&](finding const& f) { return f.level == s; }));
}

/// True when no finding is an error (warnings allowed).
[[nodiscard]] inline bool loadable(std::vector<finding> const& fs) {
    return count(fs, severity::error) == 0;
}

/// `error [check.fused_split] where: found; expected ...; fix: ...` on one line.
inline std::string to_line(finding const& f) {
    std::string s = std::string(to_string(f.level)) + " [" + f.id + "] ";
    if (!f.where.empty()) s += f.where + ": ";
    s += f.found;
    if (!f.expected.empty()) s += "; expected " + f.expected;
    if (!f.fix.empty()) s += ". Fix: " + f.fix;
    return s;
}

inline nlohmann::json to_json(finding const& f) {
    return {{"id", f.id},       {"severity", to_string(f.level)}, {"where", f.where},
            {"found", f.found}, {"expected", f.expected},         {"fix", f.fix}};
}

/// One nuq::error (id "check.unloadable") listing every error finding, for callers that
/// must stop (nuq oneshot). Warnings are left out.
/// @param where what was checked, e.g. the recipe file
inline error unloadable_error(std::vector<finding> const& fs, std::string const& where) {
    std::string found = std::to_string(count(fs, severity::error)) +
                        " problem(s) vLLM would not load:";
    for (auto const& f : fs)
        if (f.level == severity::error) found += "\n  " + to_line(f);
    return error("check.unloadable", where, found, "a checkpoint every vLLM release of the "
                 "chosen --compat level loads",
                 "fix the recipe as each line says, or pass --allow-unloadable to write it "
                 "anyway");
}

/// Throws unloadable_error when any finding is an error.
inline void require_loadable(std::vector<finding> const& fs, std::string const& where) {
    if (!loadable(fs)) throw unloadable_error(fs, where);
}

} // namespace nuq::recipe
