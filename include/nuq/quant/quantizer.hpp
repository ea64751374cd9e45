#pragma once
// quantizer<Scheme, Strategy>: qparams from min/max, quantize and dequantize one weight
// [rows, cols] exactly as compressed-tensors does with llm-compressor's memoryless min-max
// weight observer.
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "nuq/error.hpp"
#include "nuq/numeric/rounding.hpp"
#include "nuq/quant/quantized_weight.hpp"
#include "nuq/quant/strategy.hpp"
#include "nuq/quant/unit_params.hpp"

namespace nuq {

/// A row-major weight [rows, cols] of element type D.
template <weight_element D>
struct weight_view {
    std::span<D const> data;
    std::int64_t rows = 0, cols = 0;
};

/// Per-call inputs besides the weight.
struct quantize_options {
    std::optional<float> global_scale; ///< NVFP4: a scale shared by fused siblings
    std::span<std::int32_t const> g_idx; ///< activation order: group of each column
    std::string where;                  ///< tensor name, for error messages
};

/// Absolute maximum of a weight in D (NaN propagates), as the global-scale observer sees it.
template <weight_element D>
float absmax(weight_view<D> w) {
    float mn = 0, mx = 0;
    for (D v : w.data) {
        float const f = to_float(v);
        mn = nan_min(mn, f);
        mx = nan_max(mx, f);
    }
    return nan_max(-mn, mx);
}

/// Which scheme × strategy pairs exist.
template <class Scheme, class Strategy>
inline constexpr bool valid_combination =
    Scheme::uses_global_scale ? Strategy::kind == quant_strategy::tensor_group
    : Scheme::scale_storage == scale_encoding::ue8m0
        ? Strategy::kind == quant_strategy::group
        : Strategy::kind != quant_strategy::tensor_group;

template <class Scheme, class Strategy>
class quantizer {
    static_assert(valid_combination<Scheme, Strategy>,
                  "This scheme cannot be combined with this strategy: NVFP4 needs tensor_group "
                  "(groups of 16 under a global scale), MXFP4/MXFP8 need group (groups of 32), "
                  "and int and fp8 schemes take tensor, channel, group or block.");

public:
    using scheme_type = Scheme;
    using strategy_type = Strategy;

    quantizer() = default;
    explicit quantizer(Strategy s) : strategy_(s) {}
    [[nodiscard]] Strategy const& strategy() const { return strategy_; }

    template <weight_element D>
    [[nodiscard]] quantized_weight quantize(weight_view<D> w, quantize_options const& o = {}) const {
        strategy_.check(w.rows, w.cols, o.where);
        quantized_weight q;
        q.rows = w.rows;
        q.cols = w.cols;
        q.weight_type = dtype_of<D>();
        q.strategy = Strategy::kind;
        q.scale_storage = Scheme::scale_storage;
        q.scale_shape = strategy_.scale_shape(w.rows, w.cols);
        q.g_idx.assign(o.g_idx.begin(), o.g_idx.end());
        std::int32_t const* gi = q.g_idx.empty() ? nullptr : q.g_idx.data();

        std::int64_t units = 1;
        for (auto d : q.scale_shape) units *= d;
        std::vector<float> mn(static_cast<std::size_t>(units), 0.0f);
        std::vector<float> mx(static_cast<std::size_t>(units), 0.0f);
        // min/max per unit; starting from 0 is exact because the qparams clamp to include 0
        for (std::int64_t r = 0; r < w.rows; ++r)
            for (std::int64_t c = 0; c < w.cols; ++c) {
                auto const u = static_cast<std::size_t>(strategy_.unit(r, c, w.cols, gi));
                float const f = to_float(w.data[static_cast<std::size_t>(r * w.cols + c)]);
                mn[u] = nan_min(mn[u], f);
                mx[u] = nan_max(mx[u], f);
            }

        float gs = 1;
        if constexpr (Scheme::uses_global_scale) {
            gs = o.global_scale ? *o.global_scale : Scheme::template global_scale<D>(absmax(w));
            q.global_scale = gs;
        }
        std::vector<unit_params> params(static_cast<std::size_t>(units));
        q.scales.resize(params.size());
        if constexpr (!Scheme::symmetric) q.zero_points.resize(params.size());
        for (std::size_t u = 0; u < params.size(); ++u) {
            params[u] = Scheme::template params<D>(mn[u], mx[u], gs);
            q.scales[u] = params[u].scale;
            if constexpr (!Scheme::symmetric) q.zero_points[u] = params[u].zero_point;
        }

        q.codes.resize(static_cast<std::size_t>(w.rows * w.cols));
        for (std::int64_t r = 0; r < w.rows; ++r)
            for (std::int64_t c = 0; c < w.cols; ++c) {
                auto const i = static_cast<std::size_t>(r * w.cols + c);
                auto const u = static_cast<std::size_t>(strategy_.unit(r, c, w.cols, gi));
                q.codes[i] = Scheme::template quantize<D>(to_float(w.data[i]), params[u]);
            }
        return q;
    }

    /// The dtype decompressed values have: the scale's dtype for int and fp8 schemes, bf16 for
    /// NVFP4 and MX.
    [[nodiscard]] static dtype output_dtype(quantized_weight const& q) {
        return Scheme::scale_storage == scale_encoding::weight_dtype ? q.weight_type
                                                                     : dtype::bfloat16;
    }

    /// Dense values of q (codes and qparams as stored), each exact in output_dtype(q).
    [[nodiscard]] std::vector<float> dequantize(quantized_weight const& q) const {
        switch (output_dtype(q)) {
        case dtype::bfloat16: return dequantize_as<bfloat16_t>(q);
        case dtype::float16: return dequantize_as<float16_t>(q);
        case dtype::float32: return dequantize_as<float>(q);
        default:
            throw error("quant.scale_dtype", "", "scales of dtype " +
                        std::string(torch_name(q.weight_type)) + " cannot be dequantized",
                        "bfloat16, float16 or float32");
        }
    }

private:
    template <weight_element S>
    std::vector<float> dequantize_as(quantized_weight const& q) const {
        std::int32_t const* gi = q.g_idx.empty() ? nullptr : q.g_idx.data();
        float const gs = q.global_scale.value_or(1.0f);
        std::vector<float> out(static_cast<std::size_t>(q.rows * q.cols));
        for (std::int64_t r = 0; r < q.rows; ++r)
            for (std::int64_t c = 0; c < q.cols; ++c) {
                auto const u = static_cast<std::size_t>(strategy_.unit(r, c, q.cols, gi));
                unit_params p;
                p.scale = q.scales[u];
                p.zero_point = q.zero_points.empty() ? 0.0f : q.zero_points[u];
                p.divisor = Scheme::uses_global_scale ? p.scale / gs : p.scale;
                auto const i = static_cast<std::size_t>(r * q.cols + c);
                out[i] = Scheme::template dequantize<S>(q.codes[i], p);
            }
        return out;
    }

    Strategy strategy_{};
};

} // namespace nuq
