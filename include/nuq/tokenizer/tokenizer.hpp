#pragma once
// nuq::tokenizer::tokenizer: a model's tokenizer, read from its directory by load_tokenizer.
//   tokenizer.json, model BPE with byte_fallback and "▁" space handling -> sentencepiece_bpe
//   tokenizer.json, model BPE with a ByteLevel pre-tokenizer             -> byte_level_bpe
//   no tokenizer.json (tiny-llama-sotu)                                  -> one token per byte
// Ids are those of transformers' tokenizers (AutoTokenizer) for the same directory.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "nuq/error.hpp"
#include "nuq/tokenizer/byte_tokens.hpp"
#include "nuq/tokenizer/bpe.hpp"
#include "nuq/tokenizer/byte_level_bpe.hpp"
#include "nuq/tokenizer/sentencepiece_bpe.hpp"

namespace nuq::tokenizer {

/// Raw UTF-8 bytes: id = byte value, vocab 256, no BOS/EOS (nuq::tokenizer::byte_tokens).
class byte_tokenizer {
public:
    [[nodiscard]] std::vector<token_id> encode(std::string_view text) const {
        auto const ids = byte_tokens(text);
        return {ids.begin(), ids.end()};
    }
    [[nodiscard]] std::string decode(std::vector<token_id> const& ids) const {
        std::string out;
        out.reserve(ids.size());
        for (auto id : ids) {
            if (id < 0 || id > 255)
                throw error("tokenizer.id", "", "token id " + std::to_string(id) + " out of range",
                            "a byte value 0..255");
            out += static_cast<char>(id);
        }
        return out;
    }
    [[nodiscard]] std::size_t vocab_size() const noexcept { return 256; }
};

class tokenizer {
public:
    using impl = std::variant<byte_tokenizer, sentencepiece_bpe, byte_level_bpe>;

    explicit tokenizer(impl t, std::vector<token_id> prefix = {}, std::vector<token_id> suffix = {},
                       std::optional<token_id> bos = {}, std::optional<token_id> eos = {})
        : impl_(std::move(t)), prefix_(std::move(prefix)), suffix_(std::move(suffix)), bos_(bos),
          eos_(eos) {}

    /// The ids of `text`; with add_special_tokens, the post-processor's special tokens around
    /// them (e.g. Llama's BOS). Special tokens written in the text are always recognized.
    [[nodiscard]] std::vector<token_id> encode(std::string_view text,
                                               bool add_special_tokens = false) const {
        auto body = std::visit([&](auto const& t) { return t.encode(text); }, impl_);
        if (!add_special_tokens) return body;
        std::vector<token_id> ids = prefix_;
        ids.insert(ids.end(), body.begin(), body.end());
        ids.insert(ids.end(), suffix_.begin(), suffix_.end());
        return ids;
    }
    /// The text of `ids`, special tokens included (transformers' decode, skip_special_tokens
    /// false, clean_up_tokenization_spaces false).
    [[nodiscard]] std::string decode(std::vector<token_id> const& ids) const {
        return std::visit([&](auto const& t) { return t.decode(ids); }, impl_);
    }
    /// Model vocab plus added tokens: transformers' len(tokenizer).
    [[nodiscard]] std::size_t vocab_size() const {
        return std::visit([](auto const& t) { return t.vocab_size(); }, impl_);
    }
    [[nodiscard]] std::optional<token_id> bos_id() const noexcept { return bos_; }
    [[nodiscard]] std::optional<token_id> eos_id() const noexcept { return eos_; }
    [[nodiscard]] impl const& get() const noexcept { return impl_; }

private:
    impl impl_;
    std::vector<token_id> prefix_, suffix_;
    std::optional<token_id> bos_, eos_;
};

namespace detail {

inline nlohmann::json read_json(std::filesystem::path const& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw error("tokenizer.read", path.string(), "cannot be opened", "a readable file");
    try {
        return nlohmann::json::parse(f);
    } catch (nlohmann::json::exception const& e) {
        throw error("tokenizer.json", path.string(), std::string("is not valid JSON: ") + e.what());
    }
}

/// A special token as tokenizer_config.json writes it: a string or {"content": ...}.
inline std::optional<std::string> token_content(nlohmann::json const& cfg, char const* key) {
    if (!cfg.contains(key)) return std::nullopt;
    auto const& v = cfg[key];
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object() && v.contains("content")) return v["content"].get<std::string>();
    return std::nullopt;
}

/// Whether a pre-tokenizer (or one in a Sequence) is ByteLevel.
inline bool has_byte_level(nlohmann::json const& pre) {
    if (pre.is_null()) return false;
    if (pre.value("type", "") == "ByteLevel") return true;
    if (pre.value("type", "") == "Sequence")
        for (auto const& p : pre.at("pretokenizers"))
            if (has_byte_level(p)) return true;
    return false;
}

} // namespace detail

/// The tokenizer of the model in `model_dir` (see the top of this file).
inline tokenizer load_tokenizer(std::filesystem::path const& model_dir) {
    namespace fs = std::filesystem;
    if (!fs::is_directory(model_dir))
        throw error("tokenizer.dir", model_dir.string(), "is not a directory",
                    "a model directory");
    auto const json_path = model_dir / std::string(tokenizer_file);
    if (!fs::exists(json_path)) {
        if (fs::exists(model_dir / "tokenizer.model"))
            throw error("tokenizer.unsupported", (model_dir / "tokenizer.model").string(),
                        "a SentencePiece model without tokenizer.json", "tokenizer.json",
                        "save the tokenizer with transformers (AutoTokenizer.from_pretrained(dir)"
                        ".save_pretrained(dir)) to write tokenizer.json");
        // A byte-level model: its vocab must be the 256 byte values.
        if (auto const cfg = model_dir / "config.json"; fs::exists(cfg)) {
            auto const c = detail::read_json(cfg);
            if (c.contains("vocab_size") && c["vocab_size"] != 256)
                throw error("tokenizer.missing", json_path.string(),
                            "no tokenizer.json, and vocab_size is " + c["vocab_size"].dump() +
                                " in config.json",
                            "tokenizer.json, or vocab_size 256 for a model on raw bytes");
        }
        return tokenizer(byte_tokenizer{});
    }

    auto const file = json_path.string();
    auto const tok = detail::read_json(json_path);
    nlohmann::json cfg = nlohmann::json::object();
    if (auto const p = model_dir / "tokenizer_config.json"; fs::exists(p))
        cfg = detail::read_json(p);
    if (auto const p = model_dir / "special_tokens_map.json"; fs::exists(p)) {
        auto const map = detail::read_json(p);
        for (auto it = map.begin(); it != map.end(); ++it)
            if (!cfg.contains(it.key())) cfg[it.key()] = it.value();
    }

    std::string const supported =
        "a BPE model: SentencePiece-style with byte_fallback (Llama 2) or byte-level (GPT-2, "
        "Llama 3, Qwen2), or no tokenizer.json for a model on raw bytes";
    auto const type = tok.contains("model") ? tok["model"].value("type", "BPE") : "none";
    if (type != "BPE")
        throw error("tokenizer.unsupported", file, "model type " + type, supported);
    auto impl = [&]() -> tokenizer::impl {
        try {
            if (detail::has_byte_level(tok.value("pre_tokenizer", nlohmann::json())))
                return byte_level_bpe(tok, file);
            if (tok["model"].value("byte_fallback", false)) {
                auto const cls = cfg.value("tokenizer_class", std::string());
                return sentencepiece_bpe(tok, file,
                                         cls == "LlamaTokenizer" || cls == "LlamaTokenizerFast");
            }
        } catch (nlohmann::json::exception const& e) {
            throw error("tokenizer.json", file, std::string("malformed: ") + e.what(), supported);
        }
        throw error("tokenizer.unsupported", file,
                    "a BPE model with neither byte_fallback nor a ByteLevel pre-tokenizer",
                    supported);
    }();

    auto find = [&](std::string const& piece) {
        return std::visit(
            [&](auto const& t) -> token_id {
                if constexpr (std::is_same_v<std::decay_t<decltype(t)>, byte_tokenizer>)
                    return -1;
                else
                    return t.find(piece);
            },
            impl);
    };
    auto special = [&](char const* key) -> std::optional<token_id> {
        auto const content = detail::token_content(cfg, key);
        if (!content) return std::nullopt;
        auto const id = find(*content);
        return id >= 0 ? std::optional<token_id>(id) : std::nullopt;
    };
    auto const bos = special("bos_token"), eos = special("eos_token");

    // The special tokens the post-processor's single-sequence template puts around the text.
    std::vector<token_id> prefix, suffix;
    auto const& post = tok.value("post_processor", nlohmann::json());
    std::vector<nlohmann::json> procs;
    if (!post.is_null()) {
        if (post.value("type", "") == "Sequence")
            procs = post.at("processors").get<std::vector<nlohmann::json>>();
        else
            procs = {post};
    }
    for (auto const& p : procs) {
        if (p.value("type", "") != "TemplateProcessing") continue;
        bool seen_text = false;
        for (auto const& item : p.at("single")) {
            if (item.contains("Sequence")) {
                seen_text = true;
                continue;
            }
            auto const name = item.at("SpecialToken").at("id").get<std::string>();
            for (auto const& id : p.at("special_tokens").at(name).at("ids"))
                (seen_text ? suffix : prefix).push_back(id.get<token_id>());
        }
    }
    // transformers rebuilds the template from add_bos_token / add_eos_token where they are set.
    if (cfg.contains("add_bos_token") && cfg["add_bos_token"].is_boolean()) {
        prefix.clear();
        if (cfg["add_bos_token"].get<bool>() && bos) prefix.push_back(*bos);
    }
    if (cfg.contains("add_eos_token") && cfg["add_eos_token"].is_boolean()) {
        suffix.clear();
        if (cfg["add_eos_token"].get<bool>() && eos) suffix.push_back(*eos);
    }
    return tokenizer(std::move(impl), std::move(prefix), std::move(suffix), bos, eos);
}

} // namespace nuq::tokenizer
