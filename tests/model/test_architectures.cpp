// The Qwen2 (q/k/v biases), Qwen3 (q/k norms, head_dim ≠ hidden/heads) and Mistral forwards
// against transformers' fp32 logits of tiny random models (tests/data/models/README.md).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "nuq/io/checkpoint.hpp"
#include "nuq/io/safetensors_reader.hpp"
#include "nuq/model/decoder.hpp"

TEST_CASE("Qwen2, Qwen3 and Mistral logits match transformers", "[model]") {
    for (std::string const name : {"qwen2", "qwen3", "mistral"}) {
        auto const dir = std::string(NUQ_TEST_DATA "/models/tiny-") + name;
        nuq::io::safetensors_file const golden(dir + "/logits.safetensors");
        auto const ids_view = golden.tensor("input_ids");
        auto const logits_view = golden.tensor("logits");
        REQUIRE(ids_view.shape.size() == 2);
        xt::xtensor<std::int64_t, 2> tokens = xt::empty<std::int64_t>(
            {std::size_t(ids_view.shape[0]), std::size_t(ids_view.shape[1])});
        std::memcpy(tokens.data(), ids_view.bytes.data(), ids_view.bytes.size());
        std::vector<float> expected(logits_view.bytes.size() / sizeof(float));
        std::memcpy(expected.data(), logits_view.bytes.data(), logits_view.bytes.size());

        nuq::io::checkpoint const ck(dir);
        nuq::model::weights const w(ck);
        CHECK(w.cfg().model_type == name);
        auto const logits = nuq::model::forward(w, tokens);
        REQUIRE(logits.size() == expected.size());
        double worst = 0, scale = 0;
        for (std::size_t i = 0; i < expected.size(); ++i) {
            worst = std::max(worst, std::abs(double(logits.data()[i]) - expected[i]));
            scale = std::max(scale, std::abs(double(expected[i])));
        }
        std::cout << name << ": max |logit - transformers| = " << worst << " (max |logit| "
                  << scale << ")\n";
        CHECK(worst < 1e-4 * std::max(1.0, scale));
    }
}
