#pragma once
// activation_observer: the min/max statistics llm-compressor's input observers keep over the
// calibration calls of one Linear (docs/ALGORITHMS.md §2.1–§2.2, §2.7): per tensor (static
// activations) or per group of columns (NVFP4 "local" inputs), each call one calibration batch.
//   static_minmax      running min of the mins, max of the maxes
//   memoryless_minmax  the last call's (the default for a static input without `observer`)
//   minmax             moving average m ← m·(1−c) + m_new·c from the first call's (c = 0.01;
//                      the default for a hand-written "local" input)
// The reference observes activations in the model's dtype and averages in it, so every
// statistic is rounded to `stat_type` (bf16 for a bf16 model) as it would be there.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nuq/error.hpp"
#include "nuq/numeric/dtype.hpp"
#include "nuq/numeric/rounding.hpp"
#include "nuq/quant/quant_args.hpp"

namespace nuq::calib {

enum class observer_kind { static_minmax, memoryless_minmax, minmax };

/// The observer the reference gives an input arg: its `observer`, else memoryless_minmax for
/// static inputs and minmax for "local" ones.
inline observer_kind input_observer(quant_args const& a, std::string const& where) {
    auto const name = a.observer.value_or("");
    if (name.empty())
        return a.dynamic == dynamic_mode::local ? observer_kind::minmax
                                                : observer_kind::memoryless_minmax;
    if (name == "static_minmax") return observer_kind::static_minmax;
    if (name == "memoryless_minmax") return observer_kind::memoryless_minmax;
    if (name == "minmax") return observer_kind::minmax;
    throw error("calib.observer", where + ".observer", "observer \"" + name + "\"",
                "static_minmax, memoryless_minmax or minmax for input activations",
                "use one of these; the MSE observers are supported for weights only");
}

class activation_observer {
public:
    /// Statistics of inputs with `cols` columns, per group of `group_size` columns (0: one
    /// for the whole tensor).
    activation_observer(observer_kind kind, std::int64_t cols, std::int64_t group_size,
                        dtype stat_type, double averaging_constant = 0.01)
        : kind_(kind), cols_(cols), group_(group_size > 0 ? group_size : cols),
          type_(stat_type), c_(static_cast<float>(averaging_constant)),
          keep_(static_cast<float>(1.0 - averaging_constant)) {}

    /// One calibration call: `rows` input rows of the observed width.
    void observe(float const* x, std::int64_t rows, std::int64_t cols) {
        if (cols != cols_)
            throw error("calib.observer_width", "activation observer",
                        "inputs of width " + std::to_string(cols),
                        "width " + std::to_string(cols_), "observe the module it was made for");
        auto const groups = static_cast<std::size_t>((cols_ + group_ - 1) / group_);
        std::vector<float> mn(groups, 0.0f), mx(groups, 0.0f);
        std::vector<bool> seen(groups, false);
        for (std::int64_t r = 0; r < rows; ++r)
            for (std::int64_t j = 0; j < cols_; ++j) {
                auto const g = static_cast<std::size_t>(j / group_);
                float const v = x[r * cols_ + j];
                if (!seen[g]) mn[g] = mx[g] = v, seen[g] = true;
                mn[g] = nan_min(mn[g], v), mx[g] = nan_max(mx[g], v);
            }
        for (auto& v : mn) v = round(v);
        for (auto& v : mx) v = round(v);
        ++calls_;
        if (min_.empty() || kind_ == observer_kind::memoryless_minmax) {
            min_ = std::move(mn), max_ = std::move(mx);
            return;
        }
        for (std::size_t g = 0; g < groups; ++g) {
            if (kind_ == observer_kind::static_minmax) {
                min_[g] = nan_min(min_[g], mn[g]), max_[g] = nan_max(max_[g], mx[g]);
            } else {
                min_[g] = round(round(min_[g] * keep_) + round(mn[g] * c_));
                max_[g] = round(round(max_[g] * keep_) + round(mx[g] * c_));
            }
        }
    }

    [[nodiscard]] bool empty() const noexcept { return calls_ == 0; }
    [[nodiscard]] std::int64_t calls() const noexcept { return calls_; }
    [[nodiscard]] std::vector<float> const& min() const noexcept { return min_; }
    [[nodiscard]] std::vector<float> const& max() const noexcept { return max_; }

    /// max(−min(m, 0), max(M, 0)) over every group: what a tensor-wide scale is made from.
    [[nodiscard]] float absmax() const {
        float a = 0;
        for (std::size_t g = 0; g < min_.size(); ++g)
            a = nan_max(a, nan_max(-nan_min(min_[g], 0.0f), nan_max(max_[g], 0.0f)));
        return a;
    }

private:
    [[nodiscard]] float round(float v) const {
        switch (type_) {
        case dtype::bfloat16: return round_to<bfloat16_t>(v);
        case dtype::float16: return round_to<float16_t>(v);
        default: return v;
        }
    }

    observer_kind kind_;
    std::int64_t cols_, group_;
    dtype type_;
    float c_, keep_;
    std::int64_t calls_ = 0;
    std::vector<float> min_, max_;
};

} // namespace nuq::calib
