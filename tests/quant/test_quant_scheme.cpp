// quant_scheme: docs/FORMAT.md §1.3 rules and JSON, against the `schemes` cases of configs.json (CT 0.18).
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <string>

#include "support/test_helpers.hpp"
#include "nuq/quant/quant_scheme.hpp"

using nlohmann::json;

namespace {

using nuq::test::error_of;
using nuq::test::load_configs;

} // namespace

TEST_CASE("quant_scheme: every configs.json scheme case matches the reference", "[quant_scheme]") {
    auto const cases = load_configs().at("schemes");
    std::map<std::string, std::string> const error_where{
        {"err_format_mixed_precision", "config_groups.g.format"},
        {"err_input_channel", "config_groups.g.input_activations.strategy"},
        {"err_input_actorder", "config_groups.g.input_activations.actorder"},
        {"err_unknown_key", "config_groups.g.foo"},
    };
    int ok = 0, failed = 0;
    for (auto const& [name, c] : cases.items()) {
        INFO("case " << name);
        if (c.contains("scheme")) {
            auto const s = nuq::parse_quant_scheme(c.at("input"), "config_groups.g");
            CHECK(nuq::dump(s) == c.at("scheme"));
            CHECK(nuq::parse_quant_scheme(nuq::dump(s)) == s);
            ++ok;
        } else {
            REQUIRE(error_where.count(name) == 1);
            auto const e =
                error_of([&] { (void)nuq::parse_quant_scheme(c.at("input"), "config_groups.g"); });
            CHECK(e.where() == error_where.at(name));
            CHECK_THAT(e.what(), Catch::Contains(e.where()));
            ++failed;
        }
    }
    CHECK(ok == 4);
    CHECK(failed == 4);
}

TEST_CASE("quant_scheme: structure", "[quant_scheme]") {
    SECTION("targets are required and are strings") {
        CHECK(error_of([] { (void)nuq::parse_quant_scheme(json::object(), "g"); }).where() ==
              "g.targets");
        CHECK(error_of([] { (void)nuq::parse_quant_scheme(json{{"targets", "Linear"}}, "g"); })
                  .where() == "g.targets");
        CHECK(error_of([] {
                  (void)nuq::parse_quant_scheme(json{{"targets", {"Linear", 3}}}, "g");
              }).where() == "g.targets[1]");
        CHECK(nuq::parse_quant_scheme(json{{"targets", json::array()}}).targets.empty());
    }
    SECTION("errors inside args carry the full path") {
        auto const e = error_of([] {
            (void)nuq::parse_quant_scheme(
                json{{"targets", {"Linear"}}, {"weights", {{"num_bits", 4}, {"group_sz", 128}}}},
                "config_groups.group_1");
        });
        CHECK(e.where() == "config_groups.group_1.weights.group_sz");
        auto const e2 = error_of([] {
            (void)nuq::parse_quant_scheme(
                json{{"targets", {"Linear"}}, {"output_activations", {{"group_size", 0}}}}, "g");
        });
        CHECK(e2.where() == "g.output_activations.group_size");
    }
    SECTION("format: strict names, any but mixed-precision") {
        auto const s = nuq::parse_quant_scheme(
            json{{"targets", {"Linear"}}, {"weights", {{"num_bits", 4}, {"group_size", 128}}},
                 {"format", "marlin-24"}});
        CHECK(s.format == nuq::compression_format::marlin_24);
        auto const e = error_of([] {
            (void)nuq::parse_quant_scheme(
                json{{"targets", {"Linear"}}, {"format", "Pack-Quantized"}}, "g");
        });
        CHECK(e.where() == "g.format");
        CHECK_THAT(e.expected(), Catch::Contains("\"pack-quantized\""));
    }
    SECTION("input activation strategies") {
        for (auto [strategy, ok] : std::map<std::string, bool>{{"token", true},
                                                              {"tensor", true},
                                                              {"attn_head", true},
                                                              {"channel", false},
                                                              {"block", false}}) {
            json in{{"strategy", strategy}, {"dynamic", strategy == "token"}};
            if (strategy == "block") in["block_structure"] = {2, 2};
            json const j{{"targets", {"Linear"}}, {"input_activations", in}};
            INFO(strategy);
            if (ok) {
                CHECK_NOTHROW(nuq::parse_quant_scheme(j));
            } else {
                CHECK(error_of([&] { (void)nuq::parse_quant_scheme(j, "g"); }).where() ==
                      "g.input_activations.strategy");
            }
        }
    }
    SECTION("output actorder") {
        json const j{{"targets", {"Linear"}},
                     {"output_activations", {{"group_size", 32}, {"actorder", "static"}}}};
        CHECK(error_of([&] { (void)nuq::parse_quant_scheme(j, "g"); }).where() ==
              "g.output_activations.actorder");
    }
}

TEST_CASE("quant_scheme: dump and ct_legacy_keys", "[quant_scheme]") {
    auto const s = nuq::parse_quant_scheme(
        json{{"targets", {"re:.*mlp.*", "Linear"}},
             {"weights", {{"num_bits", 4}, {"type", "float"}, {"group_size", 16},
                          {"strategy", "tensor_group"}, {"scale_dtype", "torch.float8_e4m3fn"}}},
             {"format", "nvfp4-pack-quantized"}});
    auto const d = nuq::dump(s);
    CHECK(d["targets"] == json{"re:.*mlp.*", "Linear"});
    CHECK(d["input_activations"].is_null());
    CHECK(d["output_activations"].is_null());
    CHECK(d["format"] == "nvfp4-pack-quantized");
    CHECK(d["weights"]["scale_dtype"] == "torch.float8_e4m3fn");
    auto const legacy = nuq::dump(s, {.ct_legacy_keys = true});
    CHECK_FALSE(legacy["weights"].contains("scale_dtype"));
    CHECK(legacy["weights"].size() == 10);
    json j = s;
    CHECK(j.get<nuq::quant_scheme>() == s);
}
