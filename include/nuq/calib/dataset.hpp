#pragma once
// Calibration samples, from what llm-compressor's oneshot takes as a dataset:
//   a text file: tokenized once as a whole (no special tokens), cut into consecutive samples of
//     max_seq_length tokens from token 0; the short tail is dropped;
//   JSONL (.jsonl / .json): one object a line, {"text": ...} tokenized without special tokens
//     (as the examples do; a chat template would add its own BOS) or {"input_ids": [...]} taken
//     as is; both truncated to max_seq_length.
// Then, with a seed, the samples are shuffled; the first num_calibration_samples are kept.
// The shuffle is Fisher-Yates over std::mt19937_64(seed) (std::uniform_int_distribution is not
// used: its output differs between standard libraries): j = engine() % (i + 1), i from n-1
// down to 1. It cannot reproduce `datasets`' Dataset.shuffle(seed) (NumPy's PCG64 permutation),
// so a seeded nuq run picks a different subset than a seeded Python run. Without a seed the
// order is the file's (the golden calibration protocol: the first 64 samples of 256 bytes).
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "nuq/calib/dataset_options.hpp"
#include "nuq/error.hpp"
#include "nuq/tokenizer/tokenizer.hpp"

namespace nuq::calib {

using sample = std::vector<tokenizer::token_id>;


/// Samples from the text of a whole file: consecutive windows of max_seq_length tokens.
inline std::vector<sample> cut_samples(std::vector<tokenizer::token_id> const& ids,
                                       std::size_t max_seq_length) {
    std::vector<sample> out;
    for (std::size_t start = 0; start + max_seq_length <= ids.size(); start += max_seq_length)
        out.emplace_back(ids.begin() + static_cast<std::ptrdiff_t>(start),
                         ids.begin() + static_cast<std::ptrdiff_t>(start + max_seq_length));
    return out;
}

/// Shuffles `samples` in place (the algorithm at the top of this file).
inline void shuffle_samples(std::vector<sample>& samples, std::uint64_t seed) {
    std::mt19937_64 engine(seed);
    for (std::size_t i = samples.size(); i > 1; --i) {
        std::size_t const j = static_cast<std::size_t>(engine() % i);
        std::swap(samples[i - 1], samples[j]);
    }
}

namespace detail {

inline std::vector<sample> read_jsonl(std::filesystem::path const& path,
                                      tokenizer::tokenizer const& tok, std::size_t max_len) {
    std::ifstream f(path, std::ios::binary);
    std::vector<sample> out;
    std::string line;
    for (std::size_t lineno = 1; std::getline(f, line); ++lineno) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        auto const where = path.string() + ":" + std::to_string(lineno);
        std::string const expected = R"(an object {"text": "..."} or {"input_ids": [int, ...]})";
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(line);
        } catch (nlohmann::json::exception const& e) {
            throw error("dataset.jsonl", where, std::string("not JSON: ") + e.what(), expected);
        }
        sample s;
        if (j.is_object() && j.contains("input_ids")) {
            auto const& a = j["input_ids"];
            if (!a.is_array())
                throw error("dataset.jsonl", where, "input_ids is " + std::string(a.type_name()),
                            expected);
            for (auto const& v : a) {
                if (!v.is_number_integer() || v.get<std::int64_t>() < 0 ||
                    v.get<std::uint64_t>() >= tok.vocab_size())
                    throw error("dataset.jsonl", where, "input_ids holds " + v.dump(),
                                "token ids in [0, " + std::to_string(tok.vocab_size()) + ")");
                s.push_back(v.get<tokenizer::token_id>());
            }
        } else if (j.is_object() && j.contains("text") && j["text"].is_string()) {
            s = tok.encode(j["text"].get<std::string>());
        } else {
            throw error("dataset.jsonl", where,
                        j.is_object() ? "an object with neither a \"text\" string nor \"input_ids\""
                                      : "a JSON " + std::string(j.type_name()),
                        expected);
        }
        if (s.size() > max_len) s.resize(max_len);
        if (!s.empty()) out.push_back(std::move(s));
    }
    return out;
}

} // namespace detail

/// The calibration samples of `path` (see the top of this file).
inline std::vector<sample> load_calibration_samples(std::filesystem::path const& path,
                                                    tokenizer::tokenizer const& tok,
                                                    dataset_options const& opt = {}) {
    if (opt.max_seq_length == 0)
        throw error("dataset.max_seq_length", "", "max_seq_length 0", "a positive length");
    std::ifstream f(path, std::ios::binary);
    if (!f || std::filesystem::is_directory(path))
        throw error("dataset.read", path.string(), "cannot be opened",
                    "a text file or a JSONL file");
    auto format = opt.format;
    if (format == dataset_format::automatic) {
        auto const ext = path.extension();
        format = ext == ".jsonl" || ext == ".json" ? dataset_format::jsonl : dataset_format::text;
    }
    std::vector<sample> samples;
    if (format == dataset_format::jsonl) {
        samples = detail::read_jsonl(path, tok, opt.max_seq_length);
    } else {
        std::string const text{std::istreambuf_iterator<char>(f),
                               std::istreambuf_iterator<char>()};
        samples = cut_samples(tok.encode(text), opt.max_seq_length);
    }
    if (samples.empty())
        throw error("dataset.empty", path.string(), "no sample",
                    format == dataset_format::text
                        ? "at least max_seq_length (" + std::to_string(opt.max_seq_length) +
                              ") tokens of text"
                        : "at least one non-empty line");
    if (opt.seed) shuffle_samples(samples, *opt.seed);
    if (samples.size() > opt.num_calibration_samples) samples.resize(opt.num_calibration_samples);
    return samples;
}

} // namespace nuq::calib
