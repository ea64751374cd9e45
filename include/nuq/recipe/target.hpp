#pragma once
// Target strings as compressed-tensors matches them (docs/FORMAT.md §8, docs/ALGORITHMS.md §1.11):
//   "re:<pattern>"  Python re.match: anchored at the start only (write `$` for the end);
//   anything else   an exact module name, or a class name of the module (`Linear`).
// Python patterns run here as ECMAScript std::regex searched with match_continuous. The
// Python-only constructs real recipes use are translated; the ones with no ECMAScript
// equivalent are refused with an error that says how to rewrite them.
#include <algorithm>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nuq/error.hpp"

namespace nuq::recipe {

namespace detail {

[[noreturn]] inline void unsupported_regex(std::string const& path, std::string const& text,
                                           std::string const& what, std::string const& fix) {
    throw error("recipe.regex", path, "the pattern `" + text + "` uses " + what,
                "a regular expression that Python's re and ECMAScript read alike", fix);
}

/// Python `re` syntax → ECMAScript. Translated: `(?P<name>...)` → `(...)`, `\A` → `^`,
/// `\Z` → `$`, `{,n}` → `{0,n}`. Refused: lookbehind, named backreferences, inline flags,
/// comments, atomic groups and possessive quantifiers.
inline std::string python_to_ecmascript(std::string const& pattern, std::string const& text,
                                        std::string const& path) {
    std::string out;
    bool in_class = false;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        char const c = pattern[i];
        auto const rest = std::string_view(pattern).substr(i);
        if (c == '\\' && i + 1 < pattern.size()) {
            char const n = pattern[i + 1];
            if (!in_class && n == 'A') out += '^';
            else if (!in_class && n == 'Z') out += '$';
            else out += rest.substr(0, 2);
            ++i;
            continue;
        }
        if (in_class) {
            if (c == ']') in_class = false;
            out += c;
            continue;
        }
        if (c == '[') {
            in_class = true;
            out += c;
            // A `]` right after `[` or `[^` is a literal in both dialects.
            if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
            if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
            continue;
        }
        if (rest.starts_with("(?P<")) {
            auto const close = pattern.find('>', i);
            if (close == std::string::npos) break; // std::regex reports the bad group
            out += '(';
            i = close;
            continue;
        }
        if (rest.starts_with("(?P="))
            unsupported_regex(path, text, "a named backreference `(?P=...)`",
                              "use a numbered backreference such as `\\1`");
        if (rest.starts_with("(?<=") || rest.starts_with("(?<!"))
            unsupported_regex(path, text, "a lookbehind", "rewrite it without `(?<=` / `(?<!`");
        if (rest.starts_with("(?#"))
            unsupported_regex(path, text, "a comment group `(?#...)`", "remove the comment");
        if (rest.starts_with("(?>"))
            unsupported_regex(path, text, "an atomic group `(?>...)`", "use a plain group `(?:...)`");
        if (rest.size() > 2 && rest[0] == '(' && rest[1] == '?' &&
            std::string_view("aiLmsux-").find(rest[2]) != std::string_view::npos)
            unsupported_regex(path, text, "an inline flag `(?" + std::string(1, rest[2]) + "...`",
                              "module names need no flags: remove it and spell out the cases, "
                              "e.g. `[Qq]_proj`");
        if ((c == '*' || c == '+' || c == '?' || c == '}') && i + 1 < pattern.size() &&
            pattern[i + 1] == '+')
            unsupported_regex(path, text, "a possessive quantifier", "drop the second `+`");
        if (rest.starts_with("{,")) {
            out += "{0,";
            ++i;
            continue;
        }
        out += c;
    }
    return out;
}

} // namespace detail

/// One target (or ignore) string, compiled once.
class target {
public:
    /// @param text the string as written in the recipe
    /// @param path its recipe path, for errors
    /// @throws nuq::error `recipe.regex` for a pattern that does not compile or is Python-only
    target(std::string text, std::string const& path) : text_(std::move(text)) {
        if (!is_regex()) return;
        auto const pattern = text_.substr(3);
        try {
            re_ = std::regex(detail::python_to_ecmascript(pattern, text_, path), std::regex::ECMAScript);
        } catch (std::regex_error const& e) {
            throw error("recipe.regex", path, "the pattern `" + text_ + "` does not compile: " + e.what(),
                        "a regular expression after `re:`", "fix the pattern");
        }
    }

    [[nodiscard]] std::string const& text() const noexcept { return text_; }
    [[nodiscard]] bool is_regex() const noexcept { return text_.starts_with("re:"); }

    /// compressed-tensors `match_name`: regex prefix match, or exact equality.
    [[nodiscard]] bool matches_name(std::string const& module) const {
        if (is_regex())
            return std::regex_search(module, re_, std::regex_constants::match_continuous);
        return text_ == module;
    }
    /// compressed-tensors `_match_class`: the target names one of the module's classes.
    [[nodiscard]] bool matches_class(std::vector<std::string> const& classes) const {
        return !is_regex() && std::find(classes.begin(), classes.end(), text_) != classes.end();
    }
    [[nodiscard]] bool matches(std::string const& module, std::vector<std::string> const& classes) const {
        return matches_name(module) || matches_class(classes);
    }

private:
    std::string text_;
    std::regex re_;
};

/// Compile a list of target strings; `path` is the list's recipe path (items get `[i]`).
inline std::vector<target> compile_targets(std::vector<std::string> const& texts, std::string const& path) {
    std::vector<target> out;
    out.reserve(texts.size());
    for (std::size_t i = 0; i < texts.size(); ++i)
        out.emplace_back(texts[i], path + "[" + std::to_string(i) + "]");
    return out;
}

/// True if any of `targets` matches (how `ignore` lists are applied).
inline bool matches_any(std::vector<target> const& targets, std::string const& module,
                        std::vector<std::string> const& classes) {
    return std::any_of(targets.begin(), targets.end(),
                       [&](target const& t) { return t.matches(module, classes); });
}

/// compressed-tensors `match_targets`: the indices of the targets that match, most specific
/// first. Targets are sorted by (contains "re:", text); name matches (exact names before
/// regexes, each alphabetical) come first, then class matches. The first one decides.
inline std::vector<std::size_t> match_targets(std::vector<target> const& targets, std::string const& module,
                                              std::vector<std::string> const& classes) {
    std::vector<std::size_t> order(targets.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        auto const ra = targets[a].text().find("re:") != std::string::npos;
        auto const rb = targets[b].text().find("re:") != std::string::npos;
        if (ra != rb) return !ra;
        return targets[a].text() < targets[b].text();
    });
    std::vector<std::size_t> out;
    for (auto i : order)
        if (targets[i].matches_name(module)) out.push_back(i);
    for (auto i : order)
        if (targets[i].matches_class(classes) && std::find(out.begin(), out.end(), i) == out.end())
            out.push_back(i);
    return out;
}

} // namespace nuq::recipe
