// Every quantizer<Scheme, Strategy> on odd shapes: what pack writes, unpack reads back; the
// decoded weight is within half a quantization step of the input; and NaN/Inf inputs give the
// documented, deterministic result: a unit (tensor, row, group or block) holding a NaN or an
// inf gets a NaN or inf scale and every element of that unit decodes to NaN, while every
// other unit is unaffected — except that NVFP4 clamps an inf group's fp8 scale to 448, so
// that group saturates instead. (The reference's codes and NaN signs there are
// platform-defined.)
#pragma once
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "nuq/format/packer.hpp"
#include "nuq/quant/make_quantizer.hpp"

// The quantizer types split over several test files (test_roundtrip_*.cpp), so that no
// translation unit instantiates all of them.

namespace nuq::test::roundtrip {

template <class Q>
nuq::quant_args args_for(int rows_block = 3, int cols_block = 8) {
    using S = typename Q::scheme_type;
    using T = typename Q::strategy_type;
    nuq::quant_args a;
    a.num_bits = S::bits;
    a.type = S::is_float ? nuq::quant_type::float_ : nuq::quant_type::int_;
    a.symmetric = S::symmetric;
    a.strategy = T::kind;
    if constexpr (S::uses_global_scale) a.group_size = 16;
    else if constexpr (S::scale_storage == nuq::scale_encoding::ue8m0) {
        a.group_size = 32;
        a.scale_dtype = nuq::dtype::uint8;
    } else if constexpr (T::kind == nuq::quant_strategy::group) a.group_size = 8;
    if constexpr (T::kind == nuq::quant_strategy::block)
        a.block_structure = std::array<int, 2>{rows_block, cols_block};
    return a;
}

/// Formats that can store this scheme.
template <class Q>
std::vector<nuq::compression_format> formats_for() {
    using S = typename Q::scheme_type;
    using F = nuq::compression_format;
    if constexpr (S::uses_global_scale) return {F::nvfp4_pack_quantized};
    else if constexpr (S::scale_storage == nuq::scale_encoding::ue8m0)
        return {S::bits == 4 ? F::mxfp4_pack_quantized : F::mxfp8_quantized};
    else if constexpr (S::is_float) return {F::float_quantized, F::naive_quantized};
    else return {F::pack_quantized, F::int_quantized};
}

/// Columns: a multiple of the group size where groups need it, else odd.
template <class Q>
std::int64_t cols_for() {
    using T = typename Q::strategy_type;
    using S = typename Q::scheme_type;
    if constexpr (S::uses_global_scale) return 48;
    else if constexpr (S::scale_storage == nuq::scale_encoding::ue8m0) return 96;
    else if constexpr (T::kind == nuq::quant_strategy::group) return 40;
    else return 37;
}

template <class Q>
Q make(nuq::quant_args const& a) {
    return std::get<Q>(nuq::make_quantizer(a));
}


/// pack, unpack and dequantize round-trip on odd shapes
template <class Q>
void roundtrip_case() {
    auto const args = args_for<Q>();
    Q const q = make<Q>(args);
    std::int64_t const rows = 7, cols = cols_for<Q>();
    std::mt19937 rng(42);
    std::normal_distribution<float> nd(0.0f, 0.02f);
    std::vector<nuq::bfloat16_t> w(static_cast<std::size_t>(rows * cols));
    for (auto& x : w) x = nuq::bfloat16_t(nd(rng));
    w[5] = nuq::bfloat16_t(0.1f); // an outlier
    nuq::weight_view<nuq::bfloat16_t> view{{w.data(), w.size()}, rows, cols};

    auto const qw = q.quantize(view);
    auto const dense = q.dequantize(qw);
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c) {
            auto const i = static_cast<std::size_t>(r * cols + c);
            float const s = qw.scales[static_cast<std::size_t>(q.strategy().unit(r, c, cols, nullptr))];
            float const step = Q::scheme_type::uses_global_scale ? s / *qw.global_scale : s;
            float const a = std::fabs(float(w[i]));
            // half a bf16 ulp of v
            auto half_ulp = [](float v) { return std::ldexp(1.0f, std::ilogb(v + 1) - 8); };
            // int: half a step, plus the bf16 roundings of y = x/s, of y + zp (|y + zp| is
            // at most 2^(b-1)), of the output, and of the scale (by which the extremes of a
            // unit may clamp: up to 2^b · 2^-8 steps); fp4's widest gap is 2 steps (4 → 6);
            // fp8's relative gap is 1/8
            float const tol =
                Q::scheme_type::is_float
                    ? (Q::scheme_type::bits == 4 ? step : 0.07f * a + step / 256)
                    : step * (0.5f + half_ulp(2 * a / step) +
                              (qw.zero_points.empty() ? 0 : half_ulp(1 << (Q::scheme_type::bits - 1))) +
                              static_cast<float>(1 << Q::scheme_type::bits) / 256) +
                          a / 256;
            INFO("element " << r << "," << c << " w " << float(w[i]) << " got " << dense[i]);
            CHECK(std::fabs(dense[i] - float(w[i])) <= tol + 1e-6f);
        }

    for (auto f : formats_for<Q>()) {
        INFO("format " << nuq::to_string(f));
        auto const packed = nuq::format::pack(f, qw, args);
        nuq::format::tensor_lookup find = [&](std::string const& n) -> std::optional<nuq::tensor_ref> {
            for (auto const& t : packed)
                if (t.name == n) return nuq::tensor_ref(t);
            return std::nullopt;
        };
        auto const back = nuq::format::unpack(f, find, args, "layer");
        CHECK(back.rows == rows);
        CHECK(back.cols == cols);
        CHECK(back.codes == qw.codes);
        CHECK(back.scales == qw.scales);
        CHECK(back.zero_points == qw.zero_points);
        CHECK(q.dequantize(back) == dense);
    }
}

/// NaN and inf poison only their own unit, deterministically
template <class Q>
void naninf_case() {
    using T = typename Q::strategy_type;
    if constexpr (T::kind == nuq::quant_strategy::tensor) {
        SUCCEED("one unit: the whole tensor decodes to NaN");
    } else {
        Q const q = make<Q>(args_for<Q>(3, 8));
        std::int64_t const rows = 6, cols = cols_for<Q>();
        std::vector<float> w(static_cast<std::size_t>(rows * cols), 0.01f);
        for (std::size_t i = 0; i < w.size(); ++i) w[i] = 0.001f * static_cast<float>(i % 17) - 0.008f;
        w[1] = std::nanf("");
        w[static_cast<std::size_t>(4 * cols + 2)] = -INFINITY;
        nuq::weight_view<float> view{{w.data(), w.size()}, rows, cols};
        nuq::quantize_options o;
        o.global_scale = 448.0f; // NVFP4: keep the global scale finite (it is 1.0 for NaN input)
        auto const a = q.quantize(view, o), b = q.quantize(view, o);
        CHECK(a.codes == b.codes); // deterministic
        auto const dense = q.dequantize(a);
        auto const bad1 = q.strategy().unit(0, 1, cols, nullptr);
        auto const bad2 = q.strategy().unit(4, 2, cols, nullptr);
        for (std::int64_t r = 0; r < rows; ++r)
            for (std::int64_t c = 0; c < cols; ++c) {
                auto const u = q.strategy().unit(r, c, cols, nullptr);
                float const d = dense[static_cast<std::size_t>(r * cols + c)];
                INFO("element " << r << "," << c);
                if constexpr (Q::scheme_type::uses_global_scale) {
                    // NVFP4 clamps its fp8 group scales to 448: an inf saturates its group
                    // (the inf becomes ±6 · 448 / global scale) instead of poisoning it
                    if (u == bad1) CHECK(std::isnan(d));
                    else CHECK(std::isfinite(d));
                    if (r == 4 && c == 2) CHECK(d == -6.0f);
                } else if (u == bad1 || u == bad2) {
                    CHECK(std::isnan(d));
                } else {
                    CHECK(std::isfinite(d));
                }
            }
    }
}

} // namespace nuq::test::roundtrip

/// The round-trip and NaN/inf tests for the quantizer types of `List`, named with `Label`.
#define NUQ_ROUNDTRIP_TESTS(Label, List)                                                           \
    TEMPLATE_LIST_TEST_CASE("pack, unpack and dequantize round-trip on odd shapes (" Label ")",    \
                            "[roundtrip]", List) {                                                 \
        nuq::test::roundtrip::roundtrip_case<TestType>();                                          \
    }                                                                                              \
    TEMPLATE_LIST_TEST_CASE("NaN and inf poison only their own unit, deterministically (" Label    \
                            ")", "[naninf]", List) {                                               \
        nuq::test::roundtrip::naninf_case<TestType>();                                             \
    }
