// f32 → bf16 and bf16 → fp8 e4m3 array conversions: the scalar reference, the header-only
// path (this file's compile flags), each compiled arch of nuq_simd this CPU runs, and the
// run-time dispatch. Each line reports bytes read + written per second, and `of_bw`, that rate
// as a fraction of the memory bandwidth measured at start with the same 2:1 read:write mix and
// the same number of threads.
// "big" arrays (256 MiB of f32, 128 MiB of bf16) are memory-bound; "l2" arrays (16 Ki values)
// fit in L2 and show the compute rate.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "bandwidth.hpp"
#include "nuq/detail/simd_dispatch.hpp"
#include "nuq/numeric/bfloat16.hpp"
#include "nuq/numeric/float8_e4m3.hpp"
#include "nuq/numeric/simd_convert.hpp"

namespace {

using namespace nuq::simd;

constexpr std::size_t big_n = std::size_t{64} << 20;
constexpr std::size_t l2_n = std::size_t{16} << 10;

struct arrays {
    std::vector<float> f32 = std::vector<float>(big_n);
    std::vector<std::uint16_t> bf16 = std::vector<std::uint16_t>(big_n);
    std::vector<std::uint8_t> fp8 = std::vector<std::uint8_t>(big_n);
    arrays() {
        for (std::size_t i = 0; i < big_n; ++i) {
            f32[i] = static_cast<float>(static_cast<std::int64_t>(i % 20011) - 10005) * 0.0371f;
            bf16[i] = nuq::bfloat16_t::round_bits(f32[i]);
        }
    }
};

double floor_one_thread = 0, floor_all_cores = 0; // bytes/s
int cores = 1;

/// Registers `name`/big with 1 thread and one per core (each converts its own slice), and
/// `name`/l2.
template <class In, class Out, class Run>
void add(std::string const& name, In const* in, Out* out, Run run) {
    for (std::size_t const n : {big_n, l2_n}) {
        auto* b = benchmark::RegisterBenchmark(
            (name + (n == big_n ? "/big" : "/l2")).c_str(), [=](benchmark::State& s) {
                std::size_t const per = n / static_cast<std::size_t>(s.threads());
                std::size_t const off = per * static_cast<std::size_t>(s.thread_index());
                auto const t0 = std::chrono::steady_clock::now();
                for (auto _ : s) {
                    run(in + off, out + off, per);
                    benchmark::ClobberMemory();
                }
                std::chrono::duration<double> const dt = std::chrono::steady_clock::now() - t0;
                double const bytes = static_cast<double>(per * (sizeof(In) + sizeof(Out))) *
                                     static_cast<double>(s.iterations());
                s.SetBytesProcessed(static_cast<std::int64_t>(bytes));
                // This thread's rate over the floor; the threads' counters add up.
                double const bw = s.threads() == 1 ? floor_one_thread : floor_all_cores;
                s.counters["of_bw"] = bytes / dt.count() / bw;
            });
        b->UseRealTime()->Unit(benchmark::kMicrosecond);
        if (n == big_n && cores > 1) b->Threads(1)->Threads(cores);
    }
}

template <class Kernel, class In, class Out, class Scalar>
void add_all(std::string const& name, In const* in, Out* out, Scalar scalar) {
    add(name + "/scalar", in, out, [scalar](In const* i, Out* o, std::size_t n) {
        for (std::size_t k = 0; k < n; ++k) o[k] = scalar(i[k]);
    });
    add(name + "/native", in, out,
        [](In const* i, Out* o, std::size_t n) { run_native<Kernel>(i, o, n); });
    dispatch_archs::for_each([&](auto arch) {
        using Arch = decltype(arch);
        if (!cpu_has<Arch>()) return;
        add(name + "/" + Arch::name(), in, out,
            [](In const* i, Out* o, std::size_t n) { kernel_entry<Kernel, Arch>::run(i, o, n); });
    });
    add(name + "/dispatch", in, out,
        [](In const* i, Out* o, std::size_t n) { dispatch<Kernel>(i, o, n); });
}

} // namespace

int main(int argc, char** argv) {
    static arrays a; // static: the lambdas keep raw pointers into it
    cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    floor_all_cores = nuq::bench::memory_bandwidth();
    floor_one_thread =
        nuq::bench::memory_bandwidth(std::size_t{256} << 20, std::size_t{128} << 20, 1);
    char text[160];
    std::snprintf(text, sizeof text, "%.2f GB/s with 1 thread, %.2f GB/s with %d",
                  floor_one_thread / 1e9, floor_all_cores / 1e9, cores);
    benchmark::AddCustomContext("memory bandwidth, read 256 MiB + write 128 MiB", text);

    add_all<f32_to_bf16_kernel>("f32_to_bf16", a.f32.data(), a.bf16.data(),
                                [](float x) { return nuq::bfloat16_t::round_bits(x); });
    add_all<bf16_to_e4m3_kernel>("bf16_to_e4m3", a.bf16.data(), a.fp8.data(), [](std::uint16_t h) {
        return nuq::float_e4m3_t::round_bits(float(nuq::bfloat16_t::from_bits(h)));
    });

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
