#pragma once
// This machine's memory bandwidth, measured in the same run as the benchmarks, so that a
// memory-bound kernel's throughput can be printed next to the floor it cannot beat (the machine
// is shared and its speed varies from run to run).
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

namespace nuq::bench {

namespace detail {
// Streams src[r0, r1) and writes dst[w0, w1) in interleaved blocks, so reads and writes overlap
// as in a conversion kernel; returns a sum so that the reads are not optimized away.
inline std::uint64_t stream_slice(std::uint64_t const* src, std::size_t r0, std::size_t r1,
                                  std::uint64_t* dst, std::size_t w0, std::size_t w1) {
    constexpr std::size_t block = 4096; // words read per step: 32 KiB
    std::size_t const reads = r1 - r0, writes = w1 - w0;
    std::uint64_t sum = 0;
    std::size_t w = w0;
    for (std::size_t r = r0; r < r1; r += block) {
        std::size_t const rend = std::min(r + block, r1);
        for (std::size_t i = r; i < rend; ++i) sum += src[i];
        // writes so far stay proportional to reads so far
        std::size_t const wend = w0 + (reads ? writes * (rend - r0) / reads : writes);
        for (; w < wend; ++w) dst[w] = sum + w;
    }
    for (; w < w1; ++w) dst[w] = sum + w;
    return sum;
}
} // namespace detail

/// Bytes per second (read + written) that `threads` threads move together while each streams
/// through its share of a `read_bytes` source and, at the same time, writes its share of a
/// `write_bytes` destination with ordinary stores, as the kernels do. Best of `runs`, after one
/// untimed pass that faults the pages in. The default 2:1 read:write ratio is that of
/// f32 → bf16 and bf16 → fp8.
inline double memory_bandwidth(std::size_t read_bytes = std::size_t{256} << 20,
                               std::size_t write_bytes = std::size_t{128} << 20,
                               unsigned threads = std::max(1u, std::thread::hardware_concurrency()),
                               int runs = 5) {
    std::size_t const nr = read_bytes / 8, nw = write_bytes / 8;
    std::vector<std::uint64_t> src(nr, 1), dst(nw, 0);
    std::vector<std::uint64_t> sums(threads);
    auto pass = [&] {
        std::vector<std::thread> pool;
        for (unsigned t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                sums[t] = detail::stream_slice(src.data(), nr * t / threads, nr * (t + 1) / threads,
                                               dst.data(), nw * t / threads, nw * (t + 1) / threads);
            });
        for (auto& th : pool) th.join();
    };
    pass();
    double best = 0;
    for (int i = 0; i < runs; ++i) {
        auto const t0 = std::chrono::steady_clock::now();
        pass();
        std::chrono::duration<double> const dt = std::chrono::steady_clock::now() - t0;
        best = std::max(best, static_cast<double>(nr + nw) * 8.0 / dt.count());
    }
    return best;
}

} // namespace nuq::bench
