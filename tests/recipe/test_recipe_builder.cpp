// recipe_builder: a recipe built in C++ resolves to the plan and quantization_config of the same
// recipe written in YAML (presets, explicit args, GPTQ), and its errors name the group's path.
#include <catch2/catch.hpp>

#include <string>
#include <variant>
#include <vector>

#include "recipe/recipe_test_util.hpp"
#include "nuq/quant/quant_args.hpp"
#include "nuq/recipe/parse.hpp"
#include "nuq/recipe/recipe_builder.hpp"
#include "nuq/recipe/resolve.hpp"

namespace nr = nuq::recipe;

namespace {

std::string const builder_examples = nuq::test::example_recipes;


/// Both recipes resolve to the same quantization_config and, module by module, the same
/// status, scheme, format, group and deciding target.
void check_same_plan(nr::recipe const& built, nr::recipe const& parsed) {
    auto const a = nr::resolve(built, nuq::test::tiny_llama_linears());
    auto const b = nr::resolve(parsed, nuq::test::tiny_llama_linears());
    CHECK(a.config == b.config);
    CHECK(a.warnings == b.warnings);
    REQUIRE(a.modules.size() == b.modules.size());
    for (std::size_t i = 0; i < a.modules.size(); ++i) {
        auto const& x = a.modules[i];
        auto const& y = b.modules[i];
        INFO(x.name);
        CHECK(x.name == y.name);
        CHECK(x.status == y.status);
        CHECK(x.scheme == y.scheme);
        CHECK(x.format == y.format);
        CHECK(x.modifier == y.modifier);
        CHECK(x.group == y.group);
        CHECK(x.target == y.target);
        CHECK(x.config_group == y.config_group);
    }
    CHECK(a.config.ignore == std::vector<std::string>{"lm_head"});
    REQUIRE(built.modifiers.size() == 1);
    REQUIRE(parsed.modifiers.size() == 1);
    CHECK(nr::type_name(built.modifiers[0]) == nr::type_name(parsed.modifiers[0]));
    CHECK(nr::info(built.modifiers[0]).path == nr::info(parsed.modifiers[0]).path);
    CHECK(nr::info(built.modifiers[0]).stage == nr::info(parsed.modifiers[0]).stage);
    CHECK(nr::info(built.modifiers[0]).group == nr::info(parsed.modifiers[0]).group);
}

nuq::quant_args int_group128(int bits, bool symmetric) {
    nuq::quant_args a;
    a.num_bits = bits;
    a.type = nuq::quant_type::int_;
    a.symmetric = symmetric;
    a.strategy = nuq::quant_strategy::group;
    a.group_size = 128;
    return a;
}

nuq::error builder_error(nr::recipe_builder const& b) {
    try {
        (void)b.build();
    } catch (nuq::error const& e) {
        return e;
    }
    FAIL("the builder's recipe was accepted");
    throw;
}

std::string const int4_attn_targets[] = {"re:.*self_attn.k_proj.*", "re:.*self_attn.o_proj.*",
                                         "re:.*self_attn.q_proj.*", "re:.*self_attn.v_proj.*",
                                         "re:.*gate_proj.*", "re:.*up_proj.*"};

} // namespace

TEST_CASE("recipe_builder: presets resolve as the YAML `scheme` mapping") {
    auto const built = nr::recipe_builder{}
                           .group("re:.*down_proj", "W8A16")
                           .group({"re:.*self_attn.*", "re:.*gate_proj", "re:.*up_proj"}, "w4a16")
                           .ignore("lm_head")
                           .build();
    auto const parsed = nr::parse_recipe_text(R"(
quant_stage:
  quant_modifiers:
    QuantizationModifier:
      ignore: [lm_head]
      scheme:
        W8A16: ["re:.*down_proj"]
        W4A16: ["re:.*self_attn.*", "re:.*gate_proj", "re:.*up_proj"]
)");
    check_same_plan(built, parsed);
    auto const& q = *nr::quantization(built.modifiers[0]);
    REQUIRE(q.groups.size() == 2);
    CHECK(q.groups[1].name == "group_1");
    CHECK(q.groups[1].path == "quant_stage.quant_modifiers.QuantizationModifier.config_groups.group_1");
    CHECK(q.ignore == std::vector<std::string>{"lm_head"});
    CHECK(q.has_config());

    // Two presets with activations: the nvfp4_fp8_presets example recipe.
    check_same_plan(nr::recipe_builder{}
                        .group("re:.*down_proj.*", "FP8_DYNAMIC")
                        .group({"re:.*self_attn\\.(q|k|v|o)_proj$", "re:.*mlp\\.(gate|up)_proj$"}, "NVFP4")
                        .ignore("lm_head")
                        .build(),
                    nr::load_recipe(builder_examples + "/nvfp4_fp8_presets.yaml"));
}

TEST_CASE("recipe_builder: groups from quant_args resolve as written-out config_groups") {
    auto int4 = int_group128(4, false);
    int4.zp_dtype = nuq::dtype::int8;
    std::vector<std::string> const attn(std::begin(int4_attn_targets), std::end(int4_attn_targets));
    check_same_plan(nr::recipe_builder{}
                        .group("re:.*down_proj.*", int_group128(8, true))
                        .group(attn, int4)
                        .ignore({"lm_head"})
                        .build(),
                    nr::load_recipe(builder_examples + "/int4_int8.yaml"));

    // The same through a whole quant_scheme.
    nuq::quant_scheme s;
    s.targets = attn;
    s.weights = int4;
    check_same_plan(nr::recipe_builder{}.group("re:.*down_proj.*", int_group128(8, true)).group(s).ignore("lm_head").build(),
                    nr::load_recipe(builder_examples + "/int4_int8.yaml"));
}

TEST_CASE("recipe_builder: gptq() makes the GPTQModifier the parser makes") {
    std::vector<std::string> const attn(std::begin(int4_attn_targets), std::end(int4_attn_targets));
    auto const built = nr::recipe_builder{}
                           .group("re:.*down_proj.*", int_group128(8, true))
                           .group(attn, int_group128(4, false))
                           .ignore("lm_head")
                           .gptq()
                           .build();
    auto const parsed = nr::load_recipe(builder_examples + "/int4_int8_gptq.yaml");
    check_same_plan(built, parsed);
    auto const& g = std::get<nr::gptq_modifier>(built.modifiers[0]);
    auto const& h = std::get<nr::gptq_modifier>(parsed.modifiers[0]);
    CHECK(g.block_size == h.block_size);
    CHECK(g.dampening_frac == h.dampening_frac);
    CHECK(g.actorder_given == h.actorder_given);
    REQUIRE(g.quant.groups.size() == 2);
    CHECK(g.quant.groups[1].scheme.weights->actorder == nuq::actorder_mode::weight);

    // One preset on every Linear: the gptq_w4a16 example recipe.
    check_same_plan(nr::recipe_builder{}.group("Linear", "W4A16").ignore("lm_head").gptq().build(),
                    nr::load_recipe(builder_examples + "/gptq_w4a16.yaml"));
}

TEST_CASE("recipe_builder: errors name the group's recipe path") {
    auto const bad_preset = builder_error(
        nr::recipe_builder{}.group("re:.*down_proj", "W8A16").group("re:.*up_proj", "W4A17"));
    CHECK(bad_preset.id() == "recipe.unknown_preset");
    CHECK(bad_preset.where() == "quant_stage.quant_modifiers.QuantizationModifier.config_groups.group_1");
    CHECK_THAT(std::string(bad_preset.what()), Catch::Contains("W4A17") && Catch::Contains("group_1"));

    auto const gptq_preset = builder_error(nr::recipe_builder{}.group("Linear", "NOPE").gptq());
    CHECK(gptq_preset.where() == "quant_stage.quant_modifiers.GPTQModifier.config_groups.group_0");

    auto bad_args = int_group128(4, true);
    bad_args.group_size.reset(); // strategy group without a group size
    auto const args = builder_error(nr::recipe_builder{}.group("Linear", bad_args));
    CHECK_THAT(args.where(), Catch::StartsWith(
                                 "quant_stage.quant_modifiers.QuantizationModifier.config_groups.group_0.weights"));

    auto const pattern = builder_error(nr::recipe_builder{}.group("re:(", "W4A16"));
    CHECK_THAT(pattern.where(), Catch::StartsWith(
                                    "quant_stage.quant_modifiers.QuantizationModifier.config_groups.group_0.targets"));

    auto const ignore = builder_error(nr::recipe_builder{}.group("Linear", "W4A16").ignore("re:["));
    CHECK_THAT(ignore.where(), Catch::StartsWith("quant_stage.quant_modifiers.QuantizationModifier.ignore"));

    CHECK(builder_error(nr::recipe_builder{}).id() == "recipe.empty_modifier");
}
