// Format names and inference (docs/FORMAT.md §6): every preset and hand-written scheme of
// configs.json against the reference `inferred_format_linear`, the OLD (≤0.14) rules and the
// version-dependent ones, and the model-level format.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "support/test_helpers.hpp"
#include "nuq/quant/compression_format.hpp"
#include "nuq/quant/infer_format.hpp"
#include "nuq/quant/presets.hpp"

using nlohmann::json;
using F = nuq::compression_format;

namespace {

using nuq::test::load_configs;

nuq::quant_scheme scheme(json j) {
    j["targets"] = {"Linear"};
    return nuq::parse_quant_scheme(j);
}

nuq::format_rules at(int minor, nuq::module_kind m = nuq::module_kind::linear) {
    nuq::format_rules r;
    r.version = {0, minor, 0};
    r.module = m;
    return r;
}

} // namespace

TEST_CASE("compression_format: strict names", "[format]") {
    std::vector<std::string> const names{
        "dense",           "sparse-bitmask", "sparse-24-bitmask",    "int-quantized",
        "float-quantized", "naive-quantized", "pack-quantized",      "marlin-24",
        "mixed-precision", "nvfp4-pack-quantized", "mxfp4-pack-quantized", "mxfp8-quantized"};
    for (auto const& n : names) {
        auto const f = nuq::compression_format_from_string(n);
        REQUIRE(f);
        CHECK(nuq::to_string(*f) == n);
    }
    CHECK_FALSE(nuq::compression_format_from_string("Pack-Quantized"));
    CHECK_FALSE(nuq::compression_format_from_string("pack_quantized"));
    CHECK_FALSE(nuq::compression_format_from_string("fakequant"));
    CHECK(nuq::is_legacy(F::marlin_24));
    CHECK(nuq::is_legacy(F::sparse_bitmask));
    CHECK(nuq::is_legacy(F::sparse_24_bitmask));
    CHECK_FALSE(nuq::is_legacy(F::mxfp8_quantized));
    try {
        (void)nuq::parse_compression_format("int4-quantized", "config_groups.group_0.format");
        FAIL("unknown format accepted");
    } catch (nuq::error const& e) {
        CHECK(e.where() == "config_groups.group_0.format");
        CHECK_THAT(e.expected(), Catch::Contains("\"mxfp8-quantized\"") &&
                                     Catch::Contains("\"marlin-24\""));
    }
}

TEST_CASE("ct_version", "[format]") {
    CHECK(nuq::ct_version_from_string("0.12.2") == nuq::ct_version{0, 12, 2});
    CHECK(nuq::ct_version_from_string("0.10.3.dev12+g1a2b") == nuq::ct_version{0, 10, 3});
    CHECK(nuq::ct_version_from_string("1.0") == nuq::ct_version{1, 0, 0});
    CHECK_FALSE(nuq::ct_version_from_string(""));
    CHECK_FALSE(nuq::ct_version_from_string("0"));
    CHECK_FALSE(nuq::ct_version_from_string("latest"));
    CHECK(nuq::ct_version{0, 9, 4} < nuq::ct_version{0, 12, 0});
    CHECK(nuq::to_string(nuq::ct_latest) == "0.18.0");
}

TEST_CASE("infer_module_format: configs.json presets and schemes (CT 0.18)", "[format]") {
    auto const c = load_configs();
    int checked = 0;
    for (auto const& [name, p] : c.at("presets").items()) {
        INFO("preset " << name);
        auto const expected = nuq::compression_format_from_string(
            p.at("inferred_format_linear").get<std::string>());
        REQUIRE(expected);
        CHECK(nuq::infer_module_format(nuq::preset_scheme(name, {"Linear"})) == *expected);
        ++checked;
    }
    for (auto const& [name, s] : c.at("schemes").items()) {
        if (!s.contains("inferred_format_linear")) continue;
        INFO("scheme " << name);
        CHECK(nuq::to_string(nuq::infer_module_format(nuq::parse_quant_scheme(s.at("input")))) ==
              s.at("inferred_format_linear").get<std::string>());
        ++checked;
    }
    CHECK(checked == 34);
}

TEST_CASE("infer_module_format: §6.1 table", "[format]") {
    auto const w = [](json args) { return scheme({{"weights", std::move(args)}}); };
    // FP4 other than group 16/32 falls through.
    CHECK(nuq::infer_module_format(w({{"num_bits", 4}, {"type", "float"}, {"group_size", 64}})) ==
          F::naive_quantized);
    // MXFP8 needs a uint8 scale_dtype; without it an fp8 group-32 weight is naive.
    CHECK(nuq::infer_module_format(w({{"type", "float"}, {"group_size", 32}})) ==
          F::naive_quantized);
    CHECK(nuq::infer_module_format(
              w({{"type", "float"}, {"group_size", 32}, {"scale_dtype", "uint8"}})) ==
          F::mxfp8_quantized);
    // int9+ weight-only cannot be packed.
    CHECK(nuq::infer_module_format(w({{"num_bits", 12}})) == F::naive_quantized);
    CHECK(nuq::infer_module_format(w({{"num_bits", 1}})) == F::pack_quantized);
    // Activation-only schemes are dense.
    CHECK(nuq::infer_module_format(scheme({{"input_activations", {{"type", "float"}}}})) ==
          F::dense);
    // Only Linear / Embedding modules are compressed.
    auto const w4 = nuq::preset_scheme("W4A16", {"Linear"});
    CHECK(nuq::infer_module_format(w4, at(18, nuq::module_kind::embedding)) == F::pack_quantized);
    CHECK(nuq::infer_module_format(w4, at(18, nuq::module_kind::other)) == F::dense);
    CHECK(nuq::infer_module_format(w4, at(16, nuq::module_kind::embedding)) == F::dense);
}

TEST_CASE("infer_module_format: by writer version", "[format]") {
    struct row {
        char const* preset_or_case;
        F v018, v016, v014, v012;
    };
    auto const fp8_weight_only = scheme({{"weights", {{"type", "float"}}}});
    auto const int3_weight_only = scheme({{"weights", {{"num_bits", 3}, {"group_size", 128}}}});
    auto const fp4_g32 =
        scheme({{"weights", {{"num_bits", 4}, {"type", "float"}, {"group_size", 32}}}});
    std::map<std::string, nuq::quant_scheme> const extra{
        {"fp8_weight_only", fp8_weight_only},
        {"int3_weight_only", int3_weight_only},
        {"fp4_g32", fp4_g32}};
    std::vector<row> const table{
        {"W4A16", F::pack_quantized, F::pack_quantized, F::pack_quantized, F::pack_quantized},
        {"W8A16", F::pack_quantized, F::pack_quantized, F::pack_quantized, F::pack_quantized},
        {"W3A16", F::pack_quantized, F::naive_quantized, F::naive_quantized, F::naive_quantized},
        {"int3_weight_only", F::pack_quantized, F::naive_quantized, F::naive_quantized,
         F::naive_quantized},
        {"W4A16_ASYM", F::pack_quantized, F::pack_quantized, F::pack_quantized, F::pack_quantized},
        {"W8A8", F::int_quantized, F::int_quantized, F::int_quantized, F::int_quantized},
        {"W4A8", F::int_quantized, F::int_quantized, F::int_quantized, F::int_quantized},
        {"W4AFP8", F::int_quantized, F::int_quantized, F::int_quantized, F::int_quantized},
        {"FP8", F::float_quantized, F::float_quantized, F::float_quantized, F::float_quantized},
        {"FP8_DYNAMIC", F::float_quantized, F::float_quantized, F::float_quantized,
         F::float_quantized},
        {"FP8_BLOCK", F::float_quantized, F::float_quantized, F::float_quantized,
         F::float_quantized},
        {"fp8_weight_only", F::naive_quantized, F::naive_quantized, F::naive_quantized,
         F::naive_quantized},
        {"NVFP4", F::nvfp4_pack_quantized, F::nvfp4_pack_quantized, F::nvfp4_pack_quantized,
         F::nvfp4_pack_quantized},
        {"NVFP4A16", F::nvfp4_pack_quantized, F::nvfp4_pack_quantized, F::nvfp4_pack_quantized,
         F::nvfp4_pack_quantized},
        {"fp4_g32", F::mxfp4_pack_quantized, F::mxfp4_pack_quantized, F::mxfp4_pack_quantized,
         F::nvfp4_pack_quantized},
        {"MXFP4", F::mxfp4_pack_quantized, F::mxfp4_pack_quantized, F::mxfp4_pack_quantized,
         F::nvfp4_pack_quantized},
        // OLD has no MXFP8: fp8 weight-only (naive), with inputs float-quantized.
        {"MXFP8A16", F::mxfp8_quantized, F::mxfp8_quantized, F::naive_quantized,
         F::naive_quantized},
        {"MXFP8", F::mxfp8_quantized, F::mxfp8_quantized, F::float_quantized, F::float_quantized},
        {"UNQUANTIZED", F::dense, F::dense, F::dense, F::dense},
    };
    for (auto const& r : table) {
        INFO(r.preset_or_case);
        auto const s = extra.count(r.preset_or_case)
                           ? extra.at(r.preset_or_case)
                           : nuq::preset_scheme(r.preset_or_case, {"Linear"});
        CHECK(nuq::infer_module_format(s, at(18)) == r.v018);
        CHECK(nuq::infer_module_format(s, at(17)) == r.v018);  // 0.17 differs only in layout
        CHECK(nuq::infer_module_format(s, at(16)) == r.v016);
        CHECK(nuq::infer_module_format(s, at(15)) == r.v016);
        CHECK(nuq::infer_module_format(s, at(14)) == r.v014);
        CHECK(nuq::infer_module_format(s, at(13)) == r.v014);
        CHECK(nuq::infer_module_format(s, at(12)) == r.v012);
    }

    SECTION("OLD marlin-24 with a 2:4 sparsity structure") {
        auto r = at(12);
        r.sparse_2_4 = true;
        CHECK(nuq::infer_module_format(nuq::preset_scheme("W4A16", {"Linear"}), r) == F::marlin_24);
        CHECK(nuq::infer_module_format(
                  scheme({{"weights", {{"num_bits", 4}}}}), r) == F::pack_quantized);  // tensor
        CHECK(nuq::infer_module_format(nuq::preset_scheme("W8A8", {"Linear"}), r) ==
              F::int_quantized);
        r.version = {0, 15, 0};  // gone in NEW
        CHECK(nuq::infer_module_format(nuq::preset_scheme("W4A16", {"Linear"}), r) ==
              F::pack_quantized);
    }
}

TEST_CASE("resolve_module_format and model_format (§6.3)", "[format]") {
    auto s = nuq::preset_scheme("W4A16", {"Linear"});
    CHECK(nuq::resolve_module_format(s) == F::pack_quantized);
    s.format = F::naive_quantized;
    CHECK(nuq::resolve_module_format(s) == F::naive_quantized);
    CHECK(nuq::resolve_module_format(s, F::dense) == F::dense);  // forced wins

    using V = std::vector<F>;
    CHECK(nuq::model_format(V{}) == F::dense);
    CHECK(nuq::model_format(V{F::dense, F::dense}) == F::dense);
    CHECK(nuq::model_format(V{F::pack_quantized, F::dense, F::pack_quantized}) ==
          F::pack_quantized);
    // W4A16 + W8A16 is not mixed; W4A16 + W8A8 is.
    auto const f = [](char const* p) {
        return nuq::infer_module_format(nuq::preset_scheme(p, {"Linear"}));
    };
    CHECK(nuq::model_format(V{f("W4A16"), f("W8A16")}) == F::pack_quantized);
    CHECK(nuq::model_format(V{f("W4A16"), f("W8A8")}) == F::mixed_precision);
    CHECK(nuq::model_format(V{f("NVFP4"), f("FP8_DYNAMIC"), f("UNQUANTIZED")}) ==
          F::mixed_precision);
}
