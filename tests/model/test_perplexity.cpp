// nuq's perplexity protocol against the reference's (golden/checkpoints/ppl.json): the
// unquantized tiny-llama-sotu and each golden compressed checkpoint, dequantized on load.
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "nuq/io/checkpoint.hpp"
#include "nuq/tokenizer/byte_tokens.hpp"
#include "nuq/model/perplexity.hpp"

TEST_CASE("perplexity on sotu_eval matches the reference within 0.1 %", "[model]") {
    std::ifstream f(NUQ_TEST_DATA "/model/ppl.json");
    auto const golden = nlohmann::json::parse(f).at("results");
    auto const ids = nuq::tokenizer::read_byte_tokens(NUQ_TEST_DATA "/corpus/sotu_eval.txt");
    auto const name = GENERATE(as<std::string>{}, "unquantized", "int4_int8",
                               "fp8_multiple_strategies", "nvfp4a16_fp8", "w8a8_int8");
    auto const dir = name == "unquantized"
                         ? std::string(NUQ_TEST_DATA "/../../examples/data/tiny-llama-sotu")
                         : std::string(NUQ_TEST_DATA "/checkpoints/") + name;
    auto const start = std::chrono::steady_clock::now();
    nuq::io::checkpoint const ck(dir);
    nuq::model::weights const w(ck);
    auto const r = nuq::model::perplexity(w, ids, {});
    auto const expected = golden.at(name).at("ppl").get<double>();
    std::cout << name << ": perplexity " << r.perplexity << " (reference " << expected
              << ", relative error " << (r.perplexity / expected - 1) << ") in "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
              << " s\n";
    CHECK(r.windows == 64);
    CHECK(r.predictions == golden.at(name).at("positions").get<std::int64_t>());
    CHECK(std::abs(r.perplexity / expected - 1) < 1e-3);
}

TEST_CASE("perplexity windows: whole windows every stride, at most max_windows", "[model]") {
    nuq::io::checkpoint const ck(NUQ_TEST_DATA "/../../examples/data/tiny-llama-sotu");
    nuq::model::weights const w(ck);
    auto const ids = nuq::tokenizer::byte_tokens("The State of the Union is strong. We will act.");
    nuq::model::perplexity_options o;
    o.seq_len = 16;
    o.stride = 8;
    int calls = 0;
    o.progress = [&](std::int64_t done, std::int64_t total) {
        ++calls;
        CHECK(done <= total);
    };
    auto const r = nuq::model::perplexity(w, ids, o);
    CHECK(r.windows == (static_cast<std::int64_t>(ids.size()) - 16) / 8 + 1);
    CHECK(r.predictions == r.windows * 15);
    CHECK(calls > 0);
    o.seq_len = 1000;
    CHECK_THROWS_AS(nuq::model::perplexity(w, ids, o), nuq::error);
}
