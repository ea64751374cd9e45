#pragma once
// Byte-level BPE from tokenizer.json (GPT-2, Llama 3, Qwen2): the text is split by the model's
// pre-tokenization regex, each piece's bytes are mapped to printable characters (GPT-2's
// bytes_to_unicode), and BPE runs on each piece. Two pre-tokenizers are read:
//   ByteLevel{use_regex: true}                              GPT-2's pattern
//   Sequence[Split{Regex: <Llama-3 or Qwen2 pattern>, Isolated}, ByteLevel{use_regex: false}]
// std::regex has no \p{L}, so both patterns are hand-written matchers over code points (below).
//
// Unicode classes: exact for ASCII and Latin-1; above U+00FF they are approximated by blocks:
// White_Space is the exact list; numbers (\p{N}) are the decimal-digit blocks of the common
// scripts, superscripts/subscripts, number forms, circled/enclosed numbers and fullwidth digits;
// letters (\p{L}) are every other code point except combining marks, general punctuation,
// symbol/arrow/math/box/dingbat blocks, CJK punctuation, private use, emoji and other
// supplementary symbols. Text in Latin, Greek, Cyrillic, CJK, Arabic, Hebrew splits as the real
// regex does; scripts whose marks or digits fall outside these blocks may split differently.
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "nuq/error.hpp"
#include "nuq/tokenizer/bpe.hpp"

namespace nuq::tokenizer {

namespace unicode {

inline bool is_space(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

inline bool is_number(char32_t c) {
    if (c < 0x80) return c >= '0' && c <= '9';
    if (c < 0x100) return c == 0xB2 || c == 0xB3 || c == 0xB9 || (c >= 0xBC && c <= 0xBE);
    struct range {
        char32_t lo, hi;
    };
    static constexpr range ranges[] = {
        {0x0660, 0x0669}, {0x06F0, 0x06F9}, {0x07C0, 0x07C9}, {0x0966, 0x096F}, {0x09E6, 0x09EF},
        {0x0A66, 0x0A6F}, {0x0AE6, 0x0AEF}, {0x0B66, 0x0B6F}, {0x0BE6, 0x0BF2}, {0x0C66, 0x0C6F},
        {0x0CE6, 0x0CEF}, {0x0D66, 0x0D78}, {0x0E50, 0x0E59}, {0x0ED0, 0x0ED9}, {0x0F20, 0x0F33},
        {0x1040, 0x1049}, {0x17E0, 0x17E9}, {0x1810, 0x1819}, {0x2070, 0x2070}, {0x2074, 0x2079},
        {0x2080, 0x2089}, {0x2150, 0x2182}, {0x2185, 0x2189}, {0x2460, 0x249B}, {0x24EA, 0x24FF},
        {0x2776, 0x2793}, {0x3007, 0x3007}, {0x3021, 0x3029}, {0x3038, 0x303A}, {0x3192, 0x3195},
        {0x3220, 0x3229}, {0x3248, 0x324F}, {0x3251, 0x325F}, {0x3280, 0x3289}, {0x32B1, 0x32BF},
        {0xFF10, 0xFF19}, {0x1D7CE, 0x1D7FF}, {0x1F100, 0x1F10C}};
    for (auto const& r : ranges)
        if (c >= r.lo && c <= r.hi) return true;
    return false;
}

inline bool is_letter(char32_t c) {
    if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (c < 0x100) return c == 0xAA || c == 0xB5 || c == 0xBA || (c >= 0xC0 && c != 0xD7 && c != 0xF7);
    if (is_space(c) || is_number(c)) return false;
    struct range {
        char32_t lo, hi;
    };
    // Blocks of marks, punctuation and symbols; everything else counts as a letter.
    static constexpr range not_letters[] = {
        {0x02C2, 0x02C5}, {0x02D2, 0x02DF}, {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05C7},
        {0x0610, 0x061A}, {0x064B, 0x065F}, {0x06D6, 0x06ED}, {0x0900, 0x0903}, {0x093A, 0x094F},
        {0x0951, 0x0957}, {0x0962, 0x0965}, {0x0E31, 0x0E31}, {0x0E34, 0x0E3F}, {0x0E47, 0x0E4F},
        {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x2000, 0x206F}, {0x20A0, 0x20FF}, {0x2100, 0x2101},
        {0x2103, 0x2106}, {0x2108, 0x2109}, {0x2114, 0x2114}, {0x2116, 0x2118}, {0x211E, 0x2123},
        {0x2125, 0x2125}, {0x2127, 0x2127}, {0x2129, 0x2129}, {0x212E, 0x212E}, {0x213A, 0x213B},
        {0x2140, 0x2144}, {0x214A, 0x214D}, {0x214F, 0x214F}, {0x2190, 0x2BFF}, {0x2CE5, 0x2CEA},
        {0x2E00, 0x2E7F}, {0x3000, 0x3004}, {0x3008, 0x3020}, {0x302A, 0x3030}, {0x3099, 0x309C},
        {0x30A0, 0x30A0}, {0x30FB, 0x30FB}, {0xD800, 0xF8FF}, {0xFE00, 0xFE6F}, {0xFF01, 0xFF20},
        {0xFF3B, 0xFF40}, {0xFF5B, 0xFF65}, {0xFFF0, 0xFFFF}, {0x1D000, 0x1D24F},
        {0x1F000, 0x1FAFF}, {0xE0000, 0x10FFFF}};
    for (auto const& r : not_letters)
        if (c >= r.lo && c <= r.hi) return false;
    return true;
}

} // namespace unicode

/// The pre-tokenization patterns byte_level_bpe knows. Qwen2's is Llama 3's with single digits.
enum class split_pattern { gpt2, llama3, qwen2 };

namespace detail {

/// GPT-2's pattern, as ByteLevel{use_regex: true} applies it.
inline constexpr std::string_view gpt2_pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
inline constexpr std::string_view llama3_pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
inline constexpr std::string_view qwen2_pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

/// The text as code points with their byte offsets (offsets has one more entry: the end).
struct code_points {
    std::vector<char32_t> cp;
    std::vector<std::size_t> offset;
    explicit code_points(std::string_view s) {
        for (std::size_t i = 0; i < s.size();) {
            auto const [c, n] = utf8_next(s, i);
            cp.push_back(c);
            offset.push_back(i);
            i += n;
        }
        offset.push_back(s.size());
    }
};

/// The length in code points of the match of `p` at position i (leftmost alternative that
/// matches, with the backtracking the regex engine would do); 0 only at the end of the text,
/// since the last alternatives match any character.
inline std::size_t match_at(split_pattern p, std::vector<char32_t> const& t, std::size_t i) {
    using namespace unicode;
    std::size_t const n = t.size();
    auto run = [&](std::size_t from, auto pred) {
        std::size_t j = from;
        while (j < n && pred(t[j])) ++j;
        return j - from;
    };
    auto other = [](char32_t c) { return !is_space(c) && !is_letter(c) && !is_number(c); };
    auto lower = [](char32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; };

    // 's 't 're 've 'm 'll 'd (case-insensitive for Llama 3)
    if (t[i] == '\'' && i + 1 < n) {
        auto fold = [&](char32_t c) { return p == split_pattern::gpt2 ? c : lower(c); };
        char32_t const a = fold(t[i + 1]);
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
        if (i + 2 < n) {
            char32_t const b = fold(t[i + 2]);
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
                return 3;
        }
    }
    if (p == split_pattern::gpt2) {
        std::size_t const sp = t[i] == ' ' ? 1 : 0;
        if (auto const l = run(i + sp, is_letter)) return sp + l;      // ` ?\p{L}+`
        if (auto const l = run(i + sp, is_number)) return sp + l;      // ` ?\p{N}+`
        if (auto const l = run(i + sp, other)) return sp + l;          // ` ?[^\s\p{L}\p{N}]+`
    } else {
        // `[^\r\n\p{L}\p{N}]?\p{L}+`
        if (t[i] != '\r' && t[i] != '\n' && !is_letter(t[i]) && !is_number(t[i]))
            if (auto const l = run(i + 1, is_letter)) return 1 + l;
        if (auto const l = run(i, is_letter)) return l;
        if (auto const l = run(i, is_number)) // `\p{N}{1,3}` (Qwen2: `\p{N}`)
            return std::min<std::size_t>(l, p == split_pattern::qwen2 ? 1 : 3);
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        std::size_t const sp = t[i] == ' ' ? 1 : 0;
        if (auto const l = run(i + sp, other))
            return sp + l + run(i + sp + l, [](char32_t c) { return c == '\r' || c == '\n'; });
        // `\s*[\r\n]+`: up to the last line break of the whitespace run.
        std::size_t const ws = run(i, is_space);
        for (std::size_t k = ws; k > 0; --k)
            if (t[i + k - 1] == '\r' || t[i + k - 1] == '\n') return k;
    }
    // `\s+(?!\S)` then `\s+`: a whitespace run, less its last character when a non-space
    // follows (that character then starts the next piece, e.g. " world").
    std::size_t const ws = run(i, is_space);
    if (ws > 1 && i + ws < n) return ws - 1;
    if (ws > 0) return ws;
    return i < n ? 1 : 0; // not reached with these patterns: every character is in some class
}

} // namespace detail

/// Splits `text` into the pieces the pre-tokenization regex `p` finds, as byte ranges of `text`.
inline std::vector<std::string_view> pre_tokenize(split_pattern p, std::string_view text) {
    detail::code_points const cps(text);
    std::vector<std::string_view> pieces;
    for (std::size_t i = 0; i < cps.cp.size();) {
        std::size_t const len = detail::match_at(p, cps.cp, i);
        pieces.push_back(text.substr(cps.offset[i], cps.offset[i + len] - cps.offset[i]));
        i += len;
    }
    return pieces;
}

class byte_level_bpe : public bpe_vocabulary {
public:
    byte_level_bpe(nlohmann::json const& tok, std::string const& file)
        : bpe_vocabulary(tok, file) {
        // GPT-2's bytes_to_unicode: printable bytes stand for themselves, the others are moved
        // to U+0100 onwards in byte order.
        int shifted = 0;
        for (int b = 0; b < 256; ++b) {
            bool const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
            char32_t const c = printable ? static_cast<char32_t>(b)
                                         : static_cast<char32_t>(256 + shifted++);
            std::string s;
            detail::utf8_append(s, c);
            byte_to_piece_[b] = s;
            piece_to_byte_[c] = static_cast<std::int16_t>(b); // every c is below U+0144
        }
        auto unsupported = [&](std::string const& what, nlohmann::json const& j) {
            return error("tokenizer.unsupported", file, what + " " + j.dump(),
                         "ByteLevel{use_regex: true} (GPT-2) or Sequence[Split{Regex: Llama-3 "
                         "pattern}, ByteLevel{use_regex: false}], no normalizer, a ByteLevel "
                         "decoder");
        };
        if (tok.contains("normalizer") && !tok["normalizer"].is_null())
            throw unsupported("normalizer", tok["normalizer"]);
        auto const& pre = tok.at("pre_tokenizer");
        nlohmann::json byte_level;
        if (pre.at("type") == "ByteLevel") {
            if (!pre.value("use_regex", true)) throw unsupported("pre_tokenizer", pre);
            pattern_ = split_pattern::gpt2;
            byte_level = pre;
        } else if (pre.at("type") == "Sequence" && pre.at("pretokenizers").size() == 2) {
            auto const& split = pre["pretokenizers"][0];
            byte_level = pre["pretokenizers"][1];
            if (split.at("type") != "Split" || !split.at("pattern").contains("Regex") ||
                split.value("behavior", "") != "Isolated" || split.value("invert", false) ||
                byte_level.at("type") != "ByteLevel" || byte_level.value("use_regex", true))
                throw unsupported("pre_tokenizer", pre);
            auto const regex = split["pattern"]["Regex"].get<std::string>();
            if (regex == detail::llama3_pattern)
                pattern_ = split_pattern::llama3;
            else if (regex == detail::qwen2_pattern)
                pattern_ = split_pattern::qwen2;
            else if (regex == detail::gpt2_pattern)
                pattern_ = split_pattern::gpt2;
            else
                throw unsupported("split pattern", split["pattern"]);
        } else {
            throw unsupported("pre_tokenizer", pre);
        }
        add_prefix_space_ = byte_level.value("add_prefix_space", false);
        auto const& dec = tok.value("decoder", nlohmann::json());
        if (dec.is_null() || dec.at("type") != "ByteLevel") throw unsupported("decoder", dec);
    }

    /// Ids of `text` without special tokens around it (added tokens in the text are matched).
    [[nodiscard]] std::vector<token_id> encode(std::string_view text) const {
        std::vector<token_id> ids;
        added_.split(
            text,
            [&](std::string_view segment) {
                std::string s;
                if (add_prefix_space_ && !segment.starts_with(' ')) s = " ";
                s += segment;
                std::string mapped;
                for (auto piece : pre_tokenize(pattern_, s)) {
                    mapped.clear();
                    for (char c : piece) mapped += byte_to_piece_[static_cast<unsigned char>(c)];
                    model_.encode_word(mapped, ids);
                }
            },
            [&](token_id id) { ids.push_back(id); });
        return ids;
    }

    /// The ByteLevel decoder: every character of the pieces back to its byte (characters outside
    /// the map, as in added tokens, stay as they are); bytes that are not UTF-8 become U+FFFD.
    [[nodiscard]] std::string decode(std::vector<token_id> const& ids) const {
        std::string bytes;
        for (auto id : ids) {
            std::string const p = piece(id);
            for (std::size_t i = 0; i < p.size();) {
                auto const [c, n] = detail::utf8_next(p, i);
                if (c < 512 && piece_to_byte_[c] >= 0)
                    bytes += static_cast<char>(piece_to_byte_[c]);
                else
                    bytes.append(p, i, n);
                i += n;
            }
        }
        return lossy_utf8(bytes);
    }


private:
    /// Invalid UTF-8 becomes U+FFFD, one per byte (Rust's from_utf8_lossy, which `tokenizers`
    /// uses, gives one per maximal invalid sequence: only split multi-byte characters differ).
    static std::string lossy_utf8(std::string const& s) {
        if (detail::valid_utf8(s)) return s;
        std::string out;
        for (std::size_t i = 0; i < s.size();) {
            std::size_t const n = detail::utf8_length(static_cast<unsigned char>(s[i]));
            if (i + n <= s.size() && detail::valid_utf8(std::string_view(s).substr(i, n))) {
                out.append(s, i, n);
                i += n;
            } else {
                out += "\xEF\xBF\xBD";
                ++i;
            }
        }
        return out;
    }

    split_pattern pattern_ = split_pattern::gpt2;
    bool add_prefix_space_ = false;
    std::array<std::string, 256> byte_to_piece_;
    std::array<std::int16_t, 512> piece_to_byte_ = [] {
        std::array<std::int16_t, 512> a{};
        a.fill(-1);
        return a;
    }();
};

} // namespace nuq::tokenizer
