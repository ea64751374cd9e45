// Llama-family config.json reading and the rotary tables it implies.
#include <cmath>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "nuq/model/decoder.hpp"

namespace {
nlohmann::json base(char const* type) {
    return {{"model_type", type},  {"hidden_size", 256},       {"intermediate_size", 1024},
            {"num_hidden_layers", 2}, {"num_attention_heads", 4}, {"vocab_size", 256}};
}
} // namespace

TEST_CASE("config: defaults, rope_parameters, Qwen2 bias, Qwen3 q/k norm", "[model]") {
    auto j = base("llama");
    j["rope_parameters"] = {{"rope_theta", 500000.0}, {"rope_type", "default"}};
    auto c = nuq::model::parse_config(j);
    CHECK(c.num_key_value_heads == 4); // absent: as many as attention heads
    CHECK(c.head_dim == 64);           // absent: hidden / heads
    CHECK(c.rope_theta == 500000.0);
    CHECK(!c.attention_bias);
    CHECK(!c.qk_norm);
    CHECK(!c.tie_word_embeddings);

    CHECK(nuq::model::parse_config(base("qwen2")).attention_bias);
    CHECK(nuq::model::parse_config(base("qwen3")).qk_norm);
    CHECK_THROWS_AS(nuq::model::parse_config(base("gpt2")), nuq::error);
    j["num_key_value_heads"] = 3;
    CHECK_THROWS_AS(nuq::model::parse_config(j), nuq::error);
    j = base("llama");
    j["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
    CHECK_THROWS_AS(nuq::model::parse_config(j), nuq::error);
}

TEST_CASE("llama3 rope scaling: long wavelengths slowed by factor, short ones kept", "[model]") {
    auto j = base("llama");
    j["hidden_size"] = 4096;
    j["num_attention_heads"] = 32;
    j["rope_theta"] = 500000.0;
    j["rope_scaling"] = {{"rope_type", "llama3"},
                         {"factor", 8.0},
                         {"low_freq_factor", 1.0},
                         {"high_freq_factor", 4.0},
                         {"original_max_position_embeddings", 8192}};
    auto const c = nuq::model::parse_config(j);
    REQUIRE(c.rope.type == "llama3");
    auto plain = c;
    plain.rope = {};
    auto const scaled = nuq::model::make_rotary(c, 2);
    auto const unscaled = nuq::model::make_rotary(plain, 2);
    // position 1: the angle is inv_freq itself; both halves carry the same angles
    CHECK(scaled.sin(1, 0) == unscaled.sin(1, 0));     // wavelength 2π < 8192/4: kept
    CHECK(scaled.sin(1, 63) == Approx(unscaled.sin(1, 63) / 8).epsilon(1e-6)); // > 8192: /8
    CHECK(scaled.cos(1, 5) == scaled.cos(1, 69));
    // the band between is blended: strictly between the two
    auto const mid = scaled.sin(1, 32), hi = unscaled.sin(1, 32);
    CHECK(mid < hi);
    CHECK(mid > hi / 8);
}
