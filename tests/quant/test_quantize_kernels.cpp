// The SIMD row kernels of nuq/kernels/ against the scalar references (kernels::minmax_ref,
// Scheme::quantize via kernels::quantize_ref, a bit-by-bit packer), through each arch's
// compiled instantiation in nuq_simd that this CPU can run and through the header-only path:
// every scheme × weight dtype, on random data and on edge values (±0, NaN, ±inf, ties,
// subnormals, huge), with run lengths shorter than, equal to and not a multiple of the lanes.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "nuq/detail/simd_dispatch.hpp"
#include "nuq/format/pack_quantized.hpp"
#include "nuq/kernels/minmax_row.hpp"
#include "nuq/kernels/pack_codes.hpp"
#include "nuq/quant/scheme_kernels.hpp"

namespace {

using nuq::bfloat16_t;
using nuq::float16_t;
using nuq::unit_params;

/// Calls fn(name, run) for each arch of dispatch_archs this CPU has, and for the header-only
/// path; run(args...) runs Kernel there.
template <class Kernel, class Fn> void for_each_path(Fn&& fn) {
    [&]<class... Archs>(xsimd::arch_list<Archs...>) {
        auto one = [&]<class Arch>(Arch) {
            if (!nuq::simd::cpu_has<Arch>()) return;
            fn(std::string(Arch::name()),
               [](auto... args) { return nuq::simd::kernel_entry<Kernel, Arch>::run(args...); });
        };
        (one(Archs{}), ...);
    }(nuq::simd::dispatch_archs{});
    fn(std::string("native"),
       [](auto... args) { return nuq::simd::run_native<Kernel>(args...); });
}

float f32(std::uint32_t b) { return std::bit_cast<float>(b); }

/// Values that stress rounding and special cases, as multiples of a unit divisor 1.
std::vector<float> edge_values() {
    std::vector<float> v;
    for (float s : {1.0f, -1.0f}) {
        for (float x : {0.0f, 0.25f, 0.5f, 0.75f, 1.0f, 1.25f, 1.5f, 1.75f, 2.0f, 2.5f, 3.0f,
                        3.5f, 4.0f, 4.5f, 5.0f, 5.5f, 6.0f, 6.5f, 7.0f, 7.5f, 8.0f, 126.5f,
                        127.0f, 127.5f, 128.0f, 128.5f, 200.0f, 447.0f, 448.0f, 449.0f, 464.0f,
                        465.0f, 480.0f, 1e6f, 65504.0f, 65520.0f, 0x1p-6f, 0x1p-7f, 0x1p-9f,
                        0x1p-10f, 0x1.8p-10f, 0x1p-11f, 0x1p-14f, 0x1p-24f, 0x1p-25f, 0x1p-126f,
                        0.2500001f, 0.7499999f, 5.0000005f, 4.9999995f, 17.0f, 18.5f, 232.0f})
            v.push_back(s * x);
        for (std::uint32_t b : {0x00000001u, 0x007FFFFFu, 0x7F800000u, 0x7FC00000u, 0x7F800001u,
                                0x7F7FFFFFu, 0x00400000u})
            v.push_back(s * f32(b));
    }
    v.push_back(f32(0xFFC00000u)); // negative NaN
    return v;
}

/// A row of n values in D: normal-ish data at a few scales, random bit patterns, and the edge
/// values scaled by `unit` (a power of two, so that multiples stay exact).
template <class D> std::vector<D> make_row(std::mt19937& rng, std::int64_t n, float unit,
                                           bool specials) {
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::uniform_int_distribution<std::uint32_t> bits;
    auto const edges = edge_values();
    std::vector<D> x(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
        float v = nd(rng) * unit * 4.0f;
        auto const pick = rng() % 16;
        if (specials && pick == 0) v = f32(bits(rng));
        else if (specials && pick < 4) v = edges[rng() % edges.size()] * unit;
        x[static_cast<std::size_t>(i)] = nuq::from_float<D>(v);
    }
    return x;
}

template <class D> void check_minmax() {
    std::mt19937 rng(7);
    for_each_path<nuq::kernels::minmax_row<D>>([&](std::string const& arch, auto run_kernel) {
        for (std::int64_t run : {1, 3, 7, 16, 32, 40, 128, 333}) {
            for (bool specials : {false, true}) {
                // 37 runs: blocks of `lanes` runs and leftovers on every arch
                std::int64_t const n = run * 37 + (run > 2 ? run / 2 : 0);
                auto const x = make_row<D>(rng, n, 1.0f, specials);
                std::int64_t const runs = (n + run - 1) / run;
                std::vector<float> mn(static_cast<std::size_t>(runs), 0.0f), mx(mn), rmn(mn), rmx(mn);
                run_kernel(x.data(), n, run, mn.data(), mx.data());
                for (std::int64_t k = 0; k < runs; ++k)
                    nuq::kernels::minmax_ref(x.data() + k * run, std::min(run, n - k * run),
                                             rmn[static_cast<std::size_t>(k)],
                                             rmx[static_cast<std::size_t>(k)]);
                for (std::size_t k = 0; k < mn.size(); ++k) {
                    INFO(arch << " run " << run << " unit " << k);
                    // equal values (±0 alike) or both NaN
                    CHECK((mn[k] == rmn[k] || (mn[k] != mn[k] && rmn[k] != rmn[k])));
                    CHECK((mx[k] == rmx[k] || (mx[k] != mx[k] && rmx[k] != rmx[k])));
                }
            }
        }
    });
}

TEST_CASE("minmax_row matches minmax_ref", "[kernels]") {
    check_minmax<bfloat16_t>();
    check_minmax<float16_t>();
    check_minmax<float>();
}

/// Params of each run as the quantizer makes them (from the run's min/max), plus hand-made
/// ones: power-of-two divisors (exact ties), and NaN, inf and tiny divisors.
template <class Scheme, class D>
std::vector<unit_params> make_params(std::mt19937& rng, std::vector<D> const& x, std::int64_t run,
                                     bool observed) {
    std::int64_t const n = static_cast<std::int64_t>(x.size()), runs = (n + run - 1) / run;
    std::vector<unit_params> p(static_cast<std::size_t>(runs));
    for (std::int64_t k = 0; k < runs; ++k) {
        auto& u = p[static_cast<std::size_t>(k)];
        if (observed) {
            float mn = 0, mx = 0;
            nuq::kernels::minmax_ref(x.data() + k * run, std::min(run, n - k * run), mn, mx);
            u = Scheme::template params<D>(mn, mx, 448.0f * 6.0f / 4.0f);
            continue;
        }
        float const special[] = {f32(0x7FC00000u), INFINITY, 0x1p-130f, 0x1p-20f, 3.0f, 1e30f};
        auto const pick = rng() % 8;
        u.divisor = pick < 6 ? special[pick] : std::ldexp(1.0f, static_cast<int>(rng() % 9) - 4);
        u.scale = u.divisor;
        if constexpr (!Scheme::symmetric)
            u.zero_point = static_cast<float>(static_cast<int>(rng() % 16) - 8);
    }
    return p;
}

template <class Scheme, class D> void check_quantize(std::string const& name) {
    using of = nuq::kernels::quantize_row_of<Scheme, D>;
    std::mt19937 rng(11);
    for_each_path<typename of::type>([&](std::string const& arch, auto run_kernel) {
        for (std::int64_t run : {1, 5, 16, 32, 48, 128, 333}) {
            for (int mode = 0; mode < 3; ++mode) { // observed params on data; then edges
                std::int64_t const n = run * 6 + (run > 2 ? run / 3 : 0);
                bool const observed = mode < 2;
                auto const x = make_row<D>(rng, n, observed ? 0.02f : 1.0f, mode > 0);
                auto const p = make_params<Scheme, D>(rng, x, run, observed);
                std::vector<std::uint8_t> got(x.size(), 0xAA), want(x.size());
                run_kernel(x.data(), n, run, p.data(), of::lo, of::hi, got.data());
                for (std::int64_t c = 0, k = 0; c < n; c += run, ++k)
                    nuq::kernels::quantize_ref<Scheme>(x.data() + c, std::min(run, n - c),
                                                       p[static_cast<std::size_t>(k)],
                                                       want.data() + c);
                std::int64_t bad = -1;
                for (std::size_t i = 0; i < got.size() && bad < 0; ++i)
                    if (got[i] != want[i]) bad = static_cast<std::int64_t>(i);
                INFO(name << " " << arch << " run " << run << " mode " << mode);
                if (bad >= 0) {
                    auto const i = static_cast<std::size_t>(bad);
                    auto const& u = p[static_cast<std::size_t>(bad / run)];
                    INFO("element " << bad << " x " << nuq::to_float(x[i]) << " divisor "
                                    << u.divisor << " zp " << u.zero_point << ": got "
                                    << int(got[i]) << ", want " << int(want[i]));
                    CHECK(bad < 0);
                }
            }
        }
    });
}

template <class D> void check_all_schemes(std::string const& dt) {
    using namespace nuq::scheme;
    [&]<int... B>(std::integer_sequence<int, B...>) {
        (check_quantize<int_<B + 1, true>, D>("int" + std::to_string(B + 1) + " sym " + dt), ...);
        (check_quantize<int_<B + 1, false>, D>("int" + std::to_string(B + 1) + " asym " + dt), ...);
    }(std::make_integer_sequence<int, 8>{});
    check_quantize<float8_e4m3, D>("fp8 " + dt);
    check_quantize<nvfp4, D>("nvfp4 " + dt);
    check_quantize<mxfp4, D>("mxfp4 " + dt);
    check_quantize<mxfp8, D>("mxfp8 " + dt);
}

TEST_CASE("quantize_row matches Scheme::quantize: bf16", "[kernels]") {
    check_all_schemes<bfloat16_t>("bf16");
}
TEST_CASE("quantize_row matches Scheme::quantize: f16", "[kernels]") {
    check_all_schemes<float16_t>("f16");
}
TEST_CASE("quantize_row matches Scheme::quantize: f32", "[kernels]") {
    check_all_schemes<float>("f32");
}

TEST_CASE("pack_nibbles and flip_bytes match their scalar definitions", "[kernels]") {
    std::mt19937 rng(3);
    std::vector<std::uint8_t> codes(1001);
    for (auto& c : codes) c = static_cast<std::uint8_t>(rng());
    for (std::uint8_t flip : {std::uint8_t{0}, std::uint8_t{8}, std::uint8_t{0x80}}) {
        for_each_path<nuq::kernels::pack_nibbles>([&](std::string const& arch, auto run_kernel) {
            for (std::size_t bytes : {0u, 1u, 7u, 64u, 100u, 500u}) {
                std::vector<std::uint8_t> got(bytes), want(bytes);
                run_kernel(codes.data(), bytes, flip, got.data());
                for (std::size_t i = 0; i < bytes; ++i)
                    want[i] = static_cast<std::uint8_t>(((codes[2 * i] ^ flip) & 15) |
                                                        ((codes[2 * i + 1] ^ flip) & 15) << 4);
                INFO(arch << " nibbles " << bytes << " flip " << int(flip));
                CHECK(got == want);
            }
        });
        for_each_path<nuq::kernels::flip_bytes>([&](std::string const& arch, auto run_kernel) {
            for (std::size_t n : {0u, 1u, 63u, 64u, 1001u}) {
                std::vector<std::uint8_t> got(n), want(n);
                run_kernel(codes.data(), n, flip, got.data());
                for (std::size_t i = 0; i < n; ++i) want[i] = codes[i] ^ flip;
                INFO(arch << " bytes " << n << " flip " << int(flip));
                CHECK(got == want);
            }
        });
    }
}

TEST_CASE("pack_quantized::pack_rows matches a bit-by-bit packer", "[kernels]") {
    using nuq::format::bit_layout;
    std::mt19937 rng(5);
    for (int bits = 1; bits <= 8; ++bits)
        for (auto layout : {bit_layout::dense, bit_layout::element_aligned})
            for (std::int64_t cols : {1, 7, 8, 31, 32, 33, 64, 100, 256}) {
                std::int64_t const rows = 3;
                std::vector<std::uint8_t> codes(static_cast<std::size_t>(rows * cols));
                for (auto& c : codes) // signed codes in [-2^(b-1), 2^(b-1))
                    c = static_cast<std::uint8_t>(static_cast<int>(rng() % (1u << bits)) -
                                                  (1 << (bits - 1)));
                std::int64_t const words = nuq::format::packed_words(cols, bits, layout);
                nuq::tensor t("weight_packed", nuq::dtype::int32, {rows, words}, nuq::for_overwrite);
                nuq::format::pack_quantized::pack_rows(t, 0, rows, codes.data(), cols, bits, layout);
                std::vector<std::uint32_t> want(static_cast<std::size_t>(rows * words), 0);
                int const per_word = 32 / bits;
                for (std::int64_t r = 0; r < rows; ++r)
                    for (std::int64_t i = 0; i < cols; ++i) {
                        auto const u = nuq::format::pack_quantized::to_unsigned(
                            codes[static_cast<std::size_t>(r * cols + i)], bits);
                        for (int b = 0; b < bits; ++b) {
                            std::int64_t const bit = layout == bit_layout::dense
                                                         ? i * bits + b
                                                         : (i / per_word) * 32 + (i % per_word) * bits + b;
                            if ((u >> b) & 1)
                                want[static_cast<std::size_t>(r * words + bit / 32)] |= 1u << (bit % 32);
                        }
                    }
                INFO("bits " << bits << " cols " << cols << " aligned "
                             << (layout == bit_layout::element_aligned));
                auto const got = t.as<std::uint32_t>();
                CHECK(std::vector<std::uint32_t>(got.begin(), got.end()) == want);
            }
}

} // namespace
