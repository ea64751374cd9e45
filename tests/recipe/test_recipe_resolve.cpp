// resolve: every example recipe against the tiny Llama, the golden recipes against the golden
// quantization_configs, precedence between groups and modifiers, and needs_calibration.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "recipe/recipe_test_util.hpp"
#include "nuq/quant/quantization_config.hpp"
#include "nuq/recipe/calibration.hpp"
#include "nuq/recipe/parse.hpp"
#include "nuq/recipe/resolve.hpp"

namespace nr = nuq::recipe;
namespace fs = std::filesystem;
using nuq::compression_format;

namespace {

std::string const examples = nuq::test::example_recipes;
std::string const recipes = NUQ_TEST_DATA "/recipes";


nr::plan resolve_yaml(std::string const& yaml) {
    return nr::resolve(nr::parse_recipe_yaml(yaml, "test.yaml"), nuq::test::tiny_llama_linears());
}

std::string const q0 = "model.layers.0.self_attn.q_proj";
std::string const down0 = "model.layers.0.mlp.down_proj";

} // namespace

TEST_CASE("every example recipe parses and resolves against the tiny Llama") {
    std::size_t count = 0;
    for (auto const& entry : fs::directory_iterator(examples)) {
        auto const path = entry.path();
        if (path.extension() != ".yaml" && path.extension() != ".json") continue;
        INFO(path.filename().string());
        ++count;
        auto const r = nr::load_recipe(path);
        auto const p = nr::resolve(r, nuq::test::tiny_llama_linears());
        CHECK(p.modules.size() == 43);
        CHECK(p.warnings.empty());
        // Every decoder projection is quantized, lm_head is not.
        for (auto const& m : p.modules) {
            if (m.name == "lm_head") {
                CHECK(m.status != nr::module_status::quantized);
            } else {
                CHECK(m.status == nr::module_status::quantized);
                CHECK(m.format != compression_format::dense);
                REQUIRE(m.config_group);
                CHECK(p.config.config_groups.at(*m.config_group).scheme == *m.scheme);
            }
        }
        CHECK(p.config.ignore == std::vector<std::string>{"lm_head"});
    }
    CHECK(count >= 12);
}

TEST_CASE("golden recipes resolve to the golden quantization_config") {
    for (auto name : {"int4_int8", "fp8_multiple_strategies", "nvfp4a16_fp8", "w8a8_int8",
                      "calibrated_fp8_static", "calibrated_int8_static", "calibrated_int8_static_no_observer",
                      "calibrated_nvfp4_w4a4_fp8", "calibrated_nvfp4_w4a4_fp8_no_observer"}) {
        INFO(name);
        auto const dir = recipes + "/" + name;
        auto const p = nr::resolve(nr::load_recipe(dir + "/recipe.yaml"), nuq::test::tiny_llama_linears());
        std::ifstream f(dir + "/config.json");
        auto const golden = nlohmann::json::parse(f)["quantization_config"];
        auto const mine = nuq::dump(p.config);
        CHECK(mine["config_groups"] == golden["config_groups"]);
        CHECK(mine["ignore"] == golden["ignore"]);
        CHECK(mine["format"] == golden["format"]);
        CHECK(mine["kv_cache_scheme"] == golden["kv_cache_scheme"]);
        CHECK(mine["quantization_status"] == golden["quantization_status"]);
    }
}

TEST_CASE("golden int4_int8: groups are named in module order, not recipe order") {
    auto const p = nr::resolve(nr::load_recipe(examples + "/int4_int8.yaml"), nuq::test::tiny_llama_linears());
    auto const& q = *p.find(q0);
    CHECK(q.group == "group_1");          // the recipe's name
    CHECK(q.config_group == 0u);          // the written name: group_0
    CHECK(q.format == compression_format::pack_quantized);
    CHECK(q.target == "re:.*self_attn.q_proj.*");
    CHECK(p.find(down0)->config_group == 1u);
    CHECK(p.config.format == compression_format::pack_quantized);
    CHECK_FALSE(nr::needs_calibration(p));
}

TEST_CASE("formats and the quantizing modifier of each module") {
    auto const p = nr::resolve(nr::load_recipe(examples + "/multiple_modifiers.yaml"), nuq::test::tiny_llama_linears());
    auto const& q = *p.find(q0);
    CHECK(q.modifier == 0u); // GPTQModifier
    CHECK(q.format == compression_format::int_quantized);
    CHECK(q.scheme->weights->actorder == nuq::actorder_mode::weight); // GPTQ's "static" default
    auto const& d = *p.find(down0);
    CHECK(d.modifier == 2u); // QuantizationModifier, after AWQ
    CHECK(d.format == compression_format::pack_quantized);
    CHECK(p.find("lm_head")->status == nr::module_status::unmatched);
    CHECK(p.config.format == compression_format::mixed_precision);
    CHECK(p.config.config_groups.size() == 2);
    auto const why = nr::needs_calibration(p);
    REQUIRE(why);
    CHECK_THAT(*why, Catch::Contains("GPTQModifier"));

    auto const e2e = nr::resolve(nr::load_recipe(examples + "/e2e_gptq_awq.yaml"), nuq::test::tiny_llama_linears());
    CHECK(e2e.find(q0)->modifier == 1u);
    CHECK(e2e.find(q0)->format == compression_format::pack_quantized);
    CHECK(e2e.find(down0)->modifier == 2u);
    CHECK(e2e.find(down0)->scheme->weights->actorder == nuq::actorder_mode::none); // actorder: null
    CHECK(e2e.find("lm_head")->status == nr::module_status::unmatched);
    CHECK_THAT(*nr::needs_calibration(e2e), Catch::Contains("AWQModifier"));
}

TEST_CASE("precedence between config groups") {
    // Exact name beats regex beats class, whatever the group order.
    auto const p = resolve_yaml(R"(
quant_stage:
  quant_modifiers:
    QuantizationModifier:
      ignore: [lm_head]
      config_groups:
        exact: {targets: ["model.layers.0.self_attn.q_proj"], weights: {num_bits: 8, type: int, strategy: channel}}
        regex: {targets: ["re:.*self_attn.*"], weights: {num_bits: 4, type: int, strategy: group, group_size: 128}}
        cls:   {targets: [Linear], weights: {num_bits: 8, type: float, strategy: channel}}
)");
    CHECK(p.find(q0)->group == "exact");
    CHECK(p.find("model.layers.1.self_attn.q_proj")->group == "regex");
    CHECK(p.find(down0)->group == "cls");
    CHECK(p.find("lm_head")->status == nr::module_status::ignored);
    // Written groups follow module order: q0 (exact), k0 (regex), gate0 (class).
    REQUIRE(p.config.config_groups.size() == 3);
    CHECK(p.config.config_groups[0].scheme.weights->num_bits == 8);
    CHECK(p.config.config_groups[1].scheme.weights->num_bits == 4);
    CHECK(p.config.config_groups[2].scheme.weights->type == nuq::quant_type::float_);

    // Two regexes: the alphabetically first pattern wins, not the first group.
    auto const r = resolve_yaml(R"(
quant_stage:
  quant_modifiers:
    QuantizationModifier:
      config_groups:
        first: {targets: ["re:model.*"], weights: {num_bits: 8, type: int, strategy: channel}}
        second: {targets: ["re:.*mlp.*"], weights: {num_bits: 4, type: int, strategy: group, group_size: 128}}
)");
    CHECK(r.find(down0)->group == "second"); // ".*mlp.*" < "model.*"
    CHECK(r.find(q0)->group == "first");
    CHECK(r.config.ignore == std::vector<std::string>{"lm_head"}); // matched by neither pattern

    // The same target in two groups: the later group wins.
    auto const s = resolve_yaml(R"(
quant_stage:
  quant_modifiers:
    QuantizationModifier:
      ignore: [lm_head]
      config_groups:
        a: {targets: [Linear], weights: {num_bits: 8, type: int, strategy: channel}}
        b: {targets: [Linear], weights: {num_bits: 4, type: int, strategy: group, group_size: 128}}
)");
    CHECK(s.find(q0)->group == "b");
    CHECK(s.config.config_groups.size() == 1);
}

TEST_CASE("later modifiers replace earlier schemes, and ignore keeps them") {
    auto const p = resolve_yaml(R"(
first_stage:
  quant_modifiers:
    QuantizationModifier: {scheme: W8A8, targets: [Linear], ignore: [lm_head]}
second_stage:
  quant_modifiers:
    QuantizationModifier:
      scheme: W4A16
      targets: ["re:.*mlp.*"]
      ignore: ["model.layers.5.mlp.down_proj"]
)");
    CHECK(p.find(q0)->modifier == 0u);
    CHECK(p.find(down0)->modifier == 1u);
    CHECK(p.find(down0)->format == compression_format::pack_quantized);
    CHECK(p.find("model.layers.5.mlp.down_proj")->modifier == 0u); // ignored by the second only
    CHECK(p.warnings.size() == 17); // 3 MLP projections × 6 layers − 1 ignored, replaced
    CHECK(p.config.config_groups.size() == 2);
    CHECK(p.config.format == compression_format::mixed_precision);

    // A GPTQModifier with nothing configured quantizes what earlier modifiers targeted.
    auto const g = resolve_yaml(R"(
quant_stage:
  rtn_modifiers:
    QuantizationModifier: {scheme: W4A16, targets: ["re:.*self_attn.*"]}
  gptq_modifiers:
    GPTQModifier: {block_size: 64}
)");
    CHECK(g.find(q0)->modifier == 1u);
    CHECK(g.find(down0)->status == nr::module_status::unmatched);
    CHECK(g.config.ignore->size() == 19); // 18 MLP projections + lm_head
}

TEST_CASE("unmatched targets and modules without args") {
    auto const p = resolve_yaml(R"(
quant_stage:
  quant_modifiers:
    QuantizationModifier:
      scheme: {W4A16: ["re:.*mlp.*", "model.layers.9.self_attn.q_proj"]}
)");
    REQUIRE(p.warnings.size() == 1);
    CHECK_THAT(p.warnings[0], Catch::Contains("model.layers.9.self_attn.q_proj"));

    // A KV-cache-only modifier quantizes no Linear, and needs calibration.
    auto const kv = resolve_yaml(R"(
quant_stage:
  quant_modifiers:
    QuantizationModifier:
      kv_cache_scheme: {num_bits: 8, type: float, symmetric: true, strategy: tensor}
)");
    CHECK(kv.find(q0)->status == nr::module_status::no_args);
    CHECK(kv.config.config_groups.empty());
    CHECK(kv.config.ignore->empty());
    CHECK(kv.config.kv_cache_scheme);
    CHECK_THAT(*nr::needs_calibration(kv), Catch::Contains("kv_cache_scheme"));
}

TEST_CASE("needs_calibration reports static and local activations") {
    auto const fp8 = resolve_yaml("quant_stage: {quant_modifiers: {QuantizationModifier: {scheme: FP8}}}");
    CHECK_THAT(*nr::needs_calibration(fp8), Catch::Contains("static"));
    auto const nvfp4 = nr::resolve(nr::load_recipe(examples + "/nvfp4_fp8.yaml"), nuq::test::tiny_llama_linears());
    CHECK_THAT(*nr::needs_calibration(nvfp4), Catch::Contains("local"));
    CHECK_THAT(*nr::needs_calibration(nvfp4), Catch::Contains("config_groups.group_1.input_activations"));
    auto const dyn = nr::resolve(nr::load_recipe(examples + "/fp8_multiple_strategies.yaml"), nuq::test::tiny_llama_linears());
    CHECK_FALSE(nr::needs_calibration(dyn));
    auto const sq = resolve_yaml(R"(
quant_stage:
  quant_modifiers:
    SmoothQuantModifier: {smoothing_strength: 0.8}
    QuantizationModifier: {scheme: W8A8, ignore: [lm_head]}
)");
    CHECK_THAT(*nr::needs_calibration(sq), Catch::Contains("SmoothQuantModifier"));
}

TEST_CASE("an explicit group format wins over the inferred one") {
    auto const p = resolve_yaml(R"(
quant_stage:
  quant_modifiers:
    QuantizationModifier:
      ignore: [lm_head]
      config_groups:
        group_0:
          targets: [Linear]
          format: naive-quantized
          weights: {num_bits: 4, type: int, strategy: group, group_size: 128}
)");
    CHECK(p.find(q0)->format == compression_format::naive_quantized);
    CHECK(p.config.format == compression_format::naive_quantized);
}
