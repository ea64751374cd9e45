#pragma once
// SentencePiece-style BPE from tokenizer.json (Llama 2, stories260K): spaces become "▁", a "▁" is
// put in front, the whole segment is one BPE word (no pre-tokenizer splits it), characters outside
// the vocab fall back to their <0xXX> byte tokens. Two ways files declare the space handling are
// read, each step as `tokenizers` defines it:
//   normalizer  Sequence[Prepend "▁", Replace " " -> "▁"]   (stories260K, older Llama 2 files)
//   pre_tokenizer Metaspace{replacement, prepend_scheme, split}   (newer files)
// and the decoders Sequence[Replace "▁" -> " ", ByteFallback, Fuse, Strip] or Metaspace.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "nuq/error.hpp"
#include "nuq/tokenizer/bpe.hpp"

namespace nuq::tokenizer {

class sentencepiece_bpe : public bpe_vocabulary {
public:
    /// @param transformers_llama  encode as transformers 5 does for the LlamaTokenizer class
    ///   (checked with 5.17.0), which builds its own pipeline instead of the file's normalizer:
    ///   Metaspace{prepend_scheme: always, split: false}. It differs from Prepend + Replace only
    ///   where a segment starts with a space: " a" is "▁a", not "▁▁a".
    sentencepiece_bpe(nlohmann::json const& tok, std::string const& file,
                      bool transformers_llama = false)
        : bpe_vocabulary(tok, file) {
        auto unsupported = [&](std::string const& what, nlohmann::json const& j) {
            return error("tokenizer.unsupported", file, what + " " + j.dump(),
                         "SentencePiece-style steps: Prepend/Replace normalizers, Metaspace, "
                         "and Replace/ByteFallback/Fuse/Strip/Metaspace decoders");
        };
        for (auto const& n : flatten(tok.value("normalizer", nlohmann::json()), "normalizers")) {
            auto const type = n.at("type").get<std::string>();
            if (type == "Prepend")
                steps_.push_back({step::prepend, "", n.at("prepend").get<std::string>()});
            else if (type == "Replace" && n.at("pattern").contains("String"))
                steps_.push_back({step::replace, n["pattern"]["String"].get<std::string>(),
                                  n.at("content").get<std::string>()});
            else
                throw unsupported("normalizer", n);
        }
        for (auto const& p :
             flatten(tok.value("pre_tokenizer", nlohmann::json()), "pretokenizers")) {
            if (p.at("type") != "Metaspace") throw unsupported("pre_tokenizer", p);
            auto const rep = p.at("replacement").get<std::string>();
            auto const scheme = p.value("prepend_scheme", std::string("always"));
            steps_.push_back({step::replace, " ", rep});
            if (scheme != "never")
                steps_.push_back({scheme == "first" ? step::meta_first : step::meta_always, "", rep});
            if (p.value("split", true)) split_on_ = rep;
        }
        if (transformers_llama) {
            steps_ = {{step::replace, " ", "\xE2\x96\x81"}, {step::meta_always, "", "\xE2\x96\x81"}};
            split_on_.clear();
        }
        for (auto const& d : flatten(tok.value("decoder", nlohmann::json()), "decoders")) {
            auto const type = d.at("type").get<std::string>();
            if (type == "Replace" && d.at("pattern").contains("String"))
                decoders_.push_back({dstep::replace, d["pattern"]["String"].get<std::string>(),
                                     d.at("content").get<std::string>(), 0, 0});
            else if (type == "ByteFallback")
                decoders_.push_back({dstep::byte_fallback, "", "", 0, 0});
            else if (type == "Fuse")
                decoders_.push_back({dstep::fuse, "", "", 0, 0});
            else if (type == "Strip")
                decoders_.push_back({dstep::strip, d.at("content").get<std::string>(), "",
                                     d.value("start", 0), d.value("stop", 0)});
            else if (type == "Metaspace") // start: whether the first token loses its space
                decoders_.push_back({dstep::metaspace, d.at("replacement").get<std::string>(), "",
                                     d.value("prepend_scheme", std::string("always")) != "never",
                                     0});
            else
                throw unsupported("decoder", d);
        }
    }

    /// Ids of `text` without special tokens around it (added tokens in the text are matched).
    [[nodiscard]] std::vector<token_id> encode(std::string_view text) const {
        std::vector<token_id> ids;
        added_.split(
            text,
            [&](std::string_view segment) {
                std::string const s = normalize(segment, segment.data() == text.data());
                if (split_on_.empty()) return model_.encode_word(s, ids);
                // Metaspace split: each word starts at a replacement character.
                std::size_t start = 0;
                for (std::size_t at = s.find(split_on_, 1); at != std::string::npos;
                     at = s.find(split_on_, at + 1)) {
                    model_.encode_word(std::string_view(s).substr(start, at - start), ids);
                    start = at;
                }
                model_.encode_word(std::string_view(s).substr(start), ids);
            },
            [&](token_id id) { ids.push_back(id); });
        return ids;
    }

    [[nodiscard]] std::string decode(std::vector<token_id> const& ids) const {
        std::vector<std::string> tokens;
        tokens.reserve(ids.size());
        for (auto id : ids) tokens.push_back(piece(id));
        for (auto const& d : decoders_) apply(d, tokens);
        std::string out;
        for (auto const& t : tokens) out += t;
        return out;
    }


private:
    struct step {
        enum kind { prepend, meta_always, meta_first, replace } k;
        std::string from, to;
    };
    struct dstep {
        enum kind { replace, byte_fallback, fuse, strip, metaspace } k;
        std::string a, b;
        int start, stop;
    };

    /// The steps of a Sequence (its `key` array), a single step, or none (null).
    static std::vector<nlohmann::json> flatten(nlohmann::json const& j, char const* key) {
        if (j.is_null()) return {};
        if (j.at("type") == "Sequence") return j.at(key).get<std::vector<nlohmann::json>>();
        return {j};
    }

    static void replace_all(std::string& s, std::string const& from, std::string const& to) {
        if (from.empty()) return;
        std::string out;
        std::size_t start = 0;
        for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, start)) {
            out.append(s, start, at - start);
            out += to;
            start = at + from.size();
        }
        out.append(s, start);
        s = std::move(out);
    }

    std::string normalize(std::string_view segment, bool first) const {
        std::string s(segment);
        for (auto const& st : steps_) {
            if (st.k == step::replace)
                replace_all(s, st.from, st.to);
            else if (st.k == step::prepend ? !s.empty()
                                            // Metaspace skips a segment that starts with it.
                                            : !s.starts_with(st.to) &&
                                                  (st.k == step::meta_always || first))
                s.insert(0, st.to);
        }
        return s;
    }

    static int hex_digit(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    /// The decoder steps of `tokenizers`, each over the list of token strings.
    static void apply(dstep const& d, std::vector<std::string>& tokens) {
        switch (d.k) {
        case dstep::replace:
            for (auto& t : tokens) replace_all(t, d.a, d.b);
            break;
        case dstep::metaspace:
            for (std::size_t i = 0; i < tokens.size(); ++i) {
                replace_all(tokens[i], d.a, " ");
                if (i == 0 && d.start && tokens[i].starts_with(' ')) tokens[i].erase(0, 1);
            }
            break;
        case dstep::fuse: {
            std::string all;
            for (auto const& t : tokens) all += t;
            tokens.assign(1, std::move(all));
            break;
        }
        case dstep::strip:
            for (auto& t : tokens) {
                std::size_t left = 0, right = 0;
                while (left < static_cast<std::size_t>(d.start) && left < t.size() &&
                       t.compare(left * d.a.size(), d.a.size(), d.a) == 0 && !d.a.empty())
                    ++left;
                t.erase(0, left * d.a.size());
                while (right < static_cast<std::size_t>(d.stop) && t.size() >= d.a.size() &&
                       !d.a.empty() && t.ends_with(d.a)) {
                    t.erase(t.size() - d.a.size());
                    ++right;
                }
            }
            break;
        case dstep::byte_fallback: {
            // Runs of <0xXX> tokens become their bytes; a run that is not UTF-8 becomes one
            // U+FFFD per byte.
            std::vector<std::string> out;
            std::string bytes;
            std::size_t run = 0;
            auto flush = [&] {
                if (run == 0) return;
                if (detail::valid_utf8(bytes)) {
                    out.push_back(bytes);
                } else {
                    for (std::size_t k = 0; k < run; ++k) out.push_back("\xEF\xBF\xBD");
                }
                bytes.clear();
                run = 0;
            };
            for (auto& t : tokens) {
                if (t.size() == 6 && t.starts_with("<0x") && t[5] == '>' && hex_digit(t[3]) >= 0 &&
                    hex_digit(t[4]) >= 0) {
                    bytes += static_cast<char>(hex_digit(t[3]) * 16 + hex_digit(t[4]));
                    ++run;
                } else {
                    flush();
                    out.push_back(std::move(t));
                }
            }
            flush();
            tokens = std::move(out);
            break;
        }
        }
    }

    std::vector<step> steps_;
    std::vector<dstep> decoders_;
    std::string split_on_;
};

} // namespace nuq::tokenizer
