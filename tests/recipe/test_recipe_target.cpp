// Target matching (compressed-tensors semantics), Python regex translation, and which
// checkpoint tensors are Linear modules in which order.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "recipe/recipe_test_util.hpp"
#include "nuq/recipe/modules.hpp"
#include "nuq/recipe/target.hpp"

using nuq::recipe::target;

namespace {

std::vector<std::string> const linear{"Linear"};

bool name_matches(std::string const& t, std::string const& module) {
    return target(t, "t").matches(module, linear);
}

std::vector<std::string> ordered(std::vector<std::string> const& texts, std::string const& module,
                                 std::vector<std::string> const& classes = linear) {
    auto const targets = nuq::recipe::compile_targets(texts, "targets");
    std::vector<std::string> out;
    for (auto i : nuq::recipe::match_targets(targets, module, classes)) out.push_back(texts[i]);
    return out;
}

} // namespace

TEST_CASE("re: targets are Python re.match: anchored at the start only") {
    CHECK(name_matches("re:.*q_proj", "model.layers.0.self_attn.q_proj"));
    CHECK(name_matches("re:.*q_proj", "model.layers.0.self_attn.q_proj_extra")); // no end anchor
    CHECK_FALSE(name_matches("re:.*q_proj$", "model.layers.0.self_attn.q_proj_extra"));
    CHECK_FALSE(name_matches("re:q_proj", "model.layers.0.self_attn.q_proj")); // start anchored
    CHECK(name_matches("re:model\\.layers\\.1\\.", "model.layers.1.mlp.up_proj"));
    CHECK_FALSE(name_matches("re:model\\.layers\\.1\\.", "model.layers.10.mlp.up_proj"));
    CHECK(name_matches("re:.*self_attn\\.(k|q|o|v)_proj$", "model.layers.3.self_attn.o_proj"));
    CHECK(name_matches("re:.*self_attn.k_proj.*", "model.layers.3.self_attn.k_proj"));
}

TEST_CASE("exact names and class names") {
    CHECK(name_matches("lm_head", "lm_head"));
    CHECK_FALSE(name_matches("lm_head", "model.lm_head"));
    CHECK(name_matches("Linear", "model.layers.0.mlp.up_proj"));
    CHECK_FALSE(target("Linear", "t").matches("model.layers.0.mlp.up_proj", {}));
    CHECK_FALSE(name_matches("Embedding", "model.layers.0.mlp.up_proj"));
    // A pattern never matches by class.
    CHECK_FALSE(target("re:Linear", "t").matches_class(linear));
}

TEST_CASE("Python-only regex constructs are translated or refused") {
    CHECK(name_matches("re:.*(?P<kind>q|k)_proj$", "model.layers.0.self_attn.k_proj"));
    CHECK(name_matches("re:\\Amodel.*down_proj\\Z", "model.layers.2.mlp.down_proj"));
    CHECK_FALSE(name_matches("re:\\Amodel.*down_proj\\Z", "model.layers.2.mlp.down_proj.x"));
    CHECK(name_matches("re:.*layers\\.\\d{,2}\\.mlp", "model.layers.12.mlp.up_proj"));
    CHECK(name_matches("re:.*[(]?q_proj", "model.q_proj")); // `(` inside a class is a literal

    auto refused = [](std::string const& t, std::string const& what) {
        try {
            target(t, "quant_stage.quant_modifiers.QuantizationModifier.targets[0]");
            FAIL("accepted " << t);
        } catch (nuq::error const& e) {
            CHECK(e.id() == "recipe.regex");
            CHECK(e.where() == "quant_stage.quant_modifiers.QuantizationModifier.targets[0]");
            CHECK_THAT(e.found(), Catch::Contains(what));
        }
    };
    refused("re:(?<=self_attn\\.)q_proj", "lookbehind");
    refused("re:(?i).*Q_PROJ", "inline flag");
    refused("re:(?P<x>a)(?P=x)", "named backreference");
    refused("re:.*(unclosed", "does not compile");
}

TEST_CASE("precedence: exact > regex (alphabetical) > class") {
    std::string const q = "model.layers.0.self_attn.q_proj";
    CHECK(ordered({"Linear", "re:.*q_proj$", q}, q) == std::vector<std::string>{q, "re:.*q_proj$", "Linear"});
    // Two regexes: alphabetical by pattern text, not by order of appearance.
    CHECK(ordered({"re:model.*", "re:.*self_attn.*"}, q) ==
          std::vector<std::string>{"re:.*self_attn.*", "re:model.*"});
    CHECK(ordered({"re:.*up_proj"}, q).empty());
}

TEST_CASE("module order follows HF named_modules, not file order") {
    std::vector<std::string> names{"model.layers.10.mlp.down_proj", "lm_head",
                                   "model.layers.2.self_attn.v_proj", "model.layers.2.mlp.gate_proj",
                                   "model.layers.2.self_attn.q_proj", "model.layers.2.mlp.up_proj",
                                   "model.layers.2.self_attn.o_proj", "model.layers.2.self_attn.k_proj"};
    nuq::recipe::sort_in_module_order(names);
    CHECK(names == std::vector<std::string>{
                       "model.layers.2.self_attn.q_proj", "model.layers.2.self_attn.k_proj",
                       "model.layers.2.self_attn.v_proj", "model.layers.2.self_attn.o_proj",
                       "model.layers.2.mlp.gate_proj", "model.layers.2.mlp.up_proj",
                       "model.layers.10.mlp.down_proj", "lm_head"});
}

TEST_CASE("Linear modules of the tiny Llama checkpoint, from its header and config.json") {
    std::string const dir = NUQ_TEST_DATA "/../../examples/data/tiny-llama-sotu/";
    std::ifstream f(dir + "model.safetensors", std::ios::binary);
    REQUIRE(f);
    std::uint64_t n = 0;
    f.read(reinterpret_cast<char*>(&n), 8);
    std::string header(n, '\0');
    f.read(header.data(), static_cast<std::streamsize>(n));
    auto const h = nlohmann::json::parse(header);
    std::vector<nuq::recipe::tensor_entry> tensors;
    for (auto const& [name, v] : h.items())
        if (name != "__metadata__") tensors.push_back({name, v["shape"].get<std::vector<std::int64_t>>()});
    std::ifstream cf(dir + "config.json");
    auto const config = nlohmann::json::parse(cf);

    auto const modules = nuq::recipe::linear_modules(tensors, config);
    CHECK(modules == nuq::test::tiny_llama_linears());
}

TEST_CASE("tied embeddings still have an lm_head Linear, and norms, embeddings and 3-D weights are not Linear") {
    std::vector<nuq::recipe::tensor_entry> tensors{
        {"model.embed_tokens.weight", {32, 8}},
        {"model.layers.0.self_attn.q_norm.weight", {8}},
        {"model.layers.0.self_attn.q_proj.weight", {8, 8}},
        {"model.layers.0.self_attn.q_proj.bias", {8}},
        {"model.layers.0.mlp.gate.weight", {4, 8}},
        {"model.layers.0.mlp.experts.gate_up_proj", {4, 16, 8}},
        {"model.norm.weight", {8}},
    };
    auto const tied = nuq::recipe::linear_modules(tensors, {{"tie_word_embeddings", true}});
    CHECK(tied == std::vector<std::string>{"model.layers.0.self_attn.q_proj", "model.layers.0.mlp.gate", "lm_head"});
    auto const untied = nuq::recipe::linear_modules(tensors, {{"tie_word_embeddings", false}});
    CHECK(untied == std::vector<std::string>{"model.layers.0.self_attn.q_proj", "model.layers.0.mlp.gate"});
}
