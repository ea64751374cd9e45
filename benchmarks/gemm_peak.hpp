#pragma once
// This machine's fp32 GEMM speed through the BLAS nuq links (OpenBLAS, its own threads),
// measured in the same run as the benchmarks, so that a compute-bound kernel's GFLOP/s can be
// printed next to the peak it cannot beat (the machine is shared and its speed varies from run
// to run).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include <xtensor-blas/xblas.hpp>

namespace nuq::bench {

/// Floating-point operations per second of C = A·B for n × n fp32 matrices (2n³ per product),
/// best of `runs`, after one untimed product.
inline double sgemm_flops(std::int64_t n = 2048, int runs = 3) {
    auto const size = static_cast<std::size_t>(n * n);
    std::vector<float> a(size), b(size), c(size);
    for (std::size_t i = 0; i < size; ++i) {
        a[i] = static_cast<float>(i % 7) - 3.0f;
        b[i] = static_cast<float>(i % 5) - 2.0f;
    }
    using idx = xt::blas_index_t;
    auto const m = static_cast<idx>(n);
    auto product = [&] {
        cxxblas::gemm<idx>(cxxblas::StorageOrder::RowMajor, cxxblas::Transpose::NoTrans,
                           cxxblas::Transpose::NoTrans, m, m, m, 1.0f, a.data(), m, b.data(), m,
                           0.0f, c.data(), m);
    };
    product();
    double best = 0;
    for (int i = 0; i < runs; ++i) {
        auto const t0 = std::chrono::steady_clock::now();
        product();
        std::chrono::duration<double> const dt = std::chrono::steady_clock::now() - t0;
        best = std::max(best, 2.0 * static_cast<double>(n) * static_cast<double>(n) *
                                  static_cast<double>(n) / dt.count());
    }
    return best;
}

} // namespace nuq::bench
