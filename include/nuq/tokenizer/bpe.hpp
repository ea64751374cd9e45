#pragma once
// The parts both BPE tokenizers share, as the `tokenizers` library (behind transformers' fast
// tokenizers) defines them: the BPE model of tokenizer.json (vocab, merges by rank, byte fallback,
// unk fusion, ignore_merges), added tokens cut out of the text before anything else, and the
// special tokens the post-processor puts around a sequence.
#include <algorithm>
#include <cstdint>
#include <map>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "nuq/error.hpp"

namespace nuq::tokenizer {

using token_id = std::int32_t;

namespace detail {

/// Length in bytes of the UTF-8 sequence that starts with `lead` (1 for a stray byte, so that
/// malformed text still advances).
inline std::size_t utf8_length(unsigned char lead) {
    if (lead >= 0xF0 && lead < 0xF8) return 4;
    if (lead >= 0xE0 && lead < 0xF0) return 3;
    if (lead >= 0xC0 && lead < 0xE0) return 2;
    return 1;
}

/// The code point at `s[i]`, and its length; malformed or truncated sequences decode as the lead
/// byte's value with length 1.
inline std::pair<char32_t, std::size_t> utf8_next(std::string_view s, std::size_t i) {
    auto const lead = static_cast<unsigned char>(s[i]);
    std::size_t n = utf8_length(lead);
    if (n == 1 || i + n > s.size()) return {lead, 1};
    char32_t cp = lead & (0x7F >> n);
    for (std::size_t k = 1; k < n; ++k) {
        auto const c = static_cast<unsigned char>(s[i + k]);
        if ((c & 0xC0) != 0x80) return {lead, 1};
        cp = (cp << 6) | (c & 0x3F);
    }
    return {cp, n};
}

inline void utf8_append(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

/// Whether `s` is well-formed UTF-8 (what Rust's String::from_utf8 accepts).
inline bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        auto const lead = static_cast<unsigned char>(s[i]);
        std::size_t const n = utf8_length(lead);
        if (n == 1) {
            if (lead >= 0x80) return false;
            ++i;
            continue;
        }
        auto const [cp, len] = utf8_next(s, i);
        if (len != n) return false;
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return false;
        i += n;
    }
    return true;
}

} // namespace detail

/// The "model" object of a tokenizer.json whose type is "BPE".
class bpe_model {
public:
    bpe_model(nlohmann::json const& model, std::string const& file) {
        auto const& vocab = model.at("vocab");
        for (auto it = vocab.begin(); it != vocab.end(); ++it) {
            auto const id = it.value().get<token_id>();
            vocab_.emplace(it.key(), id);
            if (static_cast<std::size_t>(id) >= pieces_.size()) pieces_.resize(id + 1);
            pieces_[id] = it.key();
        }
        // Merges are "a b" strings (older files) or ["a", "b"] pairs; rank = position.
        auto const& merges = model.at("merges");
        for (std::size_t rank = 0; rank < merges.size(); ++rank) {
            std::string a, b;
            if (merges[rank].is_array()) {
                a = merges[rank].at(0).get<std::string>();
                b = merges[rank].at(1).get<std::string>();
            } else {
                auto const m = merges[rank].get<std::string>();
                auto const sp = m.find(' ', 1);
                if (sp == std::string::npos)
                    throw error("tokenizer.merges", file, "merge \"" + m + "\" has no space",
                                "\"left right\"");
                a = m.substr(0, sp);
                b = m.substr(sp + 1);
            }
            auto const ia = vocab_.find(a), ib = vocab_.find(b), iab = vocab_.find(a + b);
            if (ia == vocab_.end() || ib == vocab_.end() || iab == vocab_.end())
                throw error("tokenizer.merges", file,
                            "merge \"" + a + " " + b + "\" uses a token not in the vocab",
                            "merges of vocab tokens into a vocab token");
            merges_.emplace(pair_key(ia->second, ib->second),
                            merge{static_cast<std::uint32_t>(rank), iab->second});
        }
        if (model.contains("unk_token") && model["unk_token"].is_string()) {
            auto const u = vocab_.find(model["unk_token"].get<std::string>());
            if (u != vocab_.end()) unk_ = u->second;
        }
        fuse_unk_ = model.value("fuse_unk", false);
        byte_fallback_ = model.value("byte_fallback", false);
        ignore_merges_ = model.value("ignore_merges", false);
        if (byte_fallback_) {
            static constexpr char hex[] = "0123456789ABCDEF";
            for (int b = 0; b < 256; ++b) {
                std::string const piece{'<', '0', 'x', hex[b >> 4], hex[b & 15], '>'};
                auto const it = vocab_.find(piece);
                byte_ids_[b] = it == vocab_.end() ? -1 : it->second;
            }
        }
    }

    /// Appends the ids of one pre-tokenized word. Characters not in the vocab become their
    /// `<0xXX>` byte tokens (byte_fallback) or the unk token (fused if fuse_unk), or are dropped
    /// when neither exists, as in `tokenizers`.
    void encode_word(std::string_view word, std::vector<token_id>& out) const {
        if (word.empty()) return;
        if (ignore_merges_) {
            if (auto const it = vocab_.find(std::string(word)); it != vocab_.end()) {
                out.push_back(it->second);
                return;
            }
        }
        std::vector<token_id> symbols;
        bool prev_unk = false;
        for (std::size_t i = 0; i < word.size();) {
            std::size_t const n = std::min(detail::utf8_length(static_cast<unsigned char>(word[i])),
                                           word.size() - i);
            std::string const ch(word.substr(i, n));
            i += n;
            if (auto const it = vocab_.find(ch); it != vocab_.end()) {
                symbols.push_back(it->second);
            } else if (byte_fallback_ && all_bytes_known(ch)) {
                for (char c : ch) symbols.push_back(byte_ids_[static_cast<unsigned char>(c)]);
            } else if (unk_ >= 0) {
                if (!(fuse_unk_ && prev_unk)) symbols.push_back(unk_);
                prev_unk = true;
                continue;
            }
            prev_unk = false;
        }
        merge_all(symbols);
        out.insert(out.end(), symbols.begin(), symbols.end());
    }

    [[nodiscard]] std::size_t size() const noexcept { return pieces_.size(); }
    /// The id of vocab entry `piece`, or -1.
    [[nodiscard]] token_id find(std::string const& piece) const {
        auto const it = vocab_.find(piece);
        return it == vocab_.end() ? -1 : it->second;
    }
    [[nodiscard]] std::string const& piece(token_id id) const { return pieces_.at(id); }

private:
    struct merge {
        std::uint32_t rank;
        token_id id;
    };
    static std::uint64_t pair_key(token_id a, token_id b) {
        return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) |
               static_cast<std::uint32_t>(b);
    }
    bool all_bytes_known(std::string const& ch) const {
        for (char c : ch)
            if (byte_ids_[static_cast<unsigned char>(c)] < 0) return false;
        return true;
    }

    /// Applies merges lowest rank first, leftmost first among equal ranks, until none applies:
    /// the order of `tokenizers`' Word::merge_all (a heap of candidate pairs over a linked list
    /// of symbols, stale candidates skipped), so long words cost O(n log n).
    void merge_all(std::vector<token_id>& symbols) const {
        std::size_t const n = symbols.size();
        if (n < 2) return;
        std::vector<std::ptrdiff_t> prev(n), next(n);
        std::vector<bool> alive(n, true);
        for (std::size_t i = 0; i < n; ++i) {
            prev[i] = static_cast<std::ptrdiff_t>(i) - 1;
            next[i] = i + 1 < n ? static_cast<std::ptrdiff_t>(i + 1) : -1;
        }
        struct candidate {
            std::uint32_t rank;
            std::size_t pos;
            token_id id;
            bool operator>(candidate const& o) const {
                return rank != o.rank ? rank > o.rank : pos > o.pos;
            }
        };
        std::priority_queue<candidate, std::vector<candidate>, std::greater<>> heap;
        auto push = [&](std::size_t pos) {
            if (next[pos] < 0) return;
            auto const it = merges_.find(pair_key(symbols[pos], symbols[next[pos]]));
            if (it != merges_.end()) heap.push({it->second.rank, pos, it->second.id});
        };
        for (std::size_t i = 0; i + 1 < n; ++i) push(i);
        while (!heap.empty()) {
            auto const top = heap.top();
            heap.pop();
            if (!alive[top.pos] || next[top.pos] < 0) continue;
            auto const right = static_cast<std::size_t>(next[top.pos]);
            auto const it = merges_.find(pair_key(symbols[top.pos], symbols[right]));
            if (it == merges_.end() || it->second.id != top.id) continue; // stale candidate
            symbols[top.pos] = top.id;
            alive[right] = false;
            next[top.pos] = next[right];
            if (next[right] >= 0) prev[next[right]] = static_cast<std::ptrdiff_t>(top.pos);
            if (prev[top.pos] >= 0) push(static_cast<std::size_t>(prev[top.pos]));
            push(top.pos);
        }
        std::size_t w = 0;
        for (std::size_t i = 0; i < n; ++i)
            if (alive[i]) symbols[w++] = symbols[i];
        symbols.resize(w);
    }

    std::unordered_map<std::string, token_id> vocab_;
    std::vector<std::string> pieces_;
    std::unordered_map<std::uint64_t, merge> merges_;
    token_id byte_ids_[256] = {};
    token_id unk_ = -1;
    bool fuse_unk_ = false, byte_fallback_ = false, ignore_merges_ = false;
};

/// Added tokens (tokenizer.json "added_tokens"), matched in the raw text before normalization:
/// the text is cut into added tokens and the segments between them, which are tokenized apart.
class added_tokens {
public:
    added_tokens() = default;
    explicit added_tokens(nlohmann::json const& tok) {
        if (!tok.contains("added_tokens")) return;
        for (auto const& t : tok["added_tokens"]) {
            auto content = t.at("content").get<std::string>();
            auto const id = t.at("id").get<token_id>();
            if (content.empty()) continue;
            by_id_.emplace(id, content);
            by_first_byte_[static_cast<unsigned char>(content[0])].emplace_back(std::move(content),
                                                                                id);
        }
        // Longest first, so that the first match at a position is the longest one.
        for (auto& v : by_first_byte_)
            std::sort(v.begin(), v.end(),
                      [](auto const& a, auto const& b) { return a.first.size() > b.first.size(); });
    }

    /// Calls on_text(segment) for the text between added tokens and on_token(id) for each added
    /// token, in order; the longest added token wins where several start at the same byte.
    template <class Text, class Token>
    void split(std::string_view text, Text&& on_text, Token&& on_token) const {
        std::size_t start = 0, i = 0;
        while (i < text.size()) {
            std::size_t len = 0;
            token_id id = -1;
            for (auto const& [content, cid] : by_first_byte_[static_cast<unsigned char>(text[i])])
                if (text.compare(i, content.size(), content) == 0) {
                    len = content.size();
                    id = cid;
                    break;
                }
            if (len == 0) {
                ++i;
                continue;
            }
            if (i > start) on_text(text.substr(start, i - start));
            on_token(id);
            i += len;
            start = i;
        }
        if (start < text.size()) on_text(text.substr(start));
    }

    /// The content of added token `id`, or nullptr when `id` is not one.
    [[nodiscard]] std::string const* content(token_id id) const {
        auto const it = by_id_.find(id);
        return it == by_id_.end() ? nullptr : &it->second;
    }
    [[nodiscard]] token_id find(std::string_view content) const {
        for (auto const& [id, c] : by_id_)
            if (c == content) return id;
        return -1;
    }
    [[nodiscard]] token_id max_id() const {
        return by_id_.empty() ? -1 : by_id_.rbegin()->first;
    }

private:
    std::map<token_id, std::string> by_id_;
    std::vector<std::pair<std::string, token_id>> by_first_byte_[256];
};

/// A BPE vocabulary with the added (special) tokens on top: what the SentencePiece-style and
/// the byte-level tokenizers share.
class bpe_vocabulary {
public:
    bpe_vocabulary(nlohmann::json const& tok, std::string const& file)
        : model_(tok.at("model"), file), added_(tok) {}

    /// The vocab entry (or added token) of `id`.
    [[nodiscard]] std::string piece(token_id id) const {
        if (auto const* c = added_.content(id)) return *c;
        if (id < 0 || static_cast<std::size_t>(id) >= model_.size())
            throw error("tokenizer.id", "", "token id " + std::to_string(id) + " out of range",
                        "an id below " + std::to_string(vocab_size()));
        return model_.piece(id);
    }
    [[nodiscard]] std::size_t vocab_size() const {
        return std::max<std::size_t>(model_.size(), static_cast<std::size_t>(added_.max_id() + 1));
    }
    /// The id of added token or vocab entry `piece`, or -1.
    [[nodiscard]] token_id find(std::string const& piece) const {
        auto const id = added_.find(piece);
        return id >= 0 ? id : model_.find(piece);
    }

protected:
    bpe_model model_;
    added_tokens added_;
};

} // namespace nuq::tokenizer
