// GPTQ on one 4096 × 4096 bf16 layer (N(0, 0.02) weights) with the Hessian of 64 sequences ×
// 2048 random tokens (built once, at start), and that Hessian's accumulation itself; next to
// the fp32 GEMM peak (bench::sgemm_flops, 2048³ through the same OpenBLAS) measured in the
// same run. Counters:
//   GFLOP/s       the work below per second;
//   peak_GFLOP/s  that GEMM peak;
//   of_peak       GFLOP/s / peak_GFLOP/s.
// Work counted: accumulation, the syrk's tokens·C·(C+1) (the upper triangle of 2·XᵀX);
// inverse_factor, 4C³/3 (potrf C³/3, potri 2C³/3, potrf C³/3); GPTQ, inverse_factor's plus
// R·C·(C−1) for the column updates (in-block rank-1 updates and the lazy GEMMs together).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "random_weight.hpp"
#include "gemm_peak.hpp"
#include "nuq/calib/gptq.hpp"
#include "nuq/calib/hessian.hpp"
#include "nuq/calib/inverse_factor.hpp"
#include "nuq/quant/presets.hpp"

extern "C" int openblas_get_num_threads(void); // OpenBLAS's own, which nuq links

namespace {

constexpr std::int64_t rows = 4096, cols = 4096, sequences = 64, seq_len = 2048;
double peak = 0; // flop/s, measured in main

/// One sequence of random activations (uniform in ±1, a fast LCG: 8M values per call).
void random_tokens(std::vector<float>& x, std::uint32_t seed) {
    x.resize(static_cast<std::size_t>(seq_len * cols));
    for (auto& v : x) {
        seed = seed * 1664525u + 1013904223u;
        v = static_cast<float>(seed >> 8) / 8388608.0f - 1.0f;
    }
}

xt::xtensor<float, 2> const& layer_hessian() {
    static xt::xtensor<float, 2> const h = [] {
        nuq::calib::hessian acc(cols);
        std::vector<float> x;
        for (std::int64_t s = 0; s < sequences; ++s) {
            random_tokens(x, static_cast<std::uint32_t>(s + 1));
            acc.add(x.data(), seq_len, 1);
        }
        return acc.average();
    }();
    return h;
}

std::vector<nuq::bfloat16_t> const& layer_weight() {
    static auto const w = random_bf16_weight(rows, cols);
    return w;
}

void report(benchmark::State& s, double flops, double seconds) {
    double const per = seconds / static_cast<double>(s.iterations());
    s.counters["GFLOP/s"] = flops / per / 1e9;
    s.counters["peak_GFLOP/s"] = peak / 1e9;
    s.counters["of_peak"] = flops / per / peak;
}

void hessian_accumulation(benchmark::State& s) {
    // 4 distinct sequences, cycled: the syrk's cost does not depend on the values
    std::vector<std::vector<float>> x(4);
    for (std::size_t i = 0; i < x.size(); ++i) random_tokens(x[i], static_cast<std::uint32_t>(i + 1));
    auto const t0 = std::chrono::steady_clock::now();
    for (auto _ : s) {
        nuq::calib::hessian acc(cols);
        for (std::int64_t i = 0; i < sequences; ++i) acc.add(x[i % 4].data(), seq_len, 1);
        benchmark::DoNotOptimize(acc.average());
    }
    std::chrono::duration<double> const dt = std::chrono::steady_clock::now() - t0;
    report(s, double(sequences * seq_len) * double(cols) * double(cols + 1), dt.count());
}

void inverse_factor(benchmark::State& s) {
    auto h = layer_hessian();
    for (std::int64_t j = 0; j < cols; ++j) h(j, j) += 0.01f; // as dampened
    double seconds = 0;
    for (auto _ : s) {
        s.PauseTiming();
        auto u = h;
        s.ResumeTiming();
        auto const t0 = std::chrono::steady_clock::now();
        benchmark::DoNotOptimize(nuq::calib::inverse_factor(u).ok);
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    report(s, 4.0 / 3.0 * double(cols) * double(cols) * double(cols), seconds);
}

void gptq(benchmark::State& s, std::string const& preset) {
    auto const& h = layer_hessian();
    auto const& w = layer_weight();
    auto args = *nuq::preset_scheme(preset, {"Linear"}).weights;
    args.actorder = nuq::actorder_mode::weight; // GPTQModifier's default
    nuq::weight_view<nuq::bfloat16_t> const view{w, rows, cols};
    double seconds = 0;
    for (auto _ : s) {
        s.PauseTiming();
        auto hc = h; // gptq_quantize takes H by value: the copy is not GPTQ's work
        s.ResumeTiming();
        auto const t0 = std::chrono::steady_clock::now();
        auto const r = nuq::calib::gptq_quantize(view, std::move(hc), args, {});
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (r.fell_back) s.SkipWithError(r.warning.c_str());
        benchmark::DoNotOptimize(r.weight.data());
    }
    double const c = double(cols);
    report(s, 4.0 / 3.0 * c * c * c + double(rows) * c * (c - 1), seconds);
}

} // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    peak = nuq::bench::sgemm_flops();
    char text[160];
    std::snprintf(text, sizeof text, "%.1f GFLOP/s with %d OpenBLAS threads", peak / 1e9,
                  openblas_get_num_threads());
    benchmark::AddCustomContext("fp32 GEMM peak, 2048^3 sgemm", text);

    benchmark::RegisterBenchmark("hessian_accumulation/64x2048x4096", hessian_accumulation)
        ->UseRealTime()->Unit(benchmark::kSecond);
    benchmark::RegisterBenchmark("inverse_factor/4096", inverse_factor)
        ->UseRealTime()->Unit(benchmark::kMillisecond);
    for (auto const* p : {"W4A16", "NVFP4A16"})
        benchmark::RegisterBenchmark((std::string("gptq/4096x4096/bf16/") + p).c_str(),
                                     [p](benchmark::State& s) { gptq(s, p); })
            ->UseRealTime()->Unit(benchmark::kMillisecond);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
