// Recipe parsing: the llm-compressor grammar in YAML and JSON, every field of the supported
// modifiers, PyYAML scalar rules, and bad recipes whose errors name their recipe path.
#include <catch2/catch.hpp>

#include <string>
#include <variant>

#include "nuq/recipe/parse.hpp"

namespace nr = nuq::recipe;

namespace {

std::string const qm = "quant_stage.quant_modifiers.QuantizationModifier";

/// The error a bad recipe gives.
nuq::error error_of(std::string const& yaml) {
    try {
        nr::parse_recipe_yaml(yaml, "bad.yaml");
    } catch (nuq::error const& e) {
        return e;
    }
    FAIL("the recipe was accepted:\n" << yaml);
    throw;
}

} // namespace

TEST_CASE("stages, groups and modifiers flatten in file order") {
    auto const r = nr::parse_recipe_yaml(R"(
smooth_stage:
  smoothing_modifiers:
    SmoothQuantModifier:
      smoothing_strength: 0.8
      mappings:
        - [["re:.*q_proj", "re:.*k_proj", "re:.*v_proj"], "re:.*input_layernorm"]
        - [["re:.*gate_proj", "re:.*up_proj"], "re:.*post_attention_layernorm"]
quant_stage:
  quant_modifiers:
    GPTQModifier:
      scheme: W8A8
      targets: Linear
      ignore: [lm_head]
  second_modifiers:
    GPTQModifier:
      group: custom
      scheme: {W4A16: ["re:.*mlp.*"]}
args:
  anything: 1
)");
    REQUIRE(r.modifiers.size() == 3);
    CHECK(nr::type_name(r.modifiers[0]) == "SmoothQuantModifier");
    CHECK(nr::info(r.modifiers[0]).path == "smooth_stage.smoothing_modifiers.SmoothQuantModifier");
    CHECK(nr::info(r.modifiers[0]).stage == "smooth");
    CHECK(nr::info(r.modifiers[0]).group == "smoothing");
    auto const& sq = std::get<nr::smoothquant_modifier>(r.modifiers[0]);
    CHECK(sq.smoothing_strength == 0.8);
    REQUIRE(sq.mappings);
    CHECK(sq.mappings->at(1).smooth_layer == "re:.*post_attention_layernorm");
    CHECK(sq.mappings->at(1).balance_layers.size() == 2);
    CHECK(nr::info(r.modifiers[2]).group == "custom");
    auto const& g = std::get<nr::gptq_modifier>(r.modifiers[1]);
    CHECK(g.quant.targets == std::vector<std::string>{"Linear"}); // a lone string becomes a list
    REQUIRE(g.quant.groups.size() == 1);
    CHECK(g.quant.groups[0].name == "group_0");
    CHECK(g.quant.groups[0].scheme.targets == std::vector<std::string>{"Linear"});
    CHECK(r.args["anything"] == 1);
}

TEST_CASE("GPTQModifier fields and actorder resolution") {
    auto const r = nr::parse_recipe_yaml(R"(
quant_stage:
  quant_modifiers:
    GPTQModifier:
      block_size: 64
      dampening_frac: 0.001
      offload_hessians: true
      sequential_targets: [LlamaDecoderLayer]
      scheme: W4A16
      ignore: [lm_head]
)");
    auto const& g = std::get<nr::gptq_modifier>(r.modifiers[0]);
    CHECK(g.block_size == 64);
    CHECK(g.dampening_frac == 0.001);
    CHECK(g.offload_hessians);
    CHECK(g.sequential_targets == std::vector<std::string>{"LlamaDecoderLayer"});
    CHECK_FALSE(g.actorder_given);
    // The "static" sentinel fills schemes that have no actorder.
    auto const& w = *g.quant.groups[0].scheme.weights;
    CHECK(w.actorder == nuq::actorder_mode::weight);
    CHECK(nuq::dump(w)["actorder"] == "static");

    auto const none = nr::parse_recipe_yaml(R"(
quant_stage: {quant_modifiers: {GPTQModifier: {scheme: W4A16, actorder: null}}}
)");
    CHECK(std::get<nr::gptq_modifier>(none.modifiers[0]).quant.groups[0].scheme.weights->actorder ==
          nuq::actorder_mode::none);
    // "group" on a channel scheme falls back to none, as compressed-tensors reloads it.
    auto const channel = nr::parse_recipe_yaml(R"(
quant_stage: {quant_modifiers: {GPTQModifier: {scheme: W8A8, actorder: group}}}
)");
    CHECK(std::get<nr::gptq_modifier>(channel.modifiers[0]).quant.groups[0].scheme.weights->actorder ==
          nuq::actorder_mode::none);
}

TEST_CASE("AWQModifier and QuantizationModifier fields") {
    auto const r = nr::parse_recipe_yaml(R"(
quant_stage:
  quant_modifiers:
    AWQModifier:
      duo_scaling: both
      n_grid: 10
      offload_device: cpu
      mappings:
        - smooth_layer: "re:.*input_layernorm$"
          balance_layers: ["re:.*q_proj$", "re:.*k_proj$", "re:.*v_proj$"]
        - smooth_layer: "re:.*up_proj$"
          balance_layers: ["re:.*down_proj$"]
          activation_hook_target: mlp
    QuantizationModifier:
      scheme: NVFP4
      targets: [Linear]
      ignore: [lm_head, "re:.*mlp.gate$"]
      kv_cache_scheme: {num_bits: 8, type: float, symmetric: true, strategy: tensor}
      observer: {weights: mse}
      bypass_divisibility_checks: yes
)");
    auto const& a = std::get<nr::awq_modifier>(r.modifiers[0]);
    CHECK(a.duo == nr::duo_scaling::both);
    CHECK(a.n_grid == 10);
    CHECK(a.offload_device == "cpu");
    REQUIRE(a.mappings->size() == 2);
    CHECK(a.mappings->at(1).activation_hook_target == "mlp");
    CHECK(a.mappings->at(0).path == "quant_stage.quant_modifiers.AWQModifier.mappings[0]");
    auto const& q = std::get<nr::quantization_modifier>(r.modifiers[1]);
    CHECK(q.quant.ignore.size() == 2);
    CHECK(q.quant.kv_cache_scheme->num_bits == 8);
    CHECK(q.quant.bypass_divisibility_checks); // `yes` is a YAML 1.1 boolean, as in PyYAML
    auto const& s = q.quant.groups[0].scheme;
    CHECK(s.weights->observer == "mse");                   // override applied
    CHECK(s.input_activations->observer == "static_minmax"); // the preset's, untouched
}

TEST_CASE("YAML scalars resolve as PyYAML does, and JSON gives the same recipe") {
    auto const y = nr::load_recipe(NUQ_TEST_DATA "/../../examples/recipes/int4_int8.yaml");
    auto const j = nr::load_recipe(NUQ_TEST_DATA "/../../examples/recipes/int4_int8.json");
    auto const& qy = std::get<nr::quantization_modifier>(y.modifiers[0]).quant;
    auto const& qj = std::get<nr::quantization_modifier>(j.modifiers[0]).quant;
    REQUIRE(qy.groups.size() == 2);
    REQUIRE(qj.groups.size() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
        CHECK(qy.groups[i].name == qj.groups[i].name);
        CHECK(qy.groups[i].scheme == qj.groups[i].scheme);
    }
    // A quoted number stays a string; `~` is null.
    auto const e = error_of(R"(
quant_stage:
  quant_modifiers:
    QuantizationModifier:
      config_groups:
        group_0:
          targets: [Linear]
          weights: {num_bits: "8", type: int}
          input_activations: ~
)");
    CHECK(e.where().starts_with(qm + ".config_groups.group_0.weights.num_bits"));
}

TEST_CASE("bad recipes: errors name the recipe path and say what to do") {
    struct bad {
        char const* yaml;
        std::string where;
        char const* id;
    };
    std::vector<bad> const cases{
        // 1. unknown key inside a group's args, with a suggestion
        {R"(
quant_stage:
  quant_modifiers:
    QuantizationModifier:
      config_groups:
        group_1:
          targets: [Linear]
          weights: {num_bits: 4, type: int, group_sise: 128, strategy: group}
)",
         qm + ".config_groups.group_1.weights.group_sise", "quant_args.unknown_key"},
        // 2. a group_size that breaks the args rules
        {R"(
quant_stage:
  quant_modifiers:
    QuantizationModifier:
      config_groups:
        group_1:
          targets: [Linear]
          weights: {num_bits: 4, type: int, strategy: group, group_size: -5}
)",
         qm + ".config_groups.group_1.weights.group_size", "quant_args.group_size"},
        // 3. unknown modifier
        {R"(
quant_stage:
  quant_modifiers:
    GPTQModifer: {scheme: W4A16}
)",
         "quant_stage.quant_modifiers.GPTQModifer", "recipe.unknown_modifier"},
        // 4. unknown preset
        {R"(
quant_stage:
  quant_modifiers:
    QuantizationModifier: {scheme: W4A17, targets: [Linear]}
)",
         qm + ".scheme", "recipe.unknown_preset"},
        // 5. unknown modifier field
        {R"(
quant_stage:
  quant_modifiers:
    GPTQModifier: {scheme: W4A16, blocksize: 64}
)",
         "quant_stage.quant_modifiers.GPTQModifier.blocksize", "recipe.unknown_key"},
        // 6. wrong type
        {R"(
quant_stage:
  quant_modifiers:
    GPTQModifier: {scheme: W4A16, block_size: "big"}
)",
         "quant_stage.quant_modifiers.GPTQModifier.block_size", "recipe.type"},
        // 7. scheme and config_groups together
        {R"(
quant_stage:
  quant_modifiers:
    QuantizationModifier:
      scheme: W4A16
      config_groups: {group_0: {targets: [Linear], weights: {num_bits: 4}}}
)",
         qm + ".scheme", "recipe.scheme_and_config_groups"},
        // 8. a top-level key that is not a stage (llm-compressor would ignore it silently)
        {R"(
quant:
  quant_modifiers:
    QuantizationModifier: {scheme: W4A16}
)",
         "quant", "recipe.unknown_key"},
        // 9. a stage key that is not a modifier group
        {R"(
quant_stage:
  QuantizationModifier: {scheme: W4A16}
)",
         "quant_stage.QuantizationModifier", "recipe.unknown_key"},
        // 10. a regex that does not compile
        {R"(
quant_stage:
  quant_modifiers:
    QuantizationModifier: {scheme: W4A16, ignore: ["re:.*(lm_head"]}
)",
         qm + ".ignore[0]", "recipe.regex"},
        // 11. AWQ with no quantizing modifier after it
        {R"(
quant_stage:
  quant_modifiers:
    QuantizationModifier: {scheme: W4A16}
    AWQModifier: {duo_scaling: true}
)",
         "quant_stage.quant_modifiers.AWQModifier", "recipe.awq_order"},
        // 12. AWQ given quantization fields (those belong on the quantizing modifier)
        {R"(
quant_stage:
  quant_modifiers:
    AWQModifier: {scheme: W4A16}
    QuantizationModifier: {scheme: W4A16}
)",
         "quant_stage.quant_modifiers.AWQModifier.scheme", "recipe.unknown_key"},
        // 13. the same modifier twice in one group
        {R"(
quant_stage:
  quant_modifiers:
    GPTQModifier: {scheme: W4A16}
    GPTQModifier: {scheme: W8A8}
)",
         "quant_stage.quant_modifiers.GPTQModifier", "recipe.duplicate_key"},
        // 14. modifier actorder conflicting with a group's
        {R"(
quant_stage:
  quant_modifiers:
    GPTQModifier:
      actorder: group
      config_groups:
        group_0:
          targets: [Linear]
          weights: {num_bits: 4, type: int, strategy: group, group_size: 128, actorder: weight}
)",
         "quant_stage.quant_modifiers.GPTQModifier.actorder", "recipe.actorder"},
        // 15. a QuantizationModifier with nothing configured
        {R"(
quant_stage:
  quant_modifiers:
    QuantizationModifier: {targets: [Linear]}
)",
         qm, "recipe.empty_modifier"},
        // 16. duo_scaling outside {true, false, "both"}
        {R"(
quant_stage:
  quant_modifiers:
    AWQModifier: {duo_scaling: always}
    QuantizationModifier: {scheme: W4A16}
)",
         "quant_stage.quant_modifiers.AWQModifier.duo_scaling", "recipe.type"},
        // 17. a SmoothQuant mapping in AWQ's shape
        {R"(
quant_stage:
  quant_modifiers:
    SmoothQuantModifier:
      mappings: [{smooth_layer: "re:.*input_layernorm", balance_layers: ["re:.*q_proj"]}]
)",
         "quant_stage.quant_modifiers.SmoothQuantModifier.mappings[0]", "recipe.type"},
    };
    for (auto const& c : cases) {
        INFO(c.yaml);
        auto const e = error_of(c.yaml);
        CHECK(e.id() == c.id);
        CHECK(e.where().starts_with(c.where));
        CHECK_THAT(e.where(), Catch::Contains("bad.yaml:")); // and the line
        CHECK_FALSE(e.fix().empty());
    }
}

TEST_CASE("error messages suggest the closest name and point at the line") {
    auto const e = error_of("quant_stage:\n  quant_modifiers:\n    GPTQModifier:\n      scheme: W4A16\n"
                            "      dampening_fraction: 0.1\n");
    CHECK(e.where() == "quant_stage.quant_modifiers.GPTQModifier.dampening_fraction (bad.yaml:5)");
    CHECK_THAT(e.fix(), Catch::Contains("did you mean `dampening_frac`?"));
    auto const p = error_of("quant_stage:\n  quant_modifiers:\n    QuantizationModifier:\n      scheme: nvfp5\n");
    CHECK_THAT(p.fix(), Catch::Contains("`NVFP4`"));
}

TEST_CASE("JSON recipes: syntax errors and repeated keys are refused") {
    CHECK_THROWS_AS(nr::parse_recipe_json("{\"quant_stage\": {", "x.json"), nuq::error);
    try {
        nr::parse_recipe_json(R"({"quant_stage": {"quant_modifiers": {
            "GPTQModifier": {"scheme": "W4A16"}, "GPTQModifier": {"scheme": "W8A8"}}}})",
                              "x.json");
        FAIL("accepted a repeated key");
    } catch (nuq::error const& e) {
        CHECK(e.id() == "recipe.duplicate_key");
    }
    auto const r = nr::parse_recipe_text(R"({"quant_stage": {"quant_modifiers":
        {"QuantizationModifier": {"scheme": "fp8_dynamic", "ignore": ["lm_head"]}}}})");
    CHECK(std::get<nr::quantization_modifier>(r.modifiers[0]).quant.groups[0].scheme.weights->num_bits == 8);
}

TEST_CASE("flow-style YAML that is not JSON, and boolean actorder inside args") {
    auto const r = nr::parse_recipe_text(R"({quant_stage: {quant_modifiers: {GPTQModifier: {
        ignore: [lm_head], actorder: null,
        config_groups: {group_0: {targets: [Linear],
                                  weights: {num_bits: 4, type: int, symmetric: true, strategy: channel,
                                            actorder: False}}},
        kv_cache_scheme: {num_bits: 8, type: float, symmetric: true, strategy: tensor}}}}})");
    auto const& g = std::get<nr::gptq_modifier>(r.modifiers[0]);
    CHECK(g.actorder_given);
    CHECK(g.quant.groups[0].scheme.weights->actorder == nuq::actorder_mode::none);
    CHECK(g.quant.kv_cache_scheme->type == nuq::quant_type::float_);
}
