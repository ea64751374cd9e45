// The decoder forward against transformers: tiny-llama-sotu's logits on held-out text, and
// stories260K (tied embeddings, fp32) end to end.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <vector>

#include <catch2/catch.hpp>

#include "nuq/io/checkpoint.hpp"
#include "nuq/io/safetensors_reader.hpp"
#include "nuq/model/decoder.hpp"

namespace {

std::string const tiny_llama = NUQ_TEST_DATA "/../../examples/data/tiny-llama-sotu";
std::string const stories = NUQ_TEST_DATA "/models/stories260K";

template <class T> std::vector<T> values(nuq::io::tensor_view const& v) {
    std::vector<T> out(v.bytes.size() / sizeof(T));
    std::memcpy(out.data(), v.bytes.data(), v.bytes.size());
    return out;
}

/// Greedy next token of the last position, repeated `n` times.
std::vector<std::int64_t> greedy(nuq::model::weights const& w, std::vector<std::int64_t> ids,
                                 int n) {
    for (int step = 0; step < n; ++step) {
        xt::xtensor<std::int64_t, 2> t = xt::empty<std::int64_t>({std::size_t{1}, ids.size()});
        std::copy(ids.begin(), ids.end(), t.begin());
        auto const logits = nuq::model::forward(w, t);
        auto const* last = &logits(0, ids.size() - 1, 0);
        ids.push_back(std::max_element(last, last + logits.shape(2)) - last);
    }
    return ids;
}

} // namespace

TEST_CASE("tiny-llama-sotu logits match transformers within 1e-3", "[model]") {
    nuq::io::safetensors_file const golden(NUQ_TEST_DATA
                                           "/model/tiny-llama-sotu.logits.safetensors");
    auto const ids_view = golden.tensor("input_ids");
    auto const ids = values<std::int64_t>(ids_view);
    auto const expected = values<float>(golden.tensor("logits"));
    REQUIRE(ids_view.shape == std::vector<std::int64_t>{4, 128});

    nuq::io::checkpoint const ck(tiny_llama);
    nuq::model::weights const w(ck);
    xt::xtensor<std::int64_t, 2> tokens = xt::empty<std::int64_t>({4ul, 128ul});
    std::copy(ids.begin(), ids.end(), tokens.begin());
    auto const logits = nuq::model::forward(w, tokens);
    REQUIRE(logits.size() == expected.size());
    double worst = 0;
    for (std::size_t i = 0; i < expected.size(); ++i)
        worst = std::max(worst, std::abs(double(logits.data()[i]) - expected[i]));
    std::cout << "tiny-llama-sotu: max |logit - transformers| = " << worst << "\n";
    CHECK(worst < 1e-3);
}

TEST_CASE("run_layer on cached hidden states equals the whole forward", "[model]") {
    nuq::io::checkpoint const ck(tiny_llama);
    nuq::model::weights const w(ck);
    auto const& c = w.cfg();
    xt::xtensor<std::int64_t, 2> tokens = xt::empty<std::int64_t>({2ul, 16ul});
    for (std::size_t i = 0; i < tokens.size(); ++i) tokens.data()[i] = 32 + (i * 7) % 90;
    auto hidden = nuq::model::embed(w.embed_tokens(), tokens);
    auto const rot = nuq::model::make_rotary(c, 16);
    for (std::int64_t i = 0; i < c.num_hidden_layers; ++i)
        nuq::model::run_layer(c, w.layer(i), rot, hidden);
    bool const same = hidden == nuq::model::last_hidden(w, tokens);
    CHECK(same);
}

TEST_CASE("stories260K: tied embeddings, finite logits, greedy continuation", "[model]") {
    nuq::io::checkpoint const ck(stories);
    nuq::model::weights const w(ck);
    REQUIRE(w.cfg().tie_word_embeddings);
    // "Once upon a time" through its tokenizer.json (SentencePiece BPE, BOS 1 prepended):
    // ▁Once ▁upon ▁a ▁time.
    std::vector<std::int64_t> const prompt{1, 403, 407, 261, 378};
    xt::xtensor<std::int64_t, 2> t = xt::empty<std::int64_t>({std::size_t{1}, prompt.size()});
    std::copy(prompt.begin(), prompt.end(), t.begin());
    auto const logits = nuq::model::forward(w, t);
    CHECK(std::all_of(logits.begin(), logits.end(), [](float x) { return std::isfinite(x); }));

    // ", there was a little girl named Lily":
    //   , ▁there ▁was ▁a ▁little ▁g ir l ▁named ▁Lily
    // (the vocab has no ▁girl; its BPE merges give ▁g ir l).
    std::vector<std::int64_t> const continuation{432, 383, 286, 261, 376, 298, 315, 421, 395, 317};
    auto const out = greedy(w, prompt, static_cast<int>(continuation.size()));
    auto const generated = std::vector<std::int64_t>(
        out.begin() + static_cast<std::ptrdiff_t>(prompt.size()), out.end());
    CHECK(generated == continuation);
}

TEST_CASE("a tap sees every Linear input, and attention and MLP outputs rebuild the layer",
          "[model]") {
    nuq::io::checkpoint const ck(tiny_llama);
    nuq::model::weights const w(ck);
    auto const& c = w.cfg();
    xt::xtensor<std::int64_t, 2> tokens = xt::empty<std::int64_t>({3ul, 40ul});
    for (std::size_t i = 0; i < tokens.size(); ++i) tokens.data()[i] = (i * 37 + 11) % 256;
    auto const layer = w.layer(1);
    auto const rot = nuq::model::make_rotary(c, 40);
    auto const start = nuq::model::embed(w.embed_tokens(), tokens);

    auto plain = start;
    nuq::model::run_layer(c, layer, rot, plain);
    auto tapped = start;
    std::vector<int> rows(4, 0);
    std::vector<float> qkv_seen;
    nuq::model::run_layer(c, layer, rot, tapped,
                          [&](nuq::model::linear_input in, float const* x, std::int64_t batch,
                              std::int64_t seq, std::int64_t cols) {
                              rows[static_cast<int>(in)] += static_cast<int>(batch * seq);
                              if (in == nuq::model::linear_input::qkv)
                                  qkv_seen.insert(qkv_seen.end(), x, x + batch * seq * cols);
                          });
    CHECK(std::equal(tapped.begin(), tapped.end(), plain.begin()));
    CHECK(rows == std::vector<int>(4, 120));
    auto const normed = nuq::model::attention_input(c, layer, start);
    REQUIRE(qkv_seen.size() == normed.size());
    CHECK(std::equal(qkv_seen.begin(), qkv_seen.end(), normed.begin()));

    // the layer = residual + attention, then + MLP of the post-attention norm
    xt::xtensor<float, 3> mid = start + nuq::model::attention_output(c, layer, rot, normed);
    xt::xtensor<float, 3> mlp_in = xt::empty<float>(mid.shape());
    nuq::model::detail::rms_norm(mid.data(), mlp_in.data(), 120, c.hidden_size, c.hidden_size,
                                 layer.post_attention_norm.data(), c.rms_norm_eps);
    xt::xtensor<float, 3> const rebuilt = mid + nuq::model::mlp_output(c, layer, mlp_in);
    double worst = 0;
    for (std::size_t i = 0; i < plain.size(); ++i)
        worst = std::max(worst, std::abs(double(rebuilt.data()[i]) - plain.data()[i]));
    CHECK(worst < 1e-5);
}
