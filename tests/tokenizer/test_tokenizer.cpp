// load_tokenizer: the raw-byte case and the errors for what it cannot read.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "nuq/tokenizer/tokenizer.hpp"

namespace fs = std::filesystem;
namespace {
using ids = std::vector<nuq::tokenizer::token_id>;

/// A fresh directory under the temp dir holding `files` (name -> content).
fs::path make_dir(std::string const& name,
                  std::vector<std::pair<std::string, std::string>> const& files) {
    auto const dir = fs::temp_directory_path() / ("nuq_tok_" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    for (auto const& [f, content] : files) std::ofstream(dir / f) << content;
    return dir;
}

std::string message_of(fs::path const& dir) {
    try {
        nuq::tokenizer::load_tokenizer(dir);
    } catch (nuq::error const& e) {
        return e.what();
    }
    return "";
}
} // namespace

TEST_CASE("no tokenizer.json: one token per byte") {
    auto const dir = make_dir("bytes", {{"config.json", R"({"vocab_size": 256})"}});
    auto const t = nuq::tokenizer::load_tokenizer(dir);
    CHECK(std::holds_alternative<nuq::tokenizer::byte_tokenizer>(t.get()));
    CHECK(t.encode("Hi\xC3\xA9") == ids{72, 105, 0xC3, 0xA9});
    CHECK(t.encode("Hi", true) == ids{72, 105}); // no BOS/EOS
    CHECK(t.decode({72, 105, 0xC3, 0xA9}) == "Hi\xC3\xA9");
    CHECK(t.vocab_size() == 256);
    CHECK_FALSE(t.bos_id());
    CHECK_THROWS_AS(t.decode({256}), nuq::error);
    fs::remove_all(dir);
}

TEST_CASE("load_tokenizer errors name the file and say what is supported") {
    auto const wp = make_dir("wordpiece", {{"tokenizer.json",
                                            R"({"model": {"type": "WordPiece", "vocab": {}}})"}});
    auto const m = message_of(wp);
    CHECK_THAT(m, Catch::Contains("tokenizer.json") && Catch::Contains("model type WordPiece") &&
                      Catch::Contains("SentencePiece-style") && Catch::Contains("byte-level"));

    auto const uni = make_dir("unigram", {{"tokenizer.json", R"({"model": {"type": "Unigram"}})"}});
    CHECK_THAT(message_of(uni), Catch::Contains("model type Unigram"));

    auto const bad = make_dir("badjson", {{"tokenizer.json", "{not json"}});
    CHECK_THAT(message_of(bad), Catch::Contains("tokenizer.json") && Catch::Contains("not valid JSON"));

    auto const sp = make_dir("spmodel", {{"tokenizer.model", "x"}});
    CHECK_THAT(message_of(sp), Catch::Contains("tokenizer.model") && Catch::Contains("save_pretrained"));

    auto const big = make_dir("novocab", {{"config.json", R"({"vocab_size": 32000})"}});
    CHECK_THAT(message_of(big), Catch::Contains("vocab_size is 32000"));

    auto const pre = make_dir("unknownsplit", {{"tokenizer.json", R"({"model": {"type": "BPE",
        "vocab": {}, "merges": []}, "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": "\\d+"}, "behavior": "Isolated", "invert": false},
        {"type": "ByteLevel", "use_regex": false}]}, "decoder": {"type": "ByteLevel"}})"}});
    CHECK_THAT(message_of(pre), Catch::Contains("split pattern"));

    CHECK_THAT(message_of("/nonexistent/nuq"), Catch::Contains("not a directory"));
    for (auto const& d : {wp, uni, bad, sp, big, pre}) fs::remove_all(d);
}
