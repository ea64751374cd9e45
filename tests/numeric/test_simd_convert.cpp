// SIMD conversions vs the scalar reference types, bit for bit, through each arch's compiled
// instantiation in nuq_simd that this CPU can run, plus the run-time dispatch and the
// header-only path.
#include <catch2/catch.hpp>

#include <bit>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "nuq/detail/simd_dispatch.hpp"
#include "nuq/numeric/bfloat16.hpp"
#include "nuq/numeric/float16.hpp"
#include "nuq/numeric/float8_e4m3.hpp"
#include "nuq/numeric/simd_convert.hpp"

namespace {

using namespace nuq::simd;

float f32(std::uint32_t b) { return std::bit_cast<float>(b); }
std::uint32_t bits(float f) { return std::bit_cast<std::uint32_t>(f); }

/// Edge values, then `random_count` random bit patterns (every class of float equally likely
/// per bit pattern), then values near the rounding boundaries of the narrow types.
std::vector<float> test_floats(std::size_t random_count) {
    std::vector<float> v;
    for (std::uint32_t s : {0u, 0x80000000u}) {
        for (std::uint32_t b :
             {0x00000000u, 0x00000001u, 0x007FFFFFu, 0x00800000u, // ±0, f32 subnormals
              0x7F800000u, 0x7F800001u, 0x7FC00000u, 0x7FFFFFFFu, // inf, NaNs
              0x7FA00000u, 0x7F7FFFFFu, 0x7F7F8000u, 0x7F7F7FFFu})
            v.push_back(f32(s | b));
        for (float x :
             {448.0f,       449.0f,       464.0f,     465.0f,     479.99997f, 480.0f,
              481.0f,       1e30f,        65504.0f,   65519.996f, 65520.0f,   65536.0f,
              1.0f,         1.5f,         0x1p-6f,    0x1p-7f,    0x1p-9f,    0x1p-10f,
              0x1.8p-10f,   0x1p-11f,     0x1.8p-11f, 0x1p-12f,   0x1p-14f,   0x1p-15f,
              0x1p-24f,     0x1p-25f,     0x1.8p-25f, 0x1.8p-24f, 0x1p-26f,   0x1.ffcp-15f,
              0x1.ffep-15f, 0x1.ff8p-15f, 0x1.ep-7f,  0x1.fp-7f})
            v.push_back(f32(s | bits(x)));
    }
    // Exact ties and their neighbours for bf16 (16 dropped bits), fp16 (13) and e4m3 (20).
    std::mt19937 rng(20240607);
    for (int i = 0; i < 20000; ++i) {
        std::uint32_t const u = rng();
        for (std::uint32_t const half : {0x8000u, 0x1000u, 0x80000u}) {
            std::uint32_t const tie = (u & ~(2 * half - 1)) | half;
            v.push_back(f32(tie));
            v.push_back(f32(tie - 1));
            v.push_back(f32(tie + 1));
        }
    }
    // Dense over the ranges where the narrow types have subnormals and their top.
    std::uniform_real_distribution<float> small(-0x1p-5f, 0x1p-5f), big(-70000.0f, 70000.0f);
    for (int i = 0; i < 200000; ++i) {
        v.push_back(small(rng));
        v.push_back(big(rng));
        v.push_back(big(rng) / 128.0f);
    }
    for (std::size_t i = 0; i < random_count; ++i) v.push_back(f32(rng()));
    // An odd length, so that the tail path runs too.
    if (v.size() % 2 == 0) v.push_back(1.0f);
    return v;
}

std::vector<float> const& floats() {
    static std::vector<float> const v = test_floats(4'000'000);
    return v;
}

std::vector<std::uint16_t> all_16_bit_codes() {
    std::vector<std::uint16_t> v(65536);
    for (std::uint32_t i = 0; i < 65536; ++i) v[i] = static_cast<std::uint16_t>(i);
    return v;
}

/// First index where a and b differ, or -1.
template <class T> long first_mismatch(std::vector<T> const& a, std::vector<T> const& b) {
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i] != b[i]) return static_cast<long>(i);
    return -1;
}

std::string hex(std::uint32_t x) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08X", x);
    return buf;
}

/// Runs `check(run, name)` for every arch of dispatch_archs this CPU can run, where `run` calls
/// that arch's instantiation of a kernel, then for dispatch() and for run_native().
template <class Check> void for_each_path(Check check) {
    int ran = 0;
    dispatch_archs::for_each([&](auto arch) {
        using Arch = decltype(arch);
        if (!cpu_has<Arch>()) return;
        ++ran;
        check([]<class K, class... Args>(K, Args... args) { kernel_entry<K, Arch>::run(args...); },
              std::string(Arch::name()));
    });
    REQUIRE(ran > 0);
    check([]<class K, class... Args>(K, Args... args) { dispatch<K>(args...); },
          std::string("dispatch"));
    check([]<class K, class... Args>(K, Args... args) { run_native<K>(args...); },
          std::string("native"));
}

} // namespace

TEST_CASE("every bf16 code to f32, back, and to e4m3") {
    auto const codes = all_16_bit_codes();
    std::vector<float> ref(codes.size());
    for (std::size_t i = 0; i < codes.size(); ++i)
        ref[i] = float(nuq::bfloat16_t::from_bits(codes[i]));
    std::vector<std::uint16_t> ref_back(codes.size());
    for (std::size_t i = 0; i < codes.size(); ++i)
        ref_back[i] = nuq::bfloat16_t::round_bits(ref[i]);
    std::vector<std::uint8_t> ref_e4m3(codes.size());
    for (std::size_t i = 0; i < codes.size(); ++i)
        ref_e4m3[i] = nuq::float_e4m3_t::round_bits(ref[i]);

    for_each_path([&](auto run, std::string const& name) {
        INFO(name);
        std::vector<float> out(codes.size());
        run(bf16_to_f32_kernel{}, codes.data(), out.data(), codes.size());
        std::vector<std::uint32_t> out_bits(out.size()), ref_bits(ref.size());
        for (std::size_t i = 0; i < out.size(); ++i)
            out_bits[i] = bits(out[i]), ref_bits[i] = bits(ref[i]);
        CHECK(first_mismatch(out_bits, ref_bits) == -1);

        std::vector<std::uint16_t> back(codes.size());
        run(f32_to_bf16_kernel{}, out.data(), back.data(), out.size());
        CHECK(first_mismatch(back, ref_back) == -1);

        std::vector<std::uint8_t> e4m3(codes.size());
        run(bf16_to_e4m3_kernel{}, codes.data(), e4m3.data(), codes.size());
        CHECK(first_mismatch(e4m3, ref_e4m3) == -1);
    });
}

TEST_CASE("every fp16 code to f32, back, and to e4m3") {
    auto const codes = all_16_bit_codes();
    std::vector<std::uint32_t> ref_bits(codes.size());
    std::vector<std::uint16_t> ref_back(codes.size());
    std::vector<std::uint8_t> ref_e4m3(codes.size());
    for (std::size_t i = 0; i < codes.size(); ++i) {
        float const f = nuq::float16_t::to_float_bits(codes[i]);
        ref_bits[i] = bits(f);
        ref_back[i] = nuq::float16_t::round_bits(f);
        ref_e4m3[i] = nuq::float_e4m3_t::round_bits(f);
    }
    for_each_path([&](auto run, std::string const& name) {
        INFO(name);
        std::vector<float> out(codes.size());
        run(f16_to_f32_kernel{}, codes.data(), out.data(), codes.size());
        std::vector<std::uint32_t> out_bits(out.size());
        for (std::size_t i = 0; i < out.size(); ++i) out_bits[i] = bits(out[i]);
        long const bad = first_mismatch(out_bits, ref_bits);
        INFO("code " << bad);
        CHECK(bad == -1);

        std::vector<std::uint16_t> back(codes.size());
        run(f32_to_f16_kernel{}, out.data(), back.data(), out.size());
        CHECK(first_mismatch(back, ref_back) == -1);

        std::vector<std::uint8_t> e4m3(codes.size());
        run(f32_to_e4m3_kernel{}, out.data(), e4m3.data(), out.size());
        CHECK(first_mismatch(e4m3, ref_e4m3) == -1);
    });
}

TEST_CASE("f32 to bf16, fp16 and e4m3 codes and R_bf16, R_f16 match the scalar types") {
    auto const& in = floats();
    std::vector<std::uint16_t> ref_bf16(in.size()), ref_f16(in.size());
    std::vector<std::uint8_t> ref_e4m3(in.size());
    std::vector<std::uint32_t> ref_rbf16(in.size()), ref_rf16(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        ref_bf16[i] = nuq::bfloat16_t::round_bits(in[i]);
        ref_f16[i] = nuq::float16_t::round_bits(in[i]);
        ref_e4m3[i] = nuq::float_e4m3_t::round_bits(in[i]);
        ref_rbf16[i] = bits(float(nuq::bfloat16_t(in[i])));
        ref_rf16[i] = bits(float(nuq::float16_t(in[i])));
    }
    for_each_path([&](auto run, std::string const& name) {
        INFO(name);
        auto check_codes = [&](auto const& out, auto const& ref, char const* what) {
            long const bad = first_mismatch(out, ref);
            INFO(what << " of " << (bad < 0 ? "" : hex(bits(in[static_cast<std::size_t>(bad)]))));
            CHECK(bad == -1);
        };
        std::vector<std::uint16_t> out16(in.size());
        run(f32_to_bf16_kernel{}, in.data(), out16.data(), in.size());
        check_codes(out16, ref_bf16, "bf16");
        run(f32_to_f16_kernel{}, in.data(), out16.data(), in.size());
        check_codes(out16, ref_f16, "f16");
        std::vector<std::uint8_t> out8(in.size());
        run(f32_to_e4m3_kernel{}, in.data(), out8.data(), in.size());
        check_codes(out8, ref_e4m3, "e4m3");

        std::vector<float> outf(in.size());
        std::vector<std::uint32_t> outb(in.size());
        run(round_bf16_kernel{}, in.data(), outf.data(), in.size());
        for (std::size_t i = 0; i < in.size(); ++i) outb[i] = bits(outf[i]);
        CHECK(first_mismatch(outb, ref_rbf16) == -1);

        outf = in; // in place
        run(round_f16_kernel{}, outf.data(), outf.data(), in.size());
        for (std::size_t i = 0; i < in.size(); ++i) outb[i] = bits(outf[i]);
        CHECK(first_mismatch(outb, ref_rf16) == -1);
    });
}

TEST_CASE("kernels handle every length around the batch width") {
    std::vector<float> in(70);
    for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i) * 1.37f - 40.0f;
    for_each_path([&](auto run, std::string const& name) {
        for (std::size_t n = 0; n < 40; ++n) {
            INFO(name << " n=" << n);
            std::vector<std::uint8_t> out(n + 8, 0xAB);
            run(f32_to_e4m3_kernel{}, in.data(), out.data(), n);
            for (std::size_t i = 0; i < n; ++i)
                REQUIRE(out[i] == nuq::float_e4m3_t::round_bits(in[i]));
            for (std::size_t i = n; i < out.size(); ++i) REQUIRE(out[i] == 0xAB); // nothing past n
        }
    });
}
