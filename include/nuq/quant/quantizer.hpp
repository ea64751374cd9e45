#pragma once
// quantizer<Scheme, Strategy>: qparams from min/max, quantize and dequantize one weight
// [rows, cols] exactly as compressed-tensors does with llm-compressor's memoryless min-max
// weight observer.
#include <algorithm>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "nuq/detail/parallel.hpp"
#include "nuq/error.hpp"
#include "nuq/kernels/invoke.hpp"
#include "nuq/kernels/minmax_row.hpp"
#include "nuq/quant/scheme_kernels.hpp"
#include "nuq/numeric/rounding.hpp"
#include "nuq/kernels/quantize_ref.hpp"
#include "nuq/quant/quantize_options.hpp"
#include "nuq/quant/quantized_weight.hpp"
#include "nuq/quant/strategy.hpp"
#include "nuq/numeric/unit_params.hpp"
#include "nuq/quant/weight_view.hpp"

namespace nuq {

namespace detail {
/// Rows per unit of parallel work: whole blocks for block strategies, else about 64 KiB.
inline std::int64_t chunk_rows(std::int64_t cols, std::size_t elem_size, std::int64_t block) {
    if (block > 0) return block;
    return std::max<std::int64_t>(1, 65536 / std::max<std::int64_t>(1, cols * static_cast<std::int64_t>(elem_size)));
}
} // namespace detail

/// NaN-propagating min and max of a weight in D, each folded with 0, in one parallel pass.
template <weight_element D>
std::pair<float, float> minmax(weight_view<D> w, int threads = 0) {
    std::int64_t const rows = detail::chunk_rows(w.cols, sizeof(D), 0);
    std::int64_t const chunks = (w.rows + rows - 1) / rows;
    std::vector<float> mn(static_cast<std::size_t>(chunks), 0.0f), mx(mn);
    nuq::detail::parallel_for(chunks, threads, [&](std::int64_t i) {
        std::int64_t const r0 = i * rows, r1 = std::min(w.rows, r0 + rows);
        auto const k = static_cast<std::size_t>(i);
        std::int64_t const n = (r1 - r0) * w.cols;
        kernels::invoke<kernels::minmax_row<D>>(w.row(r0), n, n, &mn[k], &mx[k]);
    });
    float a = 0, b = 0;
    for (std::size_t k = 0; k < mn.size(); ++k) a = nan_min(a, mn[k]), b = nan_max(b, mx[k]);
    return {a, b};
}

/// Absolute maximum of a weight in D (NaN propagates), as the global-scale observer sees it.
template <weight_element D>
float absmax(weight_view<D> w, int threads = 0) {
    auto const [mn, mx] = minmax(w, threads);
    return nan_max(0.0f, nan_max(-mn, mx));
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
    static constexpr bool is_tensor = Strategy::kind == quant_strategy::tensor;
    static constexpr bool is_block = Strategy::kind == quant_strategy::block;

public:
    using scheme_type = Scheme;
    using strategy_type = Strategy;

    quantizer() = default;
    explicit quantizer(Strategy s) : strategy_(s) {}
    [[nodiscard]] Strategy const& strategy() const { return strategy_; }

    /// Quantizes w: qparams in the returned value, codes handed to sink(r0, r1, codes) one
    /// chunk of rows [r0, r1) at a time (row-major, (r1-r0)·cols bytes). Chunks may arrive
    /// on several threads at once and in any order; each row arrives exactly once.
    template <weight_element D, class Sink>
    quantized_weight quantize_rows(weight_view<D> w, quantize_options const& o, Sink&& sink) const {
        strategy_.check(w.rows, w.cols, o.where);
        quantized_weight q;
        q.rows = w.rows;
        q.cols = w.cols;
        q.weight_type = dtype_of<D>();
        q.strategy = Strategy::kind;
        q.scale_storage = Scheme::scale_storage;
        q.scale_shape = strategy_.scale_shape(w.rows, w.cols);
        std::int64_t units = 1;
        for (auto d : q.scale_shape) units *= d;
        quantized_weight const* fixed = o.qparams;
        if (fixed) {
            check_fixed(*fixed, q, units, o.where);
            q.g_idx = fixed->g_idx;
        } else {
            q.g_idx.assign(o.g_idx.begin(), o.g_idx.end());
        }
        std::int32_t const* gi = q.g_idx.empty() ? nullptr : q.g_idx.data();
        if (gi) check_g_idx(q, o.where);

        if (fixed) {
            q.scales = fixed->scales;
            q.zero_points = fixed->zero_points;
            q.global_scale = fixed->global_scale;
        } else {
            q.scales.resize(static_cast<std::size_t>(units));
            if constexpr (!Scheme::symmetric) q.zero_points.resize(q.scales.size());
            if constexpr (Scheme::uses_global_scale)
                q.global_scale = o.global_scale ? *o.global_scale
                                 : Scheme::template global_scale<D>(absmax(w, o.threads));
        }
        // qparams of unit u, recorded in q
        auto params_of = [&](std::size_t u, float mn, float mx) {
            unit_params const p = Scheme::template params<D>(mn, mx, q.global_scale.value_or(1.0f));
            q.scales[u] = p.scale;
            if constexpr (!Scheme::symmetric) q.zero_points[u] = p.zero_point;
            return p;
        };
        unit_params tensor_params;
        if constexpr (is_tensor) {
            if (fixed) {
                tensor_params = stored_params(q, 0);
            } else {
                auto [mn, mx] = minmax(w, o.threads);
                if constexpr (Scheme::symmetric) { // the observer's symmetric view: ±absmax
                    float const a = nan_max(0.0f, nan_max(-mn, mx));
                    mn = -a, mx = a;
                }
                tensor_params = params_of(0, mn, mx);
            }
        }

        std::int64_t block_rows = 0;
        if constexpr (is_block) block_rows = strategy_.rows;
        std::int64_t const rows = detail::chunk_rows(w.cols, sizeof(D), block_rows);
        std::int64_t const chunks = (w.rows + rows - 1) / rows;
        nuq::detail::parallel_for(chunks, o.threads, [&](std::int64_t i) {
            std::int64_t const r0 = i * rows, r1 = std::min(w.rows, r0 + rows);
            // the params of this chunk's units [base, ...) only: they stay in cache
            thread_local std::vector<unit_params> local;
            unit_params const* params = &tensor_params;
            std::int64_t base = 0;
            if constexpr (!is_tensor) {
                base = fixed ? stored_rows(q, r0, r1, local)
                             : observe_rows(w, r0, r1, gi, params_of, local);
                params = local.data();
            }
            thread_local std::vector<std::uint8_t> codes;
            codes.resize(static_cast<std::size_t>((r1 - r0) * w.cols));
            for (std::int64_t r = r0; r < r1; ++r)
                quantize_row(w, r, gi, params, base, codes.data() + (r - r0) * w.cols);
            sink(r0, r1, codes.data());
        });
        return q;
    }

    /// Quantizes w, keeping every code in the result.
    template <weight_element D>
    [[nodiscard]] quantized_weight quantize(weight_view<D> w, quantize_options const& o = {}) const {
        std::vector<std::uint8_t> codes(static_cast<std::size_t>(w.rows * w.cols));
        auto q = quantize_rows(w, o, [&](std::int64_t r0, std::int64_t r1, std::uint8_t const* c) {
            std::copy(c, c + (r1 - r0) * w.cols, codes.begin() + r0 * w.cols);
        });
        q.codes = std::move(codes);
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

    /// The params of unit u as q stores them (what params() gave when q was quantized).
    [[nodiscard]] static unit_params stored_params(quantized_weight const& q, std::size_t u) {
        unit_params p;
        p.scale = q.scales[u];
        p.zero_point = q.zero_points.empty() ? 0.0f : q.zero_points[u];
        p.divisor = Scheme::uses_global_scale ? p.scale / q.global_scale.value_or(1.0f) : p.scale;
        return p;
    }

private:
    void check_g_idx(quantized_weight const& q, std::string const& where) const {
        std::int64_t const groups = q.scale_shape.size() == 2 ? q.scale_shape[1] : 0;
        if (static_cast<std::int64_t>(q.g_idx.size()) != q.cols || groups == 0)
            throw error("quant.g_idx", where, "g_idx has " + std::to_string(q.g_idx.size()) +
                        " entries", std::to_string(q.cols) + " (one per column, group strategy)");
        for (auto g : q.g_idx)
            if (g < 0 || g >= groups)
                throw error("quant.g_idx", where, "g_idx holds group " + std::to_string(g),
                            "0 ≤ g < " + std::to_string(groups));
    }

    /// Fixed qparams must be this quantizer's, for a weight of this shape.
    static void check_fixed(quantized_weight const& f, quantized_weight const& q,
                            std::int64_t units, std::string const& where) {
        auto const n = static_cast<std::size_t>(units);
        bool const ok = f.rows == q.rows && f.cols == q.cols && f.strategy == q.strategy &&
                        f.scale_storage == q.scale_storage && f.scale_shape == q.scale_shape &&
                        f.scales.size() == n &&
                        f.zero_points.size() == (Scheme::symmetric ? 0 : n) &&
                        f.global_scale.has_value() == Scheme::uses_global_scale;
        if (!ok)
            throw error("quant.fixed_qparams", where,
                        "fixed qparams for a " + std::to_string(f.rows) + "x" +
                            std::to_string(f.cols) + " weight with " +
                            std::to_string(f.scales.size()) + " scales",
                        "the qparams this quantizer gives a " + std::to_string(q.rows) + "x" +
                            std::to_string(q.cols) + " weight (" + std::to_string(units) +
                            " scales" + (Scheme::symmetric ? "" : " and zero points") +
                            (Scheme::uses_global_scale ? ", a global scale" : "") + ")",
                        "pass the qparams computed for this weight with these quant args");
    }

    /// The units of rows [r0, r1): one contiguous range (also with activation order), as
    /// {first, count}.
    std::pair<std::int64_t, std::int64_t> unit_range(std::int64_t r0, std::int64_t r1,
                                                     std::int64_t cols) const {
        std::int64_t const base = strategy_.unit(r0, 0, cols, nullptr);
        return {base, strategy_.unit(r1 - 1, cols - 1, cols, nullptr) - base + 1};
    }

    /// The stored params of the units of rows [r0, r1): unit base + u in params[u]. Returns base.
    std::int64_t stored_rows(quantized_weight const& q, std::int64_t r0, std::int64_t r1,
                             std::vector<unit_params>& params) const {
        auto const [base, n] = unit_range(r0, r1, q.cols);
        params.resize(static_cast<std::size_t>(n));
        for (std::size_t u = 0; u < params.size(); ++u)
            params[u] = stored_params(q, static_cast<std::size_t>(base) + u);
        return base;
    }

    /// Min/max of the units of rows [r0, r1), which no other rows touch (channel, group,
    /// tensor_group, and block when [r0, r1) is one row of blocks), then their qparams: unit
    /// base + u in params[u]. Returns base.
    template <weight_element D, class ParamsOf>
    std::int64_t observe_rows(weight_view<D> w, std::int64_t r0, std::int64_t r1,
                              std::int32_t const* gi, ParamsOf& params_of,
                              std::vector<unit_params>& params) const {
        auto const [base, n] = unit_range(r0, r1, w.cols);
        std::vector<float> mn(static_cast<std::size_t>(n), 0.0f), mx(mn);
        for (std::int64_t r = r0; r < r1; ++r) {
            D const* x = w.row(r);
            if (gi) {
                for (std::int64_t c = 0; c < w.cols; ++c) {
                    auto const u = static_cast<std::size_t>(strategy_.unit(r, c, w.cols, gi) - base);
                    kernels::minmax_ref(x + c, 1, mn[u], mx[u]);
                }
                continue;
            }
            // the units of a row are consecutive, one per run
            auto const u = static_cast<std::size_t>(strategy_.unit(r, 0, w.cols, nullptr) - base);
            kernels::invoke<kernels::minmax_row<D>>(x, w.cols, strategy_.run_length(w.cols),
                                                    mn.data() + u, mx.data() + u);
        }
        params.resize(mn.size());
        for (std::size_t u = 0; u < mn.size(); ++u)
            params[u] = params_of(static_cast<std::size_t>(base) + u, mn[u], mx[u]);
        return base;
    }

    /// Codes of row r; unit u has params[u - base].
    template <weight_element D>
    void quantize_row(weight_view<D> w, std::int64_t r, std::int32_t const* gi,
                      unit_params const* params, std::int64_t base, std::uint8_t* out) const {
        D const* x = w.row(r);
        if (gi) {
            for (std::int64_t c = 0; c < w.cols; ++c)
                kernels::quantize_ref<Scheme>(
                    x + c, 1, params[strategy_.unit(r, c, w.cols, gi) - base], out + c);
            return;
        }
        kernels::quantize_runs<Scheme>(x, w.cols, strategy_.run_length(w.cols),
                                       params + (strategy_.unit(r, 0, w.cols, nullptr) - base),
                                       out);
    }

    template <weight_element S>
    std::vector<float> dequantize_as(quantized_weight const& q) const {
        std::int32_t const* gi = q.g_idx.empty() ? nullptr : q.g_idx.data();
        std::vector<float> out(static_cast<std::size_t>(q.rows * q.cols));
        for (std::int64_t r = 0; r < q.rows; ++r)
            for (std::int64_t c = 0; c < q.cols; ++c) {
                auto const u = static_cast<std::size_t>(strategy_.unit(r, c, q.cols, gi));
                auto const i = static_cast<std::size_t>(r * q.cols + c);
                out[i] = Scheme::template dequantize<S>(q.codes[i], stored_params(q, u));
            }
        return out;
    }

    Strategy strategy_{};
};

} // namespace nuq
