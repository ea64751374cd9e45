// Byte-level BPE on two hand-made tokenizers (tests/data/tokenizer/make_tiny.py): gpt2_tiny
// (GPT-2's pre-tokenizer) and llama3_tiny (Llama 3's Split regex, ignore_merges, BOS template).
// Vocab: ids 0..255 are the byte symbols in GPT-2's order ('!' 0 ... 'Ġ' (space) 220 ...),
// then the merges Ġ+t 256, h+e 257, Ġt+he 258, i+n 259, in+g 260, Ġ+w 261, o+r 262, Ġw+or 263,
// l+d 264, Ġwor+ld 265, 1+2 266, Ã+© 267 (é), Ċ+Ċ 268 (two newlines), T+he 269.
// The ids derived by hand below were also checked against transformers 5.17.0 (hf_expected.json).
#include <catch2/catch.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "nuq/tokenizer/tokenizer.hpp"

namespace {
using ids = std::vector<nuq::tokenizer::token_id>;
using pieces = std::vector<std::string_view>;
std::string const data = NUQ_TEST_DATA;

nuq::tokenizer::tokenizer const& gpt2() {
    static auto const t = nuq::tokenizer::load_tokenizer(data + "/tokenizer/gpt2_tiny");
    return t;
}
nuq::tokenizer::tokenizer const& llama3() {
    static auto const t = nuq::tokenizer::load_tokenizer(data + "/tokenizer/llama3_tiny");
    return t;
}
} // namespace

TEST_CASE("byte-level BPE: ids derived by hand") {
    // "Hello world" -> pieces "Hello", " world". "Hello": no merge applies: H 39 e 68 l 75 l 75
    // o 78. "Ġworld": Ġ+w (rank 5), o+r (6), Ġw+or (7), l+d (8), Ġwor+ld (9) -> 265.
    CHECK(gpt2().encode("Hello world") == ids{39, 68, 75, 75, 78, 265});
    // " the": Ġ+t (0) first, then h+e (1), then Ġt+he (2) -> 258.
    CHECK(gpt2().encode(" the") == ids{258});
    // "The": T+he needs h+e first (rank 1), then T+he (13) -> 269.
    CHECK(gpt2().encode("The") == ids{269});
    // é = C3 A9 -> "Ã©" -> 267; "\n\n" -> "ĊĊ" 268 only where one piece holds both newlines:
    // GPT-2 puts "\n\n" in one piece, Llama 3 too ("\s*[\r\n]+").
    CHECK(gpt2().encode("\xC3\xA9") == ids{267});
    CHECK(llama3().encode("a\n\nb") == ids{64, 268, 65});
    // "12345": GPT-2 keeps the digits together (1+2 -> 266, then 3 4 5), Llama 3 cuts them in
    // threes: "123" "45" -> 266 18 | 19 20.
    CHECK(gpt2().encode("12345") == ids{266, 18, 19, 20});
    CHECK(llama3().encode(" 12345") == ids{220, 266, 18, 19, 20});
    // Added tokens are cut out of the text first.
    CHECK(gpt2().encode("a<|endoftext|>b") == ids{64, 270, 65});
}

TEST_CASE("byte-level BPE: special tokens and decode") {
    CHECK(gpt2().encode("the", true) == gpt2().encode("the")); // GPT-2 adds nothing
    CHECK(llama3().encode("the", true) == ids{270, 83, 257});
    CHECK(llama3().bos_id() == 270);
    CHECK(llama3().eos_id() == 271);
    CHECK(llama3().vocab_size() == 272);
    CHECK(gpt2().decode({39, 68, 75, 75, 78, 265, 270}) == "Hello world<|endoftext|>");
    CHECK(gpt2().decode({172, 253}) == "\xEF\xBF\xBD\xEF\xBF\xBD"); // F0 9F: not UTF-8
}

TEST_CASE("byte-level BPE: the ids transformers gives") {
    std::ifstream f(data + "/tokenizer/hf_expected.json");
    auto const e = nlohmann::json::parse(f);
    auto const& strings = e["strings"];
    for (char const* name : {"gpt2_tiny", "llama3_tiny"}) {
        auto const& t = std::string(name) == "gpt2_tiny" ? gpt2() : llama3();
        auto const& m = e["models"][name];
        for (std::size_t i = 0; i < strings.size(); ++i) {
            auto const s = strings[i].get<std::string>();
            INFO(name << ": " << s);
            CHECK(t.encode(s) == m["plain"][i].get<ids>());
            CHECK(t.encode(s, true) == m["special"][i].get<ids>());
            CHECK(t.decode(m["plain"][i].get<ids>()) == m["decoded"][i].get<std::string>());
        }
    }
}

TEST_CASE("pre-tokenization: GPT-2 and Llama 3 patterns") {
    // Expected splits: Python's `regex` module (which has \p{L}) with the same patterns.
    using nuq::tokenizer::pre_tokenize;
    using nuq::tokenizer::split_pattern;
    std::string_view const a = "I'M sure they'LL go\r\n\r\n  ok 1234567";
    CHECK(pre_tokenize(split_pattern::gpt2, a) ==
          pieces{"I", "'", "M", " sure", " they", "'", "LL", " go", "\r\n\r\n ", " ok",
                 " 1234567"});
    CHECK(pre_tokenize(split_pattern::llama3, a) ==
          pieces{"I", "'M", " sure", " they", "'LL", " go", "\r\n\r\n", " ", " ok", " ", "123",
                 "456", "7"});
    std::string_view const b = "x = a+b;  // 3.14\t\ttab";
    CHECK(pre_tokenize(split_pattern::gpt2, b) ==
          pieces{"x", " =", " a", "+", "b", ";", " ", " //", " 3", ".", "14", "\t", "\t", "tab"});
    CHECK(pre_tokenize(split_pattern::llama3, b) ==
          pieces{"x", " =", " a", "+b", ";", " ", " //", " ", "3", ".", "14", "\t", "\ttab"});
    // Cyrillic and CJK are letters, ½ a number, U+0301 (combining acute) neither, 😀 neither.
    std::string_view const c = "Привет мир 中文字 ½ café\xCC\x81 😀!";
    CHECK(pre_tokenize(split_pattern::gpt2, c) ==
          pieces{"Привет", " мир", " 中文字", " ½", " café", "\xCC\x81", " 😀!"});
    CHECK(pre_tokenize(split_pattern::llama3, c) ==
          pieces{"Привет", " мир", " 中文字", " ", "½", " café", "\xCC\x81", " 😀!"});
}
