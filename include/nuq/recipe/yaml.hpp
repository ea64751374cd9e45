#pragma once
// YAML recipe text → the JSON tree that the recipe parser reads, resolving plain scalars the
// way PyYAML's safe_load (YAML 1.1) does, so a recipe means in nuq what it means in
// llm-compressor: `true`/`yes`/`on` are booleans, `~`/`null`/empty are null, `128` is an
// integer, `0.01` a float, anything quoted a string. Two differences, both deliberate:
// a repeated key is an error (PyYAML keeps the last one silently, which hides a second
// modifier of the same class), and `1e-3` is read as a number (PyYAML reads a string, which
// pydantic then turns into the same number).
#include <limits>
#include <map>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "nuq/error.hpp"
#include "nuq/recipe/fields.hpp"

namespace nuq::recipe {

/// Recipe path → 1-based line in the source text, to point errors at a line.
using line_map = std::map<std::string, int>;

namespace detail {

inline nlohmann::ordered_json plain_scalar(std::string const& s) {
    using json = nlohmann::ordered_json;
    static std::regex const true_re("yes|Yes|YES|true|True|TRUE|on|On|ON");
    static std::regex const false_re("no|No|NO|false|False|FALSE|off|Off|OFF");
    static std::regex const int_re("[-+]?(0|[1-9][0-9_]*)");
    static std::regex const hex_re("[-+]?0x[0-9a-fA-F_]+");
    static std::regex const float_re(
        "[-+]?([0-9][0-9_]*)?\\.[0-9_]*([eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+");
    if (std::regex_match(s, true_re)) return true;
    if (std::regex_match(s, false_re)) return false;
    auto digits = [](std::string t) {
        std::erase(t, '_');
        return t;
    };
    if (std::regex_match(s, int_re)) {
        try {
            return json(std::stoll(digits(s)));
        } catch (std::out_of_range const&) {
            return json(s);
        }
    }
    if (std::regex_match(s, hex_re)) {
        auto t = digits(s);
        bool const neg = t[0] == '-';
        if (t[0] == '-' || t[0] == '+') t.erase(0, 1);
        auto const v = static_cast<long long>(std::stoull(t.substr(2), nullptr, 16));
        return json(neg ? -v : v);
    }
    if (s != "." && std::regex_match(s, float_re)) return json(std::stod(digits(s)));
    if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf") return json(std::numeric_limits<double>::infinity());
    if (s == "-.inf" || s == "-.Inf" || s == "-.INF") return json(-std::numeric_limits<double>::infinity());
    return json(s);
}

inline std::string at_line(std::string const& path, std::string const& source, YAML::Node const& n) {
    return path + " (" + source + ":" + std::to_string(n.Mark().line + 1) + ")";
}

inline nlohmann::ordered_json scalar(YAML::Node const& n, std::string const& path, std::string const& source) {
    auto const& tag = n.Tag();
    auto const& s = n.Scalar();
    if (tag == "?") return plain_scalar(s);
    if (tag == "!" || tag == "tag:yaml.org,2002:str") return nlohmann::ordered_json(s);
    if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
        tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null") {
        auto v = plain_scalar(s);
        if (!v.is_string()) return v;
    }
    throw error("recipe.yaml", at_line(path, source, n), "the scalar `" + s + "` has the tag `" + tag + "`",
                "a plain or quoted scalar", "remove the tag");
}

inline nlohmann::ordered_json to_json(YAML::Node const& n, std::string const& path, std::string const& source,
                                      line_map* lines) {
    using json = nlohmann::ordered_json;
    switch (n.Type()) {
    case YAML::NodeType::Null: return nullptr;
    case YAML::NodeType::Scalar: return scalar(n, path, source);
    case YAML::NodeType::Sequence: {
        json a = json::array();
        std::size_t i = 0;
        for (auto const& c : n) {
            auto const p = fields::item(path, i++);
            if (lines) (*lines)[p] = c.Mark().line + 1;
            a.push_back(to_json(c, p, source, lines));
        }
        return a;
    }
    case YAML::NodeType::Map: {
        json o = json::object();
        for (auto const& kv : n) {
            if (!kv.first.IsScalar())
                throw error("recipe.yaml", at_line(path, source, kv.first), "a mapping key that is not a scalar",
                            "a name such as `quant_stage`");
            auto const key = kv.first.Scalar();
            auto const p = fields::child(path, key);
            if (o.contains(key))
                throw error("recipe.duplicate_key", at_line(p, source, kv.first),
                            "the key `" + key + "` appears twice",
                            "each key once",
                            "merge the two entries; to run a modifier class twice, put the second "
                            "one in its own `<name>_modifiers` group");
            if (lines) (*lines)[p] = kv.first.Mark().line + 1;
            o[key] = to_json(kv.second, p, source, lines);
        }
        return o;
    }
    default: return nullptr;
    }
}

} // namespace detail

/// Parse YAML text into a JSON tree. `source` names the text in messages (a file name).
/// @throws nuq::error `recipe.yaml` on a syntax error, `recipe.duplicate_key` on a repeated key.
inline nlohmann::ordered_json yaml_to_json(std::string const& text, std::string const& source,
                                   line_map* lines = nullptr) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (YAML::Exception const& e) {
        throw error("recipe.yaml", source + ":" + std::to_string(e.mark.line + 1),
                    "YAML syntax error: " + e.msg, "", "fix the YAML at that line");
    }
    return detail::to_json(root, "", source, lines);
}

} // namespace nuq::recipe
