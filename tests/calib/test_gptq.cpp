// GPTQ (nuq/calib/gptq.hpp) and its Hessian: the Hessian against a naive 2·XᵀX/n; GPTQ against
// RTN when H is a multiple of the identity (no error feedback: the same values), against RTN
// on correlated inputs (a clearly smaller output error), against a plain unblocked
// re-implementation of the column loop; activation orders; the Cholesky fallback; and packing
// GPTQ's output with GPTQ's own qparams.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "nuq/calib/gptq.hpp"
#include "nuq/calib/hessian.hpp"
#include "nuq/calib/inverse_factor.hpp"
#include "nuq/format/packer.hpp"
#include "nuq/format/quantize_and_pack.hpp"
#include "nuq/quant/presets.hpp"
#include "nuq/quant/quantize.hpp"
#include "support/test_helpers.hpp"

namespace {

using nuq::bfloat16_t;
using nuq::calib::gptq_options;
using nuq::calib::gptq_quantize;
using nuq::calib::gptq_result;

constexpr std::int64_t rows = 64, cols = 128, tokens = 512;

/// Inputs with strongly correlated columns, as a layer's activations are: 16 latent factors
/// mixed into 128 columns, a little independent noise, and column magnitudes that vary (so
/// that activation order permutes the columns).
std::vector<float> correlated_inputs(std::uint32_t seed = 7) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    constexpr int latent = 16;
    std::vector<float> mix(latent * cols), x(tokens * cols);
    for (auto& m : mix) m = nd(rng);
    for (std::int64_t t = 0; t < tokens; ++t) {
        float z[latent];
        for (auto& v : z) v = nd(rng);
        for (std::int64_t c = 0; c < cols; ++c) {
            float v = 0.05f * nd(rng);
            for (int k = 0; k < latent; ++k) v += z[k] * mix[k * cols + c];
            x[t * cols + c] = v * (0.25f + static_cast<float>((c * 37) % 61) / 40.0f);
        }
    }
    return x;
}

/// The averaged Hessian of x, accumulated 64 tokens (one "sequence") at a time.
xt::xtensor<float, 2> hessian_of(std::vector<float> const& x) {
    nuq::calib::hessian h(cols);
    for (std::int64_t t = 0; t < tokens; t += 64) h.add(x.data() + t * cols, 64, 1);
    return h.average();
}

template <class D = bfloat16_t>
std::vector<D> random_weight(std::uint32_t seed = 3) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 0.02f);
    std::vector<D> w(rows * cols);
    for (auto& v : w) v = nuq::from_float<D>(nd(rng));
    w[5] = nuq::from_float<D>(0.09f); // an outlier
    return w;
}

template <class D>
nuq::weight_view<D> view(std::vector<D> const& w, std::int64_t r = rows, std::int64_t c = cols) {
    return {{w.data(), w.size()}, r, c};
}

/// w as the stored tensor the run-time functions (quant/quantize.hpp) take.
template <class D>
nuq::tensor_ref stored(std::vector<D> const& w, std::int64_t r = rows, std::int64_t c = cols) {
    return {nuq::dtype_of<D>(), {r, c}, std::as_bytes(std::span(w))};
}

nuq::quant_args preset(std::string const& name, nuq::actorder_mode order = nuq::actorder_mode::none) {
    auto a = *nuq::preset_scheme(name, {"Linear"}).weights;
    if (a.strategy == nuq::quant_strategy::group && a.group_size == 128) a.group_size = 32;
    if (a.strategy == nuq::quant_strategy::block) a.block_structure = std::array<int, 2>{16, 32};
    a.actorder = order;
    return a;
}

/// RTN as the quantizer computes it: the dequantized values of its codes.
template <class D>
std::vector<float> rtn(nuq::quant_args const& a, std::vector<D> const& w,
                       std::int64_t r = rows, std::int64_t c = cols) {
    return nuq::fake_quantize(a, stored(w, r, c), {});
}

/// Σ over tokens and rows of ((W − Q)·xᵀ)², in double.
template <class D>
double output_error(std::vector<D> const& w, std::vector<float> const& q, std::vector<float> const& x) {
    double total = 0;
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t t = 0; t < tokens; ++t) {
            double s = 0;
            for (std::int64_t c = 0; c < cols; ++c)
                s += (static_cast<double>(nuq::to_float(w[r * cols + c])) - q[r * cols + c]) *
                     x[t * cols + c];
            total += s * s;
        }
    return total;
}

/// GPTQ's weight quantized again with GPTQ's qparams and dequantized: what a checkpoint
/// written from it decodes to.
template <class D>
std::vector<float> requantized(nuq::quant_args const& a, gptq_result const& g) {
    std::vector<D> w(g.weight.size());
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = nuq::from_float<D>(g.weight[i]);
    nuq::quantize_options o;
    o.qparams = &g.qparams;
    return nuq::fake_quantize(a, stored(w), o);
}

/// Stable descending order of diag(H), written plainly.
std::vector<std::int64_t> descending_diag(xt::xtensor<float, 2> const& h) {
    std::vector<std::int64_t> p(cols);
    std::iota(p.begin(), p.end(), 0);
    std::stable_sort(p.begin(), p.end(), [&](auto i, auto j) { return h(i, i) > h(j, j); });
    return p;
}

} // namespace

TEST_CASE("hessian: 2·XᵀX / sequences, symmetric", "[gptq][hessian]") {
    constexpr std::int64_t n = 10;
    std::mt19937 rng(1);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<float> x(37 * n);
    for (auto& v : x) v = nd(rng);
    nuq::calib::hessian h(n);
    h.add(x.data(), 10, 1);
    h.add(x.data() + 10 * n, 20, 2); // 2 sequences of 10 tokens
    h.add(x.data() + 30 * n, 7, 1);
    CHECK(h.samples() == 4);
    CHECK(h.cols() == n);
    auto const avg = h.average();
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t j = 0; j < n; ++j) {
            double s = 0;
            for (std::int64_t t = 0; t < 37; ++t) s += 2.0 * x[t * n + i] * x[t * n + j];
            CHECK(avg(i, j) == Approx(s / 4).epsilon(1e-5).margin(1e-5));
            CHECK(avg(i, j) == avg(j, i));
        }
    auto const e = nuq::test::error_of([] { (void)nuq::calib::hessian(4).average("layer"); });
    CHECK(e.id() == "calib.hessian_empty");
}

TEST_CASE("inverse_factor: upper triangular U with UᵀU = H⁻¹", "[gptq]") {
    auto h = hessian_of(correlated_inputs());
    double mean = 0;
    for (std::int64_t j = 0; j < cols; ++j) mean += h(j, j) / cols;
    for (std::int64_t j = 0; j < cols; ++j) h(j, j) += static_cast<float>(0.01 * mean);
    auto u = h;
    REQUIRE(nuq::calib::inverse_factor(u).ok);
    for (std::int64_t i = 0; i < cols; ++i) {
        CHECK(u(i, i) > 0);
        for (std::int64_t j = 0; j < i; ++j) CHECK(u(i, j) == 0);
    }
    // (UᵀU)·H = I
    std::vector<double> utu(cols * cols, 0.0);
    for (std::int64_t i = 0; i < cols; ++i)
        for (std::int64_t k = 0; k < cols; ++k)
            for (std::int64_t m = 0; m < cols; ++m) utu[i * cols + k] += double(u(m, i)) * u(m, k);
    double worst = 0;
    for (std::int64_t i = 0; i < cols; ++i)
        for (std::int64_t j = 0; j < cols; ++j) {
            double s = 0;
            for (std::int64_t k = 0; k < cols; ++k) s += utu[i * cols + k] * h(k, j);
            worst = std::max(worst, std::fabs(s - (i == j)));
        }
    CHECK(worst < 1e-3);
}

TEST_CASE("GPTQ with H = c·I and no actorder is RTN", "[gptq]") {
    xt::xtensor<float, 2> const h = 3.5f * xt::eye<float>(static_cast<std::size_t>(cols));
    gptq_options o;
    o.block_size = 48; // blocks that do not divide the columns
    SECTION("int and fp8 schemes, f32 weights: identical values and qparams") {
        // with f32 weights the loop's f32 division is the quantizer's
        auto const w = random_weight<float>();
        for (auto const* name : {"W4A16", "W4A16_ASYM", "W8A8", "W3A16", "FP8", "FP8_DYNAMIC",
                                 "FP8_BLOCK", "W8A16"}) {
            INFO(name);
            auto const a = preset(name);
            auto const g = gptq_quantize(view(w), h, a, o);
            CHECK_FALSE(g.fell_back);
            CHECK(g.warning.empty());
            CHECK(g.weight == rtn(a, w));
            auto const q = nuq::quantize(a, stored(w), {});
            CHECK(g.qparams.scales == q.scales);
            CHECK(g.qparams.zero_points == q.zero_points);
            CHECK(g.qparams.codes.empty());
        }
    }
    SECTION("NVFP4, bf16 weights: identical values, global scale from the weight") {
        auto const w = random_weight();
        auto const a = preset("NVFP4A16");
        auto const g = gptq_quantize(view(w), h, a, o);
        CHECK(g.weight == rtn(a, w));
        auto const q = nuq::quantize(a, stored(w), {});
        CHECK(g.qparams.global_scale == q.global_scale);
        CHECK(g.qparams.scales == q.scales);
        o.global_scale = 1000.0f; // a fused sibling's
        CHECK(gptq_quantize(view(w), h, a, o).qparams.global_scale == 1000.0f);
    }
    SECTION("int4, bf16 weights: the loop divides in f32, the quantizer in bf16") {
        // x / s rounded to bf16 first can round to the other integer: never more than one step
        auto const w = random_weight();
        auto const a = preset("W4A16");
        auto const g = gptq_quantize(view(w), h, a, o);
        auto const r = rtn(a, w);
        int differ = 0;
        for (std::int64_t i = 0; i < rows * cols; ++i) {
            float const s = g.qparams.scales[(i / cols) * (cols / 32) + (i % cols) / 32];
            if (g.weight[i] == r[i]) continue;
            ++differ;
            float const y = nuq::to_float(w[i]) / s;
            INFO("element " << i << " x/s " << y);
            CHECK(std::fabs(g.weight[i] - r[i]) == Approx(s).epsilon(0.05));
            CHECK(std::nearbyint(y) != std::nearbyint(nuq::round_to<bfloat16_t>(y)));
        }
        CHECK(differ < rows * cols / 20);
    }
}

TEST_CASE("GPTQ beats RTN on correlated inputs", "[gptq]") {
    auto const x = correlated_inputs();
    auto const h = hessian_of(x);
    auto const w = random_weight();
    for (auto const* name : {"W4A16", "W4A16_ASYM", "W8A8", "W3A16", "NVFP4A16", "FP8",
                             "FP8_DYNAMIC", "FP8_BLOCK", "MXFP4A16"}) {
        for (auto order : {nuq::actorder_mode::none, nuq::actorder_mode::weight}) {
            INFO(name << " actorder " << nuq::to_string(order));
            auto const a = preset(name, order);
            auto const g = gptq_quantize(view(w), h, a, gptq_options{});
            CHECK_FALSE(g.fell_back);
            double const e_gptq = output_error(w, g.weight, x), e_rtn = output_error(w, rtn(a, w), x);
            INFO("output error GPTQ " << e_gptq << " RTN " << e_rtn);
            CHECK(e_gptq < 0.5 * e_rtn);
            CHECK(g.loss > 0);
            // every value is on its unit's grid: quantizing it again with the same qparams
            // gives it back (int8 aside: see "packing GPTQ's output with its qparams")
            if (a.is_float() || a.num_bits < 8) CHECK(requantized<bfloat16_t>(a, g) == g.weight);
        }
    }
}

TEST_CASE("actorder weight: original groups, no g_idx, another valid result", "[gptq]") {
    auto const x = correlated_inputs();
    auto const h = hessian_of(x);
    auto const w = random_weight();
    auto const none = gptq_quantize(view(w), h, preset("W4A16"), gptq_options{});
    auto const a = preset("W4A16", nuq::actorder_mode::weight);
    auto const g = gptq_quantize(view(w), h, a, gptq_options{});
    CHECK(g.qparams.g_idx.empty());
    CHECK(g.qparams.scales == none.qparams.scales); // from the original weight, original groups
    CHECK(g.weight != none.weight);
    CHECK(requantized<bfloat16_t>(a, g) == g.weight);
    CHECK(output_error(w, g.weight, x) < 0.5 * output_error(w, rtn(a, w), x));
}

TEST_CASE("actorder group: groups of permuted columns, g_idx per original column", "[gptq]") {
    auto const x = correlated_inputs();
    auto const h = hessian_of(x);
    auto const w = random_weight();
    auto const a = preset("W4A16", nuq::actorder_mode::group);
    auto const g = gptq_quantize(view(w), h, a, gptq_options{});
    auto const perm = descending_diag(h);
    REQUIRE_FALSE(std::is_sorted(perm.begin(), perm.end())); // the test needs a permutation
    REQUIRE(g.qparams.g_idx.size() == static_cast<std::size_t>(cols));
    for (std::int64_t j = 0; j < cols; ++j) CHECK(g.qparams.g_idx[perm[j]] == j / 32);
    // the scales are those of the permuted weight's contiguous groups
    std::vector<bfloat16_t> permuted(w.size());
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t j = 0; j < cols; ++j) permuted[r * cols + j] = w[r * cols + perm[j]];
    auto const q = nuq::quantize(a, stored(permuted), {});
    CHECK(g.qparams.scales == q.scales);
    CHECK(requantized<bfloat16_t>(a, g) == g.weight); // valid with g_idx
    CHECK(g.weight != gptq_quantize(view(w), h, preset("W4A16", nuq::actorder_mode::weight),
                                    gptq_options{}).weight);
    CHECK(output_error(w, g.weight, x) < 0.5 * output_error(w, rtn(a, w), x));

    auto const e = nuq::test::error_of([&] {
        gptq_quantize(view(w), h, preset("W8A8", nuq::actorder_mode::group), gptq_options{});
    });
    CHECK(e.id() == "calib.actorder");
}

TEST_CASE("packing GPTQ's output with its qparams", "[gptq][pack]") {
    auto const x = correlated_inputs();
    auto const h = hessian_of(x);
    auto const w = random_weight();
    auto pack_unpack = [&](nuq::quant_args const& a, nuq::compression_format f, gptq_result const& g,
                           bool fixed) {
        std::vector<bfloat16_t> wd(g.weight.size());
        for (std::size_t i = 0; i < wd.size(); ++i) wd[i] = bfloat16_t(g.weight[i]);
        nuq::quantize_options o;
        if (fixed) o.qparams = &g.qparams;
        {
            {
                auto const packed = nuq::format::quantize_and_pack(f, a, stored(wd), o);
                nuq::format::tensor_lookup find = [&](std::string const& n) -> std::optional<nuq::tensor_ref> {
                    for (auto const& t : packed)
                        if (t.name == n) return nuq::tensor_ref(t);
                    return std::nullopt;
                };
                auto back = nuq::format::unpack(f, find, a, "layer");
                return std::pair{back, nuq::dequantize(a, back, "layer")};
            }
        }
    };
    SECTION("int4 and NVFP4: the checkpoint decodes to GPTQ's weight exactly") {
        for (auto [name, order, f] :
             {std::tuple{"W4A16", nuq::actorder_mode::weight, nuq::compression_format::pack_quantized},
              std::tuple{"W4A16", nuq::actorder_mode::group, nuq::compression_format::pack_quantized},
              std::tuple{"W4A16_ASYM", nuq::actorder_mode::none, nuq::compression_format::pack_quantized},
              std::tuple{"NVFP4A16", nuq::actorder_mode::weight,
                         nuq::compression_format::nvfp4_pack_quantized}}) {
            INFO(name << " actorder " << nuq::to_string(order));
            auto const a = preset(name, order);
            auto const g = gptq_quantize(view(w), h, a, gptq_options{});
            auto const [back, dense] = pack_unpack(a, f, g, true);
            CHECK(dense == g.weight);
            CHECK(back.scales == g.qparams.scales);
            CHECK(back.g_idx == g.qparams.g_idx);
            // re-observing the updated weight instead would store other scales
            CHECK(pack_unpack(a, f, g, false).first.scales != g.qparams.scales);
        }
    }
    SECTION("int8: re-quantizing the bf16 weight in bf16 moves a few codes by one (§4.5)") {
        // x/s ≥ 64 is rounded to a multiple of 0.5 in bf16 before round(), and a tie can land
        // one code away from the code GPTQ chose; the reference writes those codes too
        auto const a = preset("W8A8");
        auto const g = gptq_quantize(view(w), h, a, gptq_options{});
        auto const [back, dense] = pack_unpack(a, nuq::compression_format::pack_quantized, g, true);
        CHECK(back.scales == g.qparams.scales);
        int moved = 0;
        for (std::int64_t i = 0; i < rows * cols; ++i) {
            float const s = g.qparams.scales[i / cols];
            auto const chosen = static_cast<int>(std::lround(double(g.weight[i]) / s));
            auto const stored = static_cast<int>(static_cast<std::int8_t>(back.codes[i]));
            if (stored == chosen) continue;
            ++moved;
            INFO("element " << i << " code " << chosen << " stored " << stored);
            CHECK(std::abs(stored - chosen) == 1);
            CHECK(std::abs(chosen) >= 64);
        }
        CHECK(moved > 0); // on this data: 54 of 8192
        CHECK(moved < rows * cols / 20);
    }
}

TEST_CASE("a Hessian that is not positive definite falls back to RTN, with a warning", "[gptq]") {
    auto const w = random_weight<float>();
    auto const a = preset("W4A16");
    gptq_options o;
    o.where = "model.layers.3.mlp.down_proj";
    o.dampening_frac = 0;
    // all ones: positive semi-definite of rank 1; the second pivot is exactly 0
    auto const g = gptq_quantize(view(w), xt::ones<float>({cols, cols}), a, o);
    CHECK(g.fell_back);
    CHECK_THAT(g.warning, Catch::Contains(o.where) && Catch::Contains("Cholesky") &&
                              Catch::Contains("round-to-nearest") &&
                              Catch::Contains("dampening_frac"));
    auto const r = rtn(a, w);
    CHECK(g.weight == r);
    double loss = 0;
    for (std::size_t i = 0; i < r.size(); ++i) loss += (double(w[i]) - r[i]) * (double(w[i]) - r[i]) / 2;
    CHECK(g.loss == Approx(loss).epsilon(1e-5));

    auto const ok = gptq_quantize(view(w), hessian_of(correlated_inputs()), a, o);
    CHECK_FALSE(ok.fell_back);
    CHECK(ok.warning.empty());
}

TEST_CASE("dead columns are zeroed, and bad arguments are refused", "[gptq]") {
    auto h = hessian_of(correlated_inputs());
    for (std::int64_t j = 0; j < cols; ++j) h(9, j) = h(j, 9) = 0;
    auto const w = random_weight();
    auto const g = gptq_quantize(view(w), h, preset("W4A16", nuq::actorder_mode::weight),
                                 gptq_options{});
    CHECK_FALSE(g.fell_back);
    for (std::int64_t r = 0; r < rows; ++r) CHECK(g.weight[r * cols + 9] == 0);
    for (float v : g.weight) CHECK(std::isfinite(v));

    CHECK(nuq::test::error_of([&] {
              gptq_quantize(view(w), xt::eye<float>(cols - 1), preset("W4A16"), gptq_options{});
          }).id() == "calib.hessian_shape");
    gptq_options o;
    o.block_size = 0;
    CHECK(nuq::test::error_of([&] { gptq_quantize(view(w), h, preset("W4A16"), o); }).id() ==
          "calib.block_size");
    nuq::quantized_weight other = g.qparams;
    other.scales.pop_back();
    nuq::quantize_options qo;
    qo.qparams = &other;
    CHECK(nuq::test::error_of([&] {
              (void)nuq::quantize(preset("W4A16"), stored(w), qo);
          }).id() == "quant.fixed_qparams");
}

namespace {

/// The reference's column loop written plainly: no blocks, no lazy update: after each column,
/// its error goes straight into every later column. int (symmetric) and fp8 schemes, bf16.
std::vector<float> naive_gptq(std::vector<bfloat16_t> const& w, xt::xtensor<float, 2> h,
                              nuq::quant_args const& a, double& loss) {
    auto const q = nuq::quantize(a, stored(w), {});
    bool const fp8 = a.is_float();
    std::int64_t const gs = a.strategy == nuq::quant_strategy::group ? *a.group_size : cols;
    float const qmax = fp8 ? 448.0f : static_cast<float>((1 << (a.num_bits - 1)) - 1);
    float const qmin = fp8 ? -448.0f : -qmax - 1;
    auto fake = [&](float x, float s) {
        float const y = std::clamp(x / s, qmin, qmax);
        float const code = fp8 ? float(nuq::float_e4m3_t(y)) : std::nearbyint(y);
        return nuq::round_to<bfloat16_t>(code * s);
    };
    std::vector<std::int64_t> perm(cols);
    std::iota(perm.begin(), perm.end(), 0);
    if (a.actorder != nuq::actorder_mode::none) perm = descending_diag(h);
    std::vector<float> m(w.size());
    xt::xtensor<float, 2> u = xt::empty<float>({cols, cols});
    for (std::int64_t i = 0; i < cols; ++i)
        for (std::int64_t j = 0; j < cols; ++j) u(i, j) = h(perm[i], perm[j]);
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t j = 0; j < cols; ++j) m[r * cols + j] = float(w[r * cols + perm[j]]);
    double mean = 0;
    for (std::int64_t j = 0; j < cols; ++j) mean += u(j, j);
    for (std::int64_t j = 0; j < cols; ++j) u(j, j) += static_cast<float>(0.01 * mean / cols);
    REQUIRE(nuq::calib::inverse_factor(u).ok);
    loss = 0;
    for (std::int64_t c = 0; c < cols; ++c)
        for (std::int64_t r = 0; r < rows; ++r) {
            std::int64_t const col = perm[c]; // its original column picks the scale
            float const s = q.scales[q.scales.size() == 1 ? 0 : r * (cols / gs) + col / gs];
            float const x = m[r * cols + c], d = u(c, c);
            float const qv = fake(x, s);
            loss += (x - qv) * (x - qv) / (d * d) / 2;
            float const e = (x - qv) / d;
            m[r * cols + c] = qv;
            for (std::int64_t j = c + 1; j < cols; ++j) m[r * cols + j] -= e * u(c, j);
        }
    std::vector<float> out(m.size());
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t j = 0; j < cols; ++j) out[r * cols + perm[j]] = m[r * cols + j];
    return out;
}

} // namespace

TEST_CASE("the blocked loop with its GEMM update agrees with a plain unblocked loop", "[gptq]") {
    auto const h = hessian_of(correlated_inputs());
    auto const w = random_weight();
    for (auto const* name : {"W4A16", "FP8_DYNAMIC", "W8A16"})
        for (auto order : {nuq::actorder_mode::none, nuq::actorder_mode::weight})
            for (std::int64_t block : {128, 24, 1}) {
                INFO(name << " actorder " << nuq::to_string(order) << " block " << block);
                auto const a = preset(name, order);
                gptq_options o;
                o.block_size = block;
                auto const g = gptq_quantize(view(w), h, a, o);
                double loss = 0;
                auto const ref = naive_gptq(w, h, a, loss);
                // rows are independent. Summation order differs (a GEMM against sequential
                // updates), so a value may land on the other side of a rounding boundary: that
                // row then differs from there on, starting with one step of the grid. A row or
                // two may do that, no more.
                float const big = *std::max_element(ref.begin(), ref.end(), [](float p, float q) {
                    return std::fabs(p) < std::fabs(q);
                });
                auto const perm = order == nuq::actorder_mode::none ? std::vector<std::int64_t>{}
                                                                    : descending_diag(h);
                int differ = 0;
                for (std::int64_t r = 0; r < rows; ++r)
                    for (std::int64_t j = 0; j < cols; ++j) {
                        std::int64_t const c = perm.empty() ? j : perm[j]; // in loop order
                        float const x = g.weight[r * cols + c], y = ref[r * cols + c];
                        if (std::fabs(x - y) <= 1e-5f * std::fabs(big)) continue;
                        ++differ;
                        auto const u = static_cast<std::size_t>(
                            g.qparams.scales.size() == static_cast<std::size_t>(rows)
                                ? r : r * (cols / 32) + c / 32);
                        INFO("row " << r << " column " << c << ": " << x << " vs " << y);
                        if (a.is_float()) CHECK(std::fabs(x - y) <= 0.126f * std::max(std::fabs(x), std::fabs(y)));
                        else CHECK(std::abs(std::lround(double(x) / g.qparams.scales[u]) -
                                            std::lround(double(y) / g.qparams.scales[u])) == 1);
                        break;
                    }
                CHECK(differ <= 2);
                CHECK(g.loss == Approx(loss).epsilon(differ ? 0.02 : 1e-4));
            }
}
