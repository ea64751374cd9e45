// The model forward in fp32: tokens per second of tiny-llama-sotu (4 sequences × 256 tokens,
// all layers and the head) and of one decoder layer of Llama-3-8B's shape with random
// weights (1 sequence × 512 tokens), the step a sequential calibration repeats per layer.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <filesystem>

#include "nuq/io/checkpoint.hpp"
#include "nuq/model/decoder.hpp"

namespace {

namespace fs = std::filesystem;
namespace model = nuq::model;

void tiny_llama_forward(benchmark::State& state) {
    auto const dir = fs::path(__FILE__).parent_path() / "../examples/data/tiny-llama-sotu";
    nuq::io::checkpoint const ck(dir);
    model::weights const w(ck);
    xt::xtensor<std::int64_t, 2> tokens = xt::empty<std::int64_t>({4ul, 256ul});
    for (std::size_t i = 0; i < tokens.size(); ++i) tokens.data()[i] = 32 + (i * 31) % 95;
    for (auto _ : state) benchmark::DoNotOptimize(model::forward(w, tokens));
    state.counters["tokens/s"] = benchmark::Counter(
        static_cast<double>(tokens.size()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(tiny_llama_forward)->Unit(benchmark::kMillisecond)->UseRealTime();

/// Deterministic values of about ±scale (weights of a trained 8B are of order 0.02).
template <class T> void fill(T& a, float scale, std::uint32_t seed) {
    for (auto& x : a) {
        seed = seed * 1664525u + 1013904223u;
        x = (static_cast<float>(seed >> 8) / 16777216.0f - 0.5f) * 2 * scale;
    }
}

model::linear random_linear(std::int64_t out, std::int64_t in, std::uint32_t seed) {
    model::linear l;
    l.weight = xt::empty<float>({static_cast<std::size_t>(out), static_cast<std::size_t>(in)});
    fill(l.weight, 0.02f, seed);
    return l;
}

void llama3_8b_layer(benchmark::State& state) {
    model::config c;
    c.model_type = "llama";
    c.hidden_size = 4096;
    c.intermediate_size = 14336;
    c.num_hidden_layers = 32;
    c.num_attention_heads = 32;
    c.num_key_value_heads = 8;
    c.head_dim = 128;
    c.vocab_size = 128256;
    c.rope_theta = 500000;
    c.rope = {"llama3", 8.0, 1.0, 4.0, 8192};
    std::int64_t const seq = 512;
    model::layer_weights w;
    w.input_norm = xt::ones<float>({std::size_t{4096}});
    w.post_attention_norm = xt::ones<float>({std::size_t{4096}});
    w.q = random_linear(4096, 4096, 1);
    w.k = random_linear(1024, 4096, 2);
    w.v = random_linear(1024, 4096, 3);
    w.o = random_linear(4096, 4096, 4);
    w.gate = random_linear(14336, 4096, 5);
    w.up = random_linear(14336, 4096, 6);
    w.down = random_linear(4096, 14336, 7);
    auto const rot = model::make_rotary(c, seq);
    xt::xtensor<float, 3> input = xt::empty<float>({1ul, std::size_t{seq}, 4096ul});
    fill(input, 1.0f, 8);
    for (auto _ : state) {
        auto hidden = input;
        model::run_layer(c, w, rot, hidden);
        benchmark::DoNotOptimize(hidden.data());
    }
    state.counters["tokens/s"] = benchmark::Counter(
        static_cast<double>(seq), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(llama3_8b_layer)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

} // namespace

BENCHMARK_MAIN();
