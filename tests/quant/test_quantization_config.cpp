// quantization_config (docs/FORMAT.md §7): every reference config parses and dumps back to the
// identical JSON; the §7 examples and the §10.2 item 10 round trips and negative cases.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/test_helpers.hpp"
#include "nuq/quant/quantization_config.hpp"

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

using nuq::test::error_of;

json load(fs::path const& p) {
    std::ifstream f(p);
    REQUIRE(f.good());
    return json::parse(f);
}

// The quantization_config of every golden case file (tests/data/formats/*.json).
std::vector<std::pair<std::string, json>> case_configs() {
    std::vector<std::pair<std::string, json>> out;
    for (auto const& e : fs::directory_iterator(fs::path(NUQ_TEST_DATA) / "formats")) {
        if (e.path().extension() != ".json") continue;
        auto j = load(e.path());
        if (j.contains("quantization_config"))
            out.emplace_back(e.path().stem().string(), j["quantization_config"]);
    }
    return out;
}

std::vector<std::pair<std::string, json>> checkpoint_configs() {
    std::vector<std::pair<std::string, json>> out;
    for (auto const& e : fs::directory_iterator(fs::path(NUQ_TEST_DATA) / "checkpoint_configs"))
        out.emplace_back(e.path().filename().string(),
                         load(e.path() / "config.json").at("quantization_config"));
    return out;
}

// §7.3 example (b): W8A8 attention + W4A16_ASYM MLP.
constexpr char const* example_b = R"({
  "config_groups": {
    "group_0": {
      "format": "int-quantized",
      "input_activations": {
        "actorder": null, "block_structure": null, "dynamic": true, "group_size": null,
        "num_bits": 8, "observer": null, "observer_kwargs": {}, "scale_dtype": null,
        "strategy": "token", "symmetric": true, "type": "int", "zp_dtype": null
      },
      "output_activations": null,
      "targets": ["re:.*self_attn\\.(q|k|v|o)_proj$"],
      "weights": {
        "actorder": null, "block_structure": null, "dynamic": false, "group_size": null,
        "num_bits": 8, "observer": "memoryless_minmax", "observer_kwargs": {},
        "scale_dtype": null, "strategy": "channel", "symmetric": true, "type": "int",
        "zp_dtype": null
      }
    },
    "group_1": {
      "format": "pack-quantized",
      "input_activations": null,
      "output_activations": null,
      "targets": ["re:.*mlp\\.(gate|up|down)_proj$"],
      "weights": {
        "actorder": null, "block_structure": null, "dynamic": false, "group_size": 128,
        "num_bits": 4, "observer": "memoryless_minmax", "observer_kwargs": {},
        "scale_dtype": null, "strategy": "group", "symmetric": false, "type": "int",
        "zp_dtype": "torch.int8"
      }
    }
  },
  "format": "mixed-precision",
  "global_compression_ratio": null,
  "ignore": ["lm_head"],
  "kv_cache_scheme": null,
  "quant_method": "compressed-tensors",
  "quantization_status": "compressed",
  "sparsity_config": {},
  "transform_config": {},
  "version": "0.18.0"
})";

// §7.4 example (c): NVFP4 MLP + FP8-dynamic attention + FP8 KV cache.
constexpr char const* example_c = R"({
  "config_groups": {
    "group_0": {
      "format": "float-quantized",
      "input_activations": {
        "actorder": null, "block_structure": null, "dynamic": true, "group_size": null,
        "num_bits": 8, "observer": null, "observer_kwargs": {}, "scale_dtype": null,
        "strategy": "token", "symmetric": true, "type": "float", "zp_dtype": null
      },
      "output_activations": null,
      "targets": ["re:.*self_attn\\.(q|k|v|o)_proj$"],
      "weights": {
        "actorder": null, "block_structure": null, "dynamic": false, "group_size": null,
        "num_bits": 8, "observer": "memoryless_minmax", "observer_kwargs": {},
        "scale_dtype": null, "strategy": "channel", "symmetric": true, "type": "float",
        "zp_dtype": null
      }
    },
    "group_1": {
      "format": "nvfp4-pack-quantized",
      "input_activations": {
        "actorder": null, "block_structure": null, "dynamic": "local", "group_size": 16,
        "num_bits": 4, "observer": "static_minmax", "observer_kwargs": {},
        "scale_dtype": "torch.float8_e4m3fn", "strategy": "tensor_group",
        "symmetric": true, "type": "float", "zp_dtype": null
      },
      "output_activations": null,
      "targets": ["re:.*mlp\\.(gate|up|down)_proj$"],
      "weights": {
        "actorder": null, "block_structure": null, "dynamic": false, "group_size": 16,
        "num_bits": 4, "observer": "memoryless_minmax", "observer_kwargs": {},
        "scale_dtype": "torch.float8_e4m3fn", "strategy": "tensor_group",
        "symmetric": true, "type": "float", "zp_dtype": null
      }
    }
  },
  "format": "mixed-precision",
  "global_compression_ratio": null,
  "ignore": ["lm_head"],
  "kv_cache_scheme": {
    "actorder": null, "block_structure": null, "dynamic": false, "group_size": null,
    "num_bits": 8, "observer": "static_minmax", "observer_kwargs": {}, "scale_dtype": null,
    "strategy": "tensor", "symmetric": true, "type": "float", "zp_dtype": null
  },
  "quant_method": "compressed-tensors",
  "quantization_status": "compressed",
  "sparsity_config": {},
  "transform_config": {},
  "version": "0.18.0"
})";

// §7.2 as written by CT 0.12 (OLD): no scale_dtype/zp_dtype, observer "minmax", a GPTQ
// actorder alias, and an OLD sparsity_config.
constexpr char const* example_old = R"({
  "config_groups": {
    "group_0": {
      "format": "pack-quantized",
      "input_activations": null,
      "output_activations": null,
      "targets": ["Linear"],
      "weights": {
        "actorder": "static", "block_structure": null, "dynamic": false, "group_size": 128,
        "num_bits": 4, "observer": "minmax", "observer_kwargs": {},
        "strategy": "group", "symmetric": true, "type": "int"
      }
    }
  },
  "format": "pack-quantized",
  "global_compression_ratio": 1.5,
  "ignore": ["lm_head"],
  "kv_cache_scheme": null,
  "quant_method": "compressed-tensors",
  "quantization_status": "compressed",
  "sparsity_config": {
    "format": "dense", "global_sparsity": 0.45, "ignore": ["lm_head"],
    "registry_requires_subclass": false, "sparsity_structure": "2:4", "targets": ["Linear"]
  },
  "transform_config": {},
  "version": "0.12.2"
})";

} // namespace

TEST_CASE("quantization_config: every golden case round-trips exactly", "[config]") {
    auto const cases = case_configs();
    CHECK(cases.size() == 48);
    for (auto const& [name, q] : cases) {
        INFO("case " << name);
        auto const c = nuq::parse_quantization_config(q);
        CHECK(nuq::dump(c) == q);
        CHECK(c.quantization_status == nuq::quant_status::compressed);
        CHECK(c.writer_version() == nuq::ct_version{0, 18, 0});
    }
}

TEST_CASE("quantization_config: every golden checkpoint config round-trips", "[config]") {
    auto const configs = checkpoint_configs();
    CHECK(configs.size() == 4);
    for (auto const& [name, q] : configs) {
        INFO("checkpoint " << name);
        // ordered_json keeps the file's group order; both give the same dump.
        auto const c = nuq::parse_quantization_config(nlohmann::ordered_json(q));
        CHECK(nuq::dump(c) == q);
        CHECK(nuq::parse_quantization_config(q) == c);
        CHECK(c.ignore == std::vector<std::string>{"lm_head"});
    }
}

TEST_CASE("quantization_config: §6.3 formats are reproduced from the schemes", "[config]") {
    int checked = 0;
    auto all = case_configs();
    for (auto& c : checkpoint_configs()) all.push_back(c);
    for (auto const& [name, q] : all) {
        INFO(name);
        auto c = nuq::parse_quantization_config(q);
        for (auto& g : c.config_groups) g.scheme.format.reset();
        c.format.reset();
        // The *_naive_* cases were saved with a forced format.
        bool const forced = name.find("_naive_") != std::string::npos;
        nuq::assign_formats(c, forced ? std::optional(nuq::compression_format::naive_quantized)
                                      : std::nullopt);
        CHECK(nuq::dump(c) == q);
        ++checked;
    }
    CHECK(checked == 52);

    // Groups without args are not quantized layers: no format of their own, none counted.
    nuq::quantization_config c;
    c.config_groups.push_back({"group_0", nuq::preset_scheme("UNQUANTIZED", {"Embedding"})});
    c.config_groups.push_back({"group_1", nuq::preset_scheme("W4A16", {"Linear"})});
    nuq::assign_formats(c);
    CHECK_FALSE(c.config_groups[0].scheme.format);
    CHECK(c.config_groups[1].scheme.format == nuq::compression_format::pack_quantized);
    CHECK(c.format == nuq::compression_format::pack_quantized);
    c.config_groups.push_back({"group_2", nuq::preset_scheme("FP8_DYNAMIC", {"re:.*attn.*"})});
    nuq::assign_formats(c);
    CHECK(c.format == nuq::compression_format::mixed_precision);
    CHECK(nuq::dump(c)["config_groups"]["group_2"]["format"] == "float-quantized");
}

TEST_CASE("quantization_config: §7 examples and §10.2 round trips", "[config]") {
    SECTION("examples (b) and (c)") {
        for (auto const* text : {example_b, example_c}) {
            auto const q = json::parse(text);
            auto const c = nuq::parse_quantization_config(q);
            CHECK(nuq::dump(c) == q);
            CHECK(c.format == nuq::compression_format::mixed_precision);
        }
        auto const c = nuq::parse_quantization_config(json::parse(example_c));
        REQUIRE(c.kv_cache_scheme);
        CHECK(c.kv_cache_scheme->observer == "static_minmax");
        REQUIRE(c.find_group("group_1"));
        CHECK(c.find_group("group_1")->input_activations->dynamic == nuq::dynamic_mode::local);
        CHECK_FALSE(c.find_group("group_2"));
    }
    SECTION("OLD (0.12) config: re-emitted identically at the ct-0.11 key level") {
        auto const q = json::parse(example_old);
        auto const c = nuq::parse_quantization_config(q);
        CHECK(nuq::dump(c, {.ct_legacy_keys = true}) == q);
        CHECK(c.writer_version() == nuq::ct_version{0, 12, 2});
        CHECK(c.global_compression_ratio == 1.5);
        CHECK(c.sparsity_config["sparsity_structure"] == "2:4");
        auto const& w = *c.find_group("group_0")->weights;
        CHECK(w.actorder == nuq::actorder_mode::weight);
        CHECK(w.zp_dtype == nuq::dtype::int8);  // inferred by the NEW rules
        // The default dump adds the two keys, with their null values.
        auto const full = nuq::dump(c);
        CHECK(full["config_groups"]["group_0"]["weights"]["scale_dtype"].is_null());
        CHECK(full["config_groups"]["group_0"]["weights"]["zp_dtype"].is_null());
    }
    SECTION("a preset-by-name group is expanded") {
        auto const c = nuq::parse_quantization_config(
            json{{"config_groups", {{"w4a16", {"Linear"}}}}, {"format", "pack-quantized"}});
        REQUIRE(c.config_groups.size() == 1);
        CHECK(c.config_groups[0].name == "w4a16");
        CHECK(c.config_groups[0].scheme == nuq::preset_scheme("W4A16", {"Linear"}));
        auto const d = nuq::dump(c);
        CHECK(d["config_groups"]["w4a16"]["weights"]["group_size"] == 128);
        CHECK(d["config_groups"]["w4a16"]["format"].is_null());
        // Defaults of an absent key are what CT dumps for them.
        CHECK(d["quantization_status"] == "initialized");
        CHECK(d["ignore"] == json::array());
        CHECK(d["sparsity_config"] == json::object());
        CHECK(d["quant_method"] == "compressed-tensors");
        CHECK_FALSE(d.contains("version"));
    }
    SECTION("args spellings inside a config") {
        json const q{
            {"config_groups",
             {{"group_0",
               {{"targets", {"Linear"}},
                {"weights",
                 {{"type", "float"}, {"strategy", "BLOCK"}, {"block_structure", "128x128"}}},
                {"input_activations",
                 {{"num_bits", 4}, {"type", "float"}, {"strategy", "tensor_group"},
                  {"group_size", 16}, {"dynamic", "LOCAL"}}}}},
              {"group_1",
               {{"targets", {"re:.*down_proj"}},
                {"weights", {{"num_bits", 4}, {"group_size", 128}, {"actorder", true}}}}},
              {"group_2",
               {{"targets", {"re:.*up_proj"}},
                {"weights", {{"num_bits", 4}, {"group_size", 128}, {"actorder", "dynamic"}}}}}}}};
        auto const d = nuq::dump(nuq::parse_quantization_config(q));
        auto const& g = d["config_groups"];
        CHECK(g["group_0"]["weights"]["block_structure"] == json{128, 128});
        CHECK(g["group_0"]["weights"]["strategy"] == "block");
        CHECK(g["group_0"]["input_activations"]["dynamic"] == "local");
        CHECK(g["group_0"]["input_activations"]["observer"] == "minmax");
        CHECK(g["group_1"]["weights"]["actorder"] == "group");
        CHECK(g["group_2"]["weights"]["actorder"] == "dynamic");
        CHECK(d["format"] == "fakequant");
        // And the dump is a fixed point.
        CHECK(nuq::dump(nuq::parse_quantization_config(d)) == d);
    }
    SECTION("ordered_json keeps the group order of the file") {
        auto const q = nlohmann::ordered_json::parse(R"({"config_groups": {
            "group_2": {"targets": ["a"]}, "group_10": {"targets": ["b"]},
            "group_1": {"targets": ["c"]}}})");
        auto const c = nuq::parse_quantization_config(q);
        REQUIRE(c.config_groups.size() == 3);
        CHECK(c.config_groups[0].name == "group_2");
        CHECK(c.config_groups[1].name == "group_10");
        CHECK(c.config_groups[2].name == "group_1");
    }
    SECTION("unknown top-level keys are ignored; ignore may be null") {
        auto q = json::parse(example_b);
        q["run_compressed"] = true;
        q["something_new"] = {1, 2};
        q["ignore"] = nullptr;
        auto const c = nuq::parse_quantization_config(q);
        CHECK_FALSE(c.ignore);
        auto const d = nuq::dump(c);
        CHECK_FALSE(d.contains("run_compressed"));
        CHECK(d["ignore"].is_null());
    }
    SECTION("ADL hooks") {
        auto const q = json::parse(example_c);
        auto const c = q.get<nuq::quantization_config>();
        json j = c;
        CHECK(j == q);
    }
}

TEST_CASE("quantization_config: §10.2 negative cases name the path", "[config]") {
    auto const with_group = [](json group) {
        return json{{"config_groups", {{"group_1", std::move(group)}}}};
    };
    struct bad {
        json config;
        std::string where;
        std::string id;
    };
    std::vector<bad> const cases{
        {with_group({{"targets", {"Linear"}}, {"weights", {{"group_size", 0}}}}),
         "config_groups.group_1.weights.group_size", "quant_args.group_size"},
        {with_group({{"targets", {"Linear"}},
                     {"input_activations", {{"strategy", "token"}, {"dynamic", false}}}}),
         "config_groups.group_1.input_activations.strategy", "quant_args.strategy"},
        {with_group({{"targets", {"Linear"}},
                     {"weights", {{"strategy", "channel"}, {"group_size", 128}}}}),
         "config_groups.group_1.weights.group_size", "quant_args.group_size"},
        {with_group({{"targets", {"Linear"}}, {"weights", {{"strategy", "block"}}}}),
         "config_groups.group_1.weights.block_structure", "quant_args.block_structure"},
        {with_group({{"targets", {"Linear"}},
                     {"input_activations", {{"group_size", 16}, {"dynamic", "local"}}}}),
         "config_groups.group_1.input_activations.dynamic", "quant_args.dynamic"},
        {with_group({{"targets", {"Linear"}}, {"format", "mixed-precision"}}),
         "config_groups.group_1.format", "quant_scheme.format"},
        {with_group({{"targets", {"Linear"}}, {"weights", {{"num_bits", 4}, {"bits", 4}}}}),
         "config_groups.group_1.weights.bits", "quant_args.unknown_key"},
        {with_group({{"targets", {"Linear"}}, {"extra", 1}}), "config_groups.group_1.extra",
         "quant_scheme.unknown_key"},
        {json{{"config_groups", {{"W4A17", {"Linear"}}}}}, "config_groups.W4A17",
         "preset.unknown"},
        {json{{"config_groups", {{"group_0", 3}}}}, "config_groups.group_0", "quant_scheme.object"},
        {json{{"format", "pack-quantized"}}, "config_groups", "config.config_groups"},
        {json{{"config_groups", json::object()}, {"format", "packed"}}, "format", "format.unknown"},
        {json{{"config_groups", json::object()}, {"quantization_status", "Compressed"}},
         "quantization_status", "config.quantization_status"},
        {json{{"config_groups", json::object()}, {"quant_method", "gptq"}}, "quant_method",
         "config.quant_method"},
        {json{{"config_groups", json::object()}, {"kv_cache_scheme", {{"strategy", "channel"},
                                                                      {"dynamic", true}}}},
         "kv_cache_scheme.dynamic", "quant_args.dynamic"},
        {json{{"config_groups", json::object()}, {"ignore", "lm_head"}}, "ignore", "config.ignore"},
        {json{{"config_groups", json::object()}, {"sparsity_config", nullptr}}, "sparsity_config",
         "config.sparsity_config"},
        {json{{"config_groups", json::object()}, {"global_compression_ratio", "2"}},
         "global_compression_ratio", "config.global_compression_ratio"},
    };
    for (auto const& [config, where, id] : cases) {
        INFO(config.dump());
        auto const e = error_of([&] { (void)nuq::parse_quantization_config(config); });
        CHECK(e.where() == where);
        CHECK(e.id() == id);
        CHECK_THAT(e.what(), Catch::Contains(where + ": "));
    }
    // A caller-given prefix leads every path.
    json const group{{"targets", {"x"}}, {"weights", {{"group_size", 0}}}};
    auto const e = error_of([&] {
        (void)nuq::parse_quantization_config(json{{"config_groups", {{"g", group}}}},
                                             "quantization_config");
    });
    CHECK(e.where() == "quantization_config.config_groups.g.weights.group_size");
}
