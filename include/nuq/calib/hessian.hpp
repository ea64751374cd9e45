#pragma once
// hessian: what GPTQ learns about one Linear layer's inputs, H = Σ 2·XᵀX / n over the
// calibration pass, accumulated in fp32 as llm-compressor does (docs/ALGORITHMS.md §4.3). n counts
// sequences, not tokens, so H is the mean over sequences of each sequence's token sum.
#include <cstdint>
#include <string>

#include <xtensor-blas/xblas.hpp>
#include <xtensor/xtensor.hpp>

#include "nuq/error.hpp"

namespace nuq::calib {

class hessian {
public:
    explicit hessian(std::int64_t cols)
        : sum_(xt::zeros<float>({static_cast<std::size_t>(cols), static_cast<std::size_t>(cols)})),
          cols_(cols) {}

    /// Adds 2·XᵀX for x, `rows` × cols row-major fp32 inputs (every token of the call, padding
    /// included) that make up `samples` sequences. One BLAS syrk: only the upper triangle is
    /// accumulated, which halves the work; average() mirrors it.
    void add(float const* x, std::int64_t rows, std::int64_t samples) {
        if (rows > 0) {
            using idx = xt::blas_index_t;
            cxxblas::syrk<idx>(cxxblas::StorageOrder::RowMajor, cxxblas::StorageUpLo::Upper,
                               cxxblas::Transpose::Trans, static_cast<idx>(cols_),
                               static_cast<idx>(rows), 2.0f, x, static_cast<idx>(cols_), 1.0f,
                               sum_.data(), static_cast<idx>(cols_));
        }
        samples_ += samples;
    }

    [[nodiscard]] std::int64_t samples() const { return samples_; }
    [[nodiscard]] std::int64_t cols() const { return cols_; }

    /// H_sum / n, symmetric, fp32 [cols, cols]: what GPTQ quantizes with.
    /// @param where the layer, for the error raised when no sample was added
    [[nodiscard]] xt::xtensor<float, 2> average(std::string const& where = {}) const {
        if (samples_ <= 0)
            throw error("calib.hessian_empty", where, "a Hessian of no calibration samples",
                        "at least one sequence through this layer",
                        "calibrate on more samples, or leave this layer out of GPTQ's targets");
        auto const n = static_cast<float>(samples_);
        xt::xtensor<float, 2> h = xt::empty<float>(sum_.shape());
        auto const c = static_cast<std::size_t>(cols_);
        for (std::size_t i = 0; i < c; ++i)
            for (std::size_t j = i; j < c; ++j) h(i, j) = h(j, i) = sum_(i, j) / n;
        return h;
    }

private:
    xt::xtensor<float, 2> sum_; ///< Σ 2·XᵀX, upper triangle (row-major) only
    std::int64_t cols_ = 0;
    std::int64_t samples_ = 0;
};

} // namespace nuq::calib
