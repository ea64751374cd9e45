// stories260K's tokenizer (SentencePiece-style BPE with byte fallback) against transformers.
// Expected ids: tests/data/tokenizer/hf_expected.json, written by hf_expected.py (next to it)
// with transformers 5.17.0's AutoTokenizer on the same tokenizer files.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "nuq/tokenizer/tokenizer.hpp"

namespace {
using ids = std::vector<nuq::tokenizer::token_id>;
std::string const data = NUQ_TEST_DATA;

nlohmann::json expected() {
    std::ifstream f(data + "/tokenizer/hf_expected.json");
    return nlohmann::json::parse(f);
}
nuq::tokenizer::tokenizer const& stories() {
    static auto const t = nuq::tokenizer::load_tokenizer(data + "/models/stories260K");
    return t;
}
} // namespace

TEST_CASE("stories260K: Once upon a time") {
    // Pieces: "▁Once" 403, "▁upon" 407, "▁a" 261, "▁time" 378 (vocab entries of tokenizer.json;
    // each is reachable by the merges, e.g. "▁a" is merge 2, "▁" + "a").
    CHECK(stories().encode("Once upon a time") == ids{403, 407, 261, 378});
    CHECK(stories().encode("Once upon a time", true) == ids{1, 403, 407, 261, 378});
    CHECK(stories().bos_id() == 1);
    CHECK(stories().eos_id() == 2);
    CHECK(stories().vocab_size() == 512);
    CHECK(stories().decode({403, 407, 261, 378}) == "Once upon a time");
}

TEST_CASE("stories260K: the ids transformers gives") {
    auto const e = expected();
    auto const& m = e["models"]["stories260K"];
    auto const& strings = e["strings"];
    for (std::size_t i = 0; i < strings.size(); ++i) {
        auto const s = strings[i].get<std::string>();
        INFO(s);
        CHECK(stories().encode(s) == m["plain"][i].get<ids>());
        CHECK(stories().encode(s, true) == m["special"][i].get<ids>());
        CHECK(stories().decode(m["plain"][i].get<ids>()) == m["decoded"][i].get<std::string>());
    }
}

TEST_CASE("stories260K: a text segment that starts with a space gets no second ▁") {
    // transformers 5 builds LlamaTokenizer's pipeline as Metaspace(prepend_scheme="always"):
    // " leading" is "▁leading" ("▁l" 278 first), where the file's Prepend would give "▁▁leading".
    CHECK(stories().encode(" leading").front() == 278);
    CHECK(stories().encode(" ") == ids{410});
}

TEST_CASE("stories260K: byte fallback for characters outside the vocab") {
    // 😀 = F0 9F 98 80; <0xXX> is id 3 + XX.
    CHECK(stories().encode("\xF0\x9F\x98\x80") == ids{410, 3 + 0xF0, 3 + 0x9F, 3 + 0x98, 3 + 0x80});
    // ï = C3 AF has no vocab entry; é has one (485).
    CHECK(stories().encode("\xC3\xAF") == ids{410, 3 + 0xC3, 3 + 0xAF});
    CHECK(stories().encode("\xC3\xA9") == ids{410, 485});
    CHECK(stories().decode({410, 3 + 0xF0, 3 + 0x9F, 3 + 0x98, 3 + 0x80}) == "\xF0\x9F\x98\x80");
    // A byte run that is not UTF-8 decodes to one U+FFFD per byte.
    CHECK(stories().decode({3 + 0xF0, 3 + 0x9F}) == "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("stories260K: the first 20 KB of tinyshakespeare") {
    std::ifstream f(data + "/corpus/tinyshakespeare_20k.txt", std::ios::binary);
    std::string const text{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    REQUIRE(text.size() == 20480);
    auto const got = stories().encode(text);
    CHECK(got == expected()["models"]["stories260K"]["tinyshakespeare_20k"].get<ids>());
    CHECK(std::find(got.begin(), got.end(), 0) == got.end()); // no <unk>
    CHECK(stories().decode(got) == text);
}
