#pragma once
// The bodies of gptq_ops<Q> (gptq_ops.hpp): GPTQ with one quantizer type.
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include <xtensor-blas/xblas.hpp>
#include <xtensor/xtensor.hpp>

#include "nuq/calib/gptq.hpp"
#include "nuq/calib/gptq_ops.hpp"
#include "nuq/calib/inverse_factor.hpp"
#include "nuq/detail/parallel.hpp"
#include "nuq/error.hpp"
#include "nuq/numeric/float4_e2m1.hpp"
#include "nuq/quant/quantizer.hpp"

namespace nuq::calib {

namespace detail {

/// The reference's fake-quantize of one fp32 working value (docs/ALGORITHMS.md §4.6).
template <class Scheme, weight_element D>
float fake_quantize(float x, unit_params const& p) {
    std::uint8_t const code = Scheme::template quantize<float>(x, p);
    if constexpr (Scheme::uses_global_scale) return float_e2m1_t::decode(code) * p.divisor;
    else return Scheme::template dequantize<D>(code, p);
}

/// Column order: stable descending diag(H) with actorder (NaN first, as torch sorts it),
/// else the identity.
inline std::vector<std::int64_t> column_order(xt::xtensor<float, 2> const& h, actorder_mode a) {
    std::vector<std::int64_t> perm(h.shape(0));
    std::iota(perm.begin(), perm.end(), 0);
    if (a == actorder_mode::none) return perm;
    std::stable_sort(perm.begin(), perm.end(), [&](std::int64_t i, std::int64_t j) {
        float const x = h(i, i), y = h(j, j);
        return (x != x && y == y) || x > y;
    });
    return perm;
}

template <class Scheme, class Strategy, weight_element D>
gptq_result run(quantizer<Scheme, Strategy> const& qz, weight_view<D> w, xt::xtensor<float, 2> h,
                quant_args const& args, gptq_options const& o) {
    constexpr bool grouped = Strategy::kind == quant_strategy::group ||
                             Strategy::kind == quant_strategy::tensor_group;
    std::int64_t const rows = w.rows, cols = w.cols;
    actorder_mode const order = args.actorder;
    if (order == actorder_mode::group && !grouped)
        throw error("calib.actorder", o.where,
                    "actorder group with strategy " + std::string(Strategy::name),
                    "strategy group or tensor_group", "use actorder weight (or none)");

    // 2. permutation, from the averaged H before dead columns and dampening
    std::vector<std::int64_t> const perm = column_order(h, order);
    auto const n = static_cast<std::size_t>(cols);

    // 3-5. qparams, once, from the un-updated weight: with actorder group from the permuted
    // weight, so that groups are runs of permuted columns
    gptq_result res;
    quantize_options qo;
    qo.global_scale = o.global_scale;
    qo.where = o.where;
    qo.threads = o.threads;
    auto const no_codes = [](std::int64_t, std::int64_t, std::uint8_t const*) {};
    std::vector<D> permuted;
    if (order == actorder_mode::group) {
        permuted.resize(w.data.size());
        for (std::int64_t r = 0; r < rows; ++r)
            for (std::size_t j = 0; j < n; ++j) permuted[r * cols + j] = w.row(r)[perm[j]];
        res.qparams = qz.quantize_rows(weight_view<D>{permuted, rows, cols}, qo, no_codes);
    } else {
        res.qparams = qz.quantize_rows(w, qo, no_codes);
    }
    std::vector<unit_params> params(res.qparams.scales.size());
    for (std::size_t u = 0; u < params.size(); ++u)
        params[u] = quantizer<Scheme, Strategy>::stored_params(res.qparams, u);
    // the qparams' column of each working column: its original one (actorder weight keeps the
    // original groups), or its own (actorder group, none)
    std::vector<std::int64_t> unit_col(n);
    for (std::size_t j = 0; j < n; ++j)
        unit_col[j] = order == actorder_mode::weight ? perm[j] : static_cast<std::int64_t>(j);

    // the fp32 working weight and H, permuted
    std::vector<float> wk(static_cast<std::size_t>(rows * cols));
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::size_t j = 0; j < n; ++j) wk[r * cols + j] = to_float(w.row(r)[perm[j]]);
    if (order != actorder_mode::none) {
        xt::xtensor<float, 2> hp = xt::empty<float>(h.shape());
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < n; ++j) hp(i, j) = h(perm[i], perm[j]);
        h = std::move(hp);
    }

    // 6. dead columns (no input energy): zero weight, unit diagonal
    for (std::size_t j = 0; j < n; ++j)
        if (h(j, j) == 0) {
            h(j, j) = 1;
            for (std::int64_t r = 0; r < rows; ++r) wk[r * cols + j] = 0;
        }
    // 7. dampening, relative to the mean diagonal
    double mean = 0;
    for (std::size_t j = 0; j < n; ++j) mean += h(j, j);
    auto const damp = static_cast<float>(o.dampening_frac * mean / static_cast<double>(n));
    for (std::size_t j = 0; j < n; ++j) h(j, j) += damp;

    // 8. U; on failure the reference falls back to U = I: RTN with the fixed qparams
    if (auto const s = inverse_factor(h); !s.ok) {
        h = xt::eye<float>(n);
        res.fell_back = true;
        res.warning = error("calib.gptq_fallback", o.where,
                            s.failure + "; GPTQ degraded to round-to-nearest with the "
                                        "precomputed qparams (no error feedback)",
                            "a positive definite Hessian",
                            "raise dampening_frac (now " + std::to_string(o.dampening_frac) +
                                "), calibrate on more samples, or shuffle the calibration set")
                          .what();
    }
    float const* u = h.data();

    // 9. block loop
    std::int64_t const bs = o.block_size;
    std::vector<float> err(static_cast<std::size_t>(rows * bs));
    std::vector<double> row_loss(static_cast<std::size_t>(rows), 0.0);
    std::int64_t const chunk = 16; // rows per task: Err and the block of W stay in L1/L2
    for (std::int64_t i1 = 0; i1 < cols; i1 += bs) {
        std::int64_t const i2 = std::min(i1 + bs, cols);
        nuq::detail::parallel_for((rows + chunk - 1) / chunk, o.threads, [&](std::int64_t t) {
            for (std::int64_t r = t * chunk; r < std::min(rows, (t + 1) * chunk); ++r) {
                float* x = wk.data() + r * cols;
                float* e = err.data() + r * bs;
                double loss = 0;
                for (std::int64_t c = i1; c < i2; ++c) {
                    float const d = u[c * cols + c];
                    auto const unit = static_cast<std::size_t>(
                        qz.strategy().unit(r, unit_col[static_cast<std::size_t>(c)], cols, nullptr));
                    float const q = fake_quantize<Scheme, D>(x[c], params[unit]);
                    float const diff = x[c] - q;
                    loss += diff * diff / (d * d);
                    float const ec = diff / d;
                    x[c] = q;
                    float const* uc = u + c * cols;
                    for (std::int64_t j = c + 1; j < i2; ++j) x[j] -= ec * uc[j];
                    e[c - i1] = ec;
                }
                row_loss[static_cast<std::size_t>(r)] += loss / 2;
            }
        });
        if (i2 == cols) break;
        // the lazy batch update: W[:, i2:] -= Err · U[i1:i2, i2:]
        using idx = xt::blas_index_t;
        cxxblas::gemm<idx>(cxxblas::StorageOrder::RowMajor, cxxblas::Transpose::NoTrans,
                           cxxblas::Transpose::NoTrans, static_cast<idx>(rows),
                           static_cast<idx>(cols - i2), static_cast<idx>(i2 - i1), -1.0f,
                           err.data(), static_cast<idx>(bs), u + i1 * cols + i2,
                           static_cast<idx>(cols), 1.0f, wk.data() + i2, static_cast<idx>(cols));
    }

    // 10-11. original column order, values in D; group actorder's g_idx per original column
    res.weight.resize(wk.size());
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::size_t j = 0; j < n; ++j)
            res.weight[r * cols + perm[j]] = round_to<D>(wk[r * cols + j]);
    if constexpr (grouped) {
        if (order == actorder_mode::group) {
            res.qparams.g_idx.resize(n);
            for (std::size_t j = 0; j < n; ++j)
                res.qparams.g_idx[perm[j]] = static_cast<std::int32_t>(j / qz.strategy().size);
        }
    }
    // the reference stores the global scale cast to D (a no-op for one computed from D)
    if (res.qparams.global_scale) res.qparams.global_scale = round_to<D>(*res.qparams.global_scale);
    for (double l : row_loss) res.loss += l;
    return res;
}

} // namespace detail

template <class Q>
gptq_result gptq_ops<Q>::run(Q const& q, weight_view<bfloat16_t> w, xt::xtensor<float, 2> h,
                             quant_args const& a, gptq_options const& o) {
    return detail::run(q, w, std::move(h), a, o);
}
template <class Q>
gptq_result gptq_ops<Q>::run(Q const& q, weight_view<float16_t> w, xt::xtensor<float, 2> h,
                             quant_args const& a, gptq_options const& o) {
    return detail::run(q, w, std::move(h), a, o);
}
template <class Q>
gptq_result gptq_ops<Q>::run(Q const& q, weight_view<float> w, xt::xtensor<float, 2> h,
                             quant_args const& a, gptq_options const& o) {
    return detail::run(q, w, std::move(h), a, o);
}

} // namespace nuq::calib
