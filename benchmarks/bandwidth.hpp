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
// Reads src[0, nr) and writes dst[0, nw), interleaved per 64-byte line written, with the reads
// spread evenly over the writes (Bresenham), as a conversion kernel interleaves them; coarser
// interleaving measured ~25% slower. Returns a sum so that the reads are not optimized away.
// nr and nw are multiples of 8 words (64-byte lines).
inline std::uint64_t stream_slice(std::uint64_t const* src, std::size_t nr, std::uint64_t* dst,
                                  std::size_t nw) {
    std::size_t const read_lines = nr / 8, write_lines = nw / 8;
    std::size_t const per = write_lines ? read_lines / write_lines : 0;
    std::size_t const extra = write_lines ? read_lines % write_lines : 0;
    std::uint64_t sum = 0;
    std::size_t r = 0, acc = 0;
    for (std::size_t line = 0; line < write_lines; ++line) {
        std::size_t lines = per;
        acc += extra;
        if (acc >= write_lines) acc -= write_lines, ++lines;
        for (std::size_t const end = r + 8 * lines; r < end; r += 8) {
            // as the kernels do (map_kernel in simd_convert.hpp): 10-15% faster here
            __builtin_prefetch(
                reinterpret_cast<void const*>(reinterpret_cast<std::uintptr_t>(src + r) + 4096));
            for (std::size_t k = 0; k < 8; ++k) sum += src[r + k];
        }
        for (std::size_t k = 0; k < 8; ++k) dst[8 * line + k] = sum + k;
    }
    for (; r < nr; ++r) sum += src[r];
    return sum;
}
} // namespace detail

/// Bytes per second (read + written) that `threads` threads move together while each streams
/// through its share of a `read_bytes` source and, at the same time, writes its share of a
/// `write_bytes` destination with ordinary stores, as the kernels do. Best of `runs`, after one
/// untimed pass that faults the pages in. Sizes are rounded down to 64-byte lines. The default
/// 2:1 read:write ratio is that of f32 → bf16 and bf16 → fp8.
inline double memory_bandwidth(std::size_t read_bytes = std::size_t{256} << 20,
                               std::size_t write_bytes = std::size_t{128} << 20,
                               unsigned threads = std::max(1u, std::thread::hardware_concurrency()),
                               int runs = 5) {
    // whole 64-byte lines per thread
    std::size_t const rl = read_bytes / 64, wl = write_bytes / 64, nr = rl * 8, nw = wl * 8;
    std::vector<std::uint64_t> src(nr, 1), dst(nw, 0);
    std::vector<std::uint64_t> sums(threads);
    auto pass = [&] {
        std::vector<std::thread> pool;
        for (unsigned t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                std::size_t const r0 = rl * t / threads * 8, w0 = wl * t / threads * 8;
                sums[t] = detail::stream_slice(src.data() + r0, rl * (t + 1) / threads * 8 - r0,
                                               dst.data() + w0, wl * (t + 1) / threads * 8 - w0);
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
