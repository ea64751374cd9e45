// Element-level conformance with compressed-tensors 0.18 / PyTorch 2.11 on CPU
// (tests/data/formats/primitives.safetensors): fp8 casts of every bf16 and f16 value, fp4
// rounding, nibble packing, MX power-of-two rounding, E8M0 decoding and int32 bit packing.
#include <catch2/catch.hpp>

#include <iostream>

#include "nuq/format/bit_packing.hpp"
#include "nuq/format/pack_quantized.hpp"
#include "nuq/numeric/float4_e2m1.hpp"
#include "nuq/numeric/float8_e4m3.hpp"
#include "nuq/quant/scheme_mx.hpp"
#include "support/golden.hpp"

using nuq::test::golden_file;

namespace {
golden_file const& primitives() {
    static golden_file const g(NUQ_TEST_DATA "/formats/primitives.safetensors");
    return g;
}
bool is_nan_code(std::uint8_t b) { return (b & 0x7F) == 0x7F; }
} // namespace

TEST_CASE("fp8 e4m3fn casts of every bf16 and f16 value and f32 edges") {
    auto const& g = primitives();
    int checked = 0;
    for (auto [in, out] : {std::pair{"fp8.bf16_all", "fp8.fp8_of_bf16_all"},
                           std::pair{"fp8.f16_all", "fp8.fp8_of_f16_all"},
                           std::pair{"fp8.f32_edges", "fp8.fp8_of_f32_edges"}}) {
        auto const x = nuq::format::decode_floats(g.at(in), in);
        auto const y = g.at(out).as<std::uint8_t>();
        REQUIRE(x.size() == y.size());
        for (std::size_t i = 0; i < x.size(); ++i) {
            auto const mine = nuq::float_e4m3_t(x[i]).bits;
            if (x[i] != x[i]) { CHECK(is_nan_code(mine)); continue; } // NaN sign: platform-defined
            INFO(in << "[" << i << "] = " << x[i]);
            CHECK(int(mine) == int(y[i]));
            ++checked;
        }
    }
    CHECK(checked > 128000); // every non-NaN input
}

TEST_CASE("cast_to_fp4 at every tie point, nibble packing and unpacking") {
    auto const& g = primitives();
    for (auto [in, out] : {std::pair{"fp4.cast_in_f32", "fp4.cast_out_f32"},
                           std::pair{"fp4.cast_in_bf16", "fp4.cast_out_bf16"}}) {
        auto const x = nuq::format::decode_floats(g.at(in), in);
        auto const y = nuq::format::decode_floats(g.at(out), out);
        for (std::size_t i = 0; i < x.size(); ++i) {
            INFO(in << "[" << i << "] = " << x[i]);
            float const r = nuq::float_e2m1_t::round_to_grid(x[i]);
            if (x[i] != x[i]) CHECK(r != r); // the NaN's payload and sign are platform-defined
            else CHECK(std::bit_cast<std::uint32_t>(r) == std::bit_cast<std::uint32_t>(y[i]));
        }
    }
    auto const pin = nuq::format::decode_floats(g.at("fp4.pack_in"), "pack_in");
    auto const pout = g.at("fp4.pack_out").as<std::uint8_t>();
    for (std::size_t i = 0; i < pout.size(); ++i) {
        auto const lo = nuq::float_e2m1_t::code_of(pin[2 * i]);
        auto const hi = nuq::float_e2m1_t::code_of(pin[2 * i + 1]);
        CHECK(int(lo | (hi << 4)) == int(pout[i]));
    }
    auto const uin = g.at("fp4.unpack_in").as<std::uint8_t>();
    auto const uout = nuq::format::decode_floats(g.at("fp4.unpack_out_f32"), "unpack_out");
    for (std::size_t i = 0; i < uin.size(); ++i) {
        CHECK(nuq::float_e2m1_t::decode(uin[i] & 15) == uout[2 * i]);
        CHECK(nuq::float_e2m1_t::decode(uin[i] >> 4) == uout[2 * i + 1]);
    }
}

TEST_CASE("MX round_to_power_2 in bf16, f16, f32 and E8M0 decoding") {
    auto const& g = primitives();
    auto check = [&](auto* tag, char const* in, char const* out) {
        using D = std::remove_pointer_t<decltype(tag)>;
        auto const x = nuq::format::decode_floats(g.at(in), in);
        auto const y = nuq::format::decode_floats(g.at(out), out);
        for (std::size_t i = 0; i < x.size(); ++i) {
            INFO(in << "[" << i << "] = " << x[i]);
            float const r = nuq::scheme::round_to_power_of_2<D>(x[i]);
            CHECK((r == y[i] || (r != r && y[i] != y[i])));
        }
    };
    check(static_cast<nuq::bfloat16_t*>(nullptr), "mx.round_to_power_2_in_bf16", "mx.round_to_power_2_out_bf16");
    check(static_cast<nuq::float16_t*>(nullptr), "mx.round_to_power_2_in_f16", "mx.round_to_power_2_out_f16");
    check(static_cast<float*>(nullptr), "mx.round_to_power_2_in_f32", "mx.round_to_power_2_out_f32");
    auto const u = g.at("mx.decompress_scale_in").as<std::uint8_t>();
    auto const s = g.at("mx.decompress_scale_out").as<std::uint16_t>();
    for (std::size_t i = 0; i < u.size(); ++i)
        CHECK(nuq::bfloat16_t(nuq::float_ue8m0_t::decode(u[i])).bits == s[i]);
}

TEST_CASE("int32 bit packing of 1..8-bit codes, both layouts, along both dims") {
    auto const& g = primitives();
    using nuq::format::bit_layout;
    int cases = 0;
    for (auto const& [k, codes] : g.tensors) {
        if (k.rfind("pack.", 0) != 0 || k.size() < 6 || k.substr(k.size() - 6) != ".codes") continue;
        std::string const base = k.substr(0, k.size() - 6);
        int const bits = std::stoi(base.substr(base.find(".b") + 2));
        INFO(base);
        auto const rows = codes.shape[0], cols = codes.shape[1];
        auto const* c = reinterpret_cast<std::uint8_t const*>(codes.data.data());
        for (auto [suffix, layout] : {std::pair{".dim1", bit_layout::dense},
                                      std::pair{".dim1_017", bit_layout::element_aligned}}) {
            auto const t = nuq::format::pack_quantized::pack_matrix("p", c, rows, cols, bits, layout);
            auto const& want = g.at(base + suffix);
            CHECK(t.shape == want.shape);
            CHECK(t.data == want.data);
            // and back
            std::vector<std::uint8_t> u(static_cast<std::size_t>(cols));
            for (std::int64_t r = 0; r < rows; ++r) {
                nuq::format::unpack_row(want.as<std::uint32_t>().data() + r * want.shape[1], cols,
                                        bits, layout, u.data());
                for (std::int64_t i = 0; i < cols; ++i)
                    CHECK(int(nuq::format::pack_quantized::to_signed(u[static_cast<std::size_t>(i)], bits)) ==
                          int(c[r * cols + i]));
            }
        }
        ++cases;
    }
    std::cout << "bit packing: " << cases << " golden code matrices checked\n";
    CHECK(cases == 192);
}
