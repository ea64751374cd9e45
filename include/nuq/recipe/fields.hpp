#pragma once
// Typed reading of recipe fields from a JSON tree, each read naming its recipe path
// (`quant_stage.quant_modifiers.GPTQModifier.block_size`) when the value is wrong. YAML recipes
// are converted to the same JSON tree first (yaml.hpp), so both inputs share these checks.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "nuq/error.hpp"

namespace nuq::recipe::fields {

using json = nlohmann::ordered_json; // ordered: file order decides modifier and group order

/// `parent.key`, or `key` at the top.
inline std::string child(std::string const& parent, std::string_view key) {
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}
/// `parent[i]`.
inline std::string item(std::string const& parent, std::size_t i) {
    return parent + "[" + std::to_string(i) + "]";
}

/// How a value reads in a message: `a string "abc"`, `a number 3`, `a list`, ...
inline std::string describe(json const& v) {
    switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return std::string("the boolean ") + (v.get<bool>() ? "true" : "false");
    case json::value_t::string: return "the string \"" + v.get<std::string>() + "\"";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return "the number " + v.dump();
    case json::value_t::array: return "a list";
    case json::value_t::object: return "a mapping";
    default: return "a value of unsupported type";
    }
}

[[noreturn]] inline void wrong_type(std::string const& path, json const& v, std::string expected,
                                    std::string fix = {}) {
    if (fix.empty()) fix = "change the value to " + expected;
    throw error("recipe.type", path, "found " + describe(v), std::move(expected), std::move(fix));
}

/// Edit distance, to suggest the key the user probably meant.
inline std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t const up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0u : 1u)});
            diag = up;
        }
    }
    return row[b.size()];
}

/// `a`, `b` or `c`, for messages.
inline std::string one_of(std::vector<std::string> const& names) {
    std::string s;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i) s += i + 1 == names.size() ? " or " : ", ";
        s += "`" + names[i] + "`";
    }
    return s;
}

/// "did you mean `x`?" when one known name is close, else the list of known names.
inline std::string suggest(std::string_view got, std::vector<std::string> const& known) {
    std::string best;
    std::size_t best_d = std::numeric_limits<std::size_t>::max();
    for (auto const& k : known) {
        auto const d = edit_distance(got, k);
        if (d < best_d) best_d = d, best = k;
    }
    if (!best.empty() && best_d <= std::max<std::size_t>(2, got.size() / 4))
        return "did you mean `" + best + "`?";
    return "use one of " + one_of(known);
}

inline json const& require_object(json const& v, std::string const& path, std::string what) {
    if (!v.is_object()) wrong_type(path, v, std::move(what));
    return v;
}

/// Every key of `obj` must be in `allowed`; the error lists or suggests the allowed keys.
inline void check_keys(json const& obj, std::string const& path, std::vector<std::string> const& allowed,
                       std::string_view what) {
    for (auto const& [k, v] : obj.items()) {
        if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
            throw error("recipe.unknown_key", child(path, k),
                        "unknown key `" + k + "` in " + std::string(what),
                        "one of " + one_of(allowed), "remove it or " + suggest(k, allowed));
    }
}

inline bool get_bool(json const& v, std::string const& path) {
    if (!v.is_boolean()) wrong_type(path, v, "true or false");
    return v.get<bool>();
}

inline std::int64_t get_int(json const& v, std::string const& path) {
    if (v.is_number_integer() || v.is_number_unsigned()) return v.get<std::int64_t>();
    // 128.0 is accepted as an integer, as pydantic does; 128.5 is not.
    if (v.is_number_float()) {
        double const d = v.get<double>();
        if (d > -9.0e15 && d < 9.0e15 && d == static_cast<double>(static_cast<std::int64_t>(d)))
            return static_cast<std::int64_t>(d);
    }
    wrong_type(path, v, "an integer");
}

inline int get_int_in(json const& v, std::string const& path, std::int64_t lo, std::int64_t hi) {
    auto const i = get_int(v, path);
    if (i < lo || i > hi)
        throw error("recipe.range", path, "found " + std::to_string(i),
                    "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return static_cast<int>(i);
}

inline double get_number(json const& v, std::string const& path) {
    if (!v.is_number()) wrong_type(path, v, "a number");
    return v.get<double>();
}

inline std::string get_string(json const& v, std::string const& path) {
    if (!v.is_string()) wrong_type(path, v, "a string");
    return v.get<std::string>();
}

/// A string or a list of strings (llm-compressor turns a lone string into a one-element list).
inline std::vector<std::string> get_string_list(json const& v, std::string const& path) {
    if (v.is_string()) return {v.get<std::string>()};
    if (!v.is_array()) wrong_type(path, v, "a string or a list of strings");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < v.size(); ++i) out.push_back(get_string(v[i], item(path, i)));
    return out;
}

/// One of a closed set of spellings.
inline std::string get_enum(json const& v, std::string const& path, std::vector<std::string> const& allowed) {
    auto s = get_string(v, path);
    if (std::find(allowed.begin(), allowed.end(), s) == allowed.end())
        throw error("recipe.value", path, "found \"" + s + "\"", one_of(allowed), suggest(s, allowed));
    return s;
}

} // namespace nuq::recipe::fields
