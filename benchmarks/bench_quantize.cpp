// quantize + pack (format::quantize_and_pack, the compiled run-time function) of Llama-3-8B's down_proj weight, 4096 × 14336
// bf16 (normal-ish values, std 0.02), for each preset's weight scheme in the format a writer
// infers for it, with 1 and 2 threads. Next to each: the memory floor measured in the same run
// with the same thread count (bench::memory_bandwidth reading the 117 MB weight and writing the
// packed tensors' size), and counters:
//   GB/s        weight bytes read + packed bytes written, per second;
//   floor_GB/s  the bandwidth that floor measured;
//   floor_ms    the time the floor takes to move those bytes;
//   ratio       time / floor_ms (1 = as fast as memory allows).
#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "random_weight.hpp"
#include "bandwidth.hpp"
#include "nuq/quant/infer_format.hpp"
#include "nuq/format/quantize_and_pack.hpp"
#include "nuq/quant/presets.hpp"

namespace {

constexpr std::int64_t rows = 4096, cols = 14336;

std::vector<nuq::bfloat16_t> const& weight() {
    static auto const w = random_bf16_weight(rows, cols);
    return w;
}

struct job {
    nuq::quant_args args;
    nuq::compression_format format;
};

std::vector<nuq::tensor> run(job const& j, int threads) {
    nuq::tensor_ref const w(nuq::dtype::bfloat16, {rows, cols}, std::as_bytes(std::span(weight())));
    nuq::quantize_options o;
    o.threads = threads;
    return nuq::format::quantize_and_pack(j.format, j.args, w, o);
}

void add(std::string const& preset) {
    auto const scheme = nuq::preset_scheme(preset, {"Linear"});
    auto const j = std::make_shared<job>(job{*scheme.weights, nuq::infer_module_format(scheme)});
    std::size_t written = 0;
    for (auto const& t : run(*j, 0)) written += t.data.size();
    std::size_t const read = weight().size() * sizeof(nuq::bfloat16_t);
    double const bytes = static_cast<double>(read + written);
    for (int threads : {1, 2}) {
        double const floor_bw = nuq::bench::memory_bandwidth(read, written,
                                                             static_cast<unsigned>(threads), 3);
        std::string const name = preset + "/" + std::string(nuq::to_string(j->format)) +
                                 "/threads:" + std::to_string(threads);
        benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& s) {
            auto const t0 = std::chrono::steady_clock::now();
            for (auto _ : s) benchmark::DoNotOptimize(run(*j, threads));
            std::chrono::duration<double> const dt = std::chrono::steady_clock::now() - t0;
            double const per = dt.count() / static_cast<double>(s.iterations());
            s.counters["GB/s"] = bytes / per / 1e9;
            s.counters["floor_GB/s"] = floor_bw / 1e9;
            s.counters["floor_ms"] = bytes / floor_bw * 1e3;
            s.counters["ratio"] = per / (bytes / floor_bw);
        })->UseRealTime()->Unit(benchmark::kMillisecond);
    }
}

} // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    for (auto const* p : {"W4A16", "W4A16_ASYM", "W8A16", "W8A8", "FP8", "FP8_DYNAMIC", "FP8_BLOCK",
                          "NVFP4A16", "MXFP4A16", "MXFP8A16"})
        add(p);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
