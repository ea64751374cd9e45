// quant_args: JSON in/out and docs/FORMAT.md §1.2 validation, checked against the reference
// model_dump() of every `args` case in tests/data/formats/configs.json (CT 0.18).
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <string>

#include "support/test_helpers.hpp"
#include "nuq/quant/quant_args.hpp"

using nlohmann::json;

namespace {

using nuq::test::error_of;
using nuq::test::load_configs;

constexpr char const* prefix = "config_groups.group_1.weights";

} // namespace

TEST_CASE("quant_args: every configs.json args case matches the reference", "[quant_args]") {
    auto const cases = load_configs().at("args");
    // Where each reference failure must be blamed (below `prefix`).
    std::map<std::string, std::string> const error_field{
        {"err_group_size_0", "group_size"},
        {"err_group_size_minus2", "group_size"},
        {"err_static_token", "strategy"},
        {"err_channel_with_group_size", "group_size"},
        {"err_block_without_structure", "block_structure"},
        {"err_structure_without_block", "block_structure"},
        {"err_block_zero", "block_structure"},
        {"err_local_not_tensor_group", "dynamic"},
        {"err_dynamic_channel", "dynamic"},
        {"err_actorder_group_channel", "actorder"},
        {"err_unknown_key", "foo"},
        {"err_float_3bit", "num_bits"},
    };
    int passed = 0, failed = 0;
    for (auto const& [name, c] : cases.items()) {
        INFO("case " << name);
        if (c.contains("dump")) {
            auto const a = nuq::parse_quant_args(c.at("input"), prefix);
            CHECK(nuq::dump(a) == c.at("dump"));
            // The dump parses back to the same args (validation is idempotent).
            CHECK(nuq::parse_quant_args(nuq::dump(a), prefix) == a);
            ++passed;
        } else {
            REQUIRE(c.contains("error_type"));
            REQUIRE(error_field.count(name) == 1);
            auto const e = error_of([&] { (void)nuq::parse_quant_args(c.at("input"), prefix); });
            CHECK(e.where() == std::string(prefix) + "." + error_field.at(name));
            CHECK_THAT(e.what(), Catch::Contains(e.where()));
            CHECK(!e.expected().empty());
            ++failed;
        }
    }
    CHECK(passed == 13);
    CHECK(failed == int(error_field.size()));
}

TEST_CASE("quant_args: defaults and inferred values", "[quant_args]") {
    auto const a = nuq::parse_quant_args(json::object());
    CHECK(a.num_bits == 8);
    CHECK(a.type == nuq::quant_type::int_);
    CHECK(a.symmetric);
    CHECK(a.strategy == nuq::quant_strategy::tensor);
    CHECK(a.observer == "memoryless_minmax");
    CHECK(a.zp_dtype == nuq::dtype::int8);  // inferred even when symmetric...
    CHECK(nuq::dump(a)["zp_dtype"].is_null());  // ...but written as null

    SECTION("zp_dtype from pytorch_dtype()") {
        CHECK(nuq::parse_quant_args(json{{"num_bits", 12}, {"symmetric", false}}).zp_dtype ==
              nuq::dtype::int16);
        CHECK(nuq::parse_quant_args(json{{"num_bits", 32}}).zp_dtype == nuq::dtype::int32);
        CHECK(nuq::parse_quant_args(json{{"type", "float"}}).zp_dtype == nuq::dtype::float8_e4m3fn);
        auto const fp4 = nuq::parse_quant_args(
            json{{"type", "float"}, {"num_bits", 4}, {"group_size", 16}, {"symmetric", false}});
        CHECK(fp4.zp_dtype == nuq::dtype::float8_e4m3fn);
        CHECK(nuq::dump(fp4)["zp_dtype"] == "torch.float8_e4m3fn");
        // An explicit zp_dtype is kept, so float 3-bit then validates (as in CT).
        CHECK_NOTHROW(nuq::parse_quant_args(
            json{{"type", "float"}, {"num_bits", 3}, {"zp_dtype", "torch.float8_e4m3fn"}}));
    }
    SECTION("observer") {
        // Static args default to memoryless_minmax, an explicit one is kept.
        CHECK(nuq::parse_quant_args(json{{"observer", "mse"}}).observer == "mse");
        // dynamic true drops any observer; "local" keeps one or defaults to minmax.
        auto const local = json{{"num_bits", 4}, {"type", "float"}, {"group_size", 16},
                                {"strategy", "tensor_group"}, {"dynamic", "local"}};
        CHECK(nuq::parse_quant_args(local).observer == "minmax");
        auto with_obs = local;
        with_obs["observer"] = "static_minmax";
        CHECK(nuq::parse_quant_args(with_obs).observer == "static_minmax");
        CHECK_FALSE(nuq::parse_quant_args(json{{"strategy", "token"}, {"dynamic", true},
                                               {"observer", "memoryless"}})
                        .observer);
    }
}

TEST_CASE("quant_args: spellings", "[quant_args]") {
    SECTION("enums are case-insensitive and dumped canonically") {
        auto const a = nuq::parse_quant_args(
            json{{"type", "INT"}, {"strategy", "Group"}, {"group_size", 64},
                 {"actorder", "WEIGHT"}});
        auto const d = nuq::dump(a);
        CHECK(d["type"] == "int");
        CHECK(d["strategy"] == "group");
        CHECK(d["actorder"] == "weight");
        CHECK(nuq::quant_strategy_from_string("TENSOR_GROUP") == nuq::quant_strategy::tensor_group);
        CHECK_FALSE(nuq::quant_strategy_from_string("tensor-group"));
        CHECK(nuq::to_string(nuq::quant_strategy::attn_head) == "attn_head");
        CHECK(nuq::to_string(nuq::quant_type::float_) == "float");
        CHECK(nuq::quant_type_from_string("Float") == nuq::quant_type::float_);
    }
    SECTION("actorder: aliases are kept, booleans map to group / null") {
        auto const g = json{{"group_size", 128}};
        for (auto [in, out] : std::map<std::string, std::string>{
                 {"dynamic", "dynamic"}, {"STATIC", "static"}, {"group", "group"}}) {
            auto j = g;
            j["actorder"] = in;
            CHECK(nuq::dump(nuq::parse_quant_args(j))["actorder"] == out);
        }
        auto j = g;
        j["actorder"] = "dynamic";
        CHECK(nuq::parse_quant_args(j).actorder == nuq::actorder_mode::group);
        j["actorder"] = true;
        CHECK(nuq::dump(nuq::parse_quant_args(j))["actorder"] == "group");
        j["actorder"] = nullptr;
        CHECK(nuq::dump(nuq::parse_quant_args(j))["actorder"].is_null());
    }
    SECTION("dynamic: false / true / \"local\" in any case") {
        CHECK(nuq::dump(nuq::parse_quant_args(json{{"dynamic", false}}))["dynamic"] == false);
        CHECK(nuq::dump(nuq::parse_quant_args(json{{"dynamic", true}}))["dynamic"] == true);
        auto const l = nuq::parse_quant_args(json{{"num_bits", 4}, {"type", "float"},
                                                  {"group_size", 16}, {"strategy", "tensor_group"},
                                                  {"dynamic", "Local"}});
        CHECK(l.dynamic == nuq::dynamic_mode::local);
        CHECK(nuq::dump(l)["dynamic"] == "local");
    }
    SECTION("dtypes: with or without torch., written with") {
        auto const a = nuq::parse_quant_args(
            json{{"scale_dtype", "float8_e4m3fn"}, {"zp_dtype", "torch.int8"},
                 {"symmetric", false}});
        CHECK(a.scale_dtype == nuq::dtype::float8_e4m3fn);
        CHECK(nuq::dump(a)["scale_dtype"] == "torch.float8_e4m3fn");
        CHECK(nuq::dump(a)["zp_dtype"] == "torch.int8");
    }
    SECTION("block_structure as [r, c] or \"RxC\"") {
        auto const l =
            nuq::parse_quant_args(json{{"strategy", "block"}, {"block_structure", {2, 4}}});
        auto const s =
            nuq::parse_quant_args(json{{"strategy", "block"}, {"block_structure", "2x4"}});
        CHECK(l == s);
        CHECK(nuq::dump(s)["block_structure"] == json{2, 4});
    }
}

TEST_CASE("quant_args: JSON types are strict", "[quant_args]") {
    struct bad {
        json input;
        char const* field;
    };
    for (auto const& [input, field] : {
             bad{{{"num_bits", "4"}}, "num_bits"},
             bad{{{"num_bits", 4.5}}, "num_bits"},
             bad{{{"num_bits", 4294967296}}, "num_bits"},
             bad{{{"symmetric", 1}}, "symmetric"},
             bad{{{"type", "fp"}}, "type"},
             bad{{{"strategy", "per_tensor"}}, "strategy"},
             bad{{{"strategy", "block"}, {"block_structure", "128X128"}}, "block_structure"},
             bad{{{"strategy", "block"}, {"block_structure", "128x128x2"}}, "block_structure"},
             bad{{{"strategy", "block"}, {"block_structure", "128x12a"}}, "block_structure"},
             bad{{{"strategy", "block"}, {"block_structure", {128}}}, "block_structure"},
             // < -1 is rejected even where an explicit strategy makes group_size moot
             bad{{{"strategy", "channel"}, {"group_size", -2}}, "group_size"},
             bad{{{"strategy", "group"}}, "group_size"},
             bad{{{"strategy", "tensor_group"}, {"group_size", 0}}, "group_size"},
             bad{{{"strategy", "block"}, {"block_structure", {128, true}}}, "block_structure"},
             bad{{{"dynamic", "true"}}, "dynamic"},
             bad{{{"actorder", "sorted"}}, "actorder"},
             bad{{{"scale_dtype", "torch.float4"}}, "scale_dtype"},
             bad{{{"observer", 3}}, "observer"},
             bad{{{"observer_kwargs", json::array()}}, "observer_kwargs"},
             bad{{{"Num_bits", 4}}, "Num_bits"},
         }) {
        INFO(input.dump());
        auto const e = error_of([&] { (void)nuq::parse_quant_args(input, "kv_cache_scheme"); });
        CHECK(e.where() == std::string("kv_cache_scheme.") + field);
    }
    auto const e = error_of([] { (void)nuq::parse_quant_args(json{{"strategy", "rowwise"}}); });
    CHECK(e.where() == "strategy");  // top-level args: the bare field name
    CHECK_THAT(e.what(), Catch::Contains("\"tensor_group\"") && Catch::Contains("\"attn_head\""));
    CHECK_THROWS_AS(nuq::parse_quant_args(json::array()), nuq::error);
}

TEST_CASE("quant_args: §10.2 negative cases name the path and the fix", "[quant_args]") {
    auto const e0 = error_of([] {
        (void)nuq::parse_quant_args(json{{"group_size", 0}}, "config_groups.group_1.weights");
    });
    CHECK(e0.id() == "quant_args.group_size");
    CHECK_THAT(e0.what(), Catch::StartsWith("[nuq.quant_args.group_size] "
                                            "config_groups.group_1.weights.group_size: "));
    CHECK_THAT(e0.fix(), Catch::Contains("group_size > 0 with strategy group, or -1 for channel"));

    auto const et = error_of([] {
        (void)nuq::parse_quant_args(json{{"strategy", "token"}, {"dynamic", false}}, "x.input");
    });
    CHECK(et.where() == "x.input.strategy");
    CHECK_THAT(et.fix(), Catch::Contains("dynamic: true"));

    auto const ec = error_of([] {
        (void)nuq::parse_quant_args(json{{"strategy", "channel"}, {"group_size", 128}}, "w");
    });
    CHECK(ec.where() == "w.group_size");
    CHECK_THAT(ec.found(), Catch::Contains("128") && Catch::Contains("channel"));

    auto const eb = error_of([] { (void)nuq::parse_quant_args(json{{"strategy", "block"}}, "w"); });
    CHECK(eb.where() == "w.block_structure");

    auto const el = error_of([] {
        (void)nuq::parse_quant_args(json{{"strategy", "tensor"}, {"dynamic", "LOCAL"}}, "w");
    });
    CHECK(el.where() == "w.dynamic");
    CHECK_THAT(el.found(), Catch::Contains("local"));

    auto const eu = error_of([] { (void)nuq::parse_quant_args(json{{"bits", 4}}, "w"); });
    CHECK(eu.where() == "w.bits");
    CHECK_THAT(eu.expected(), Catch::Contains("\"num_bits\""));
}

TEST_CASE("quant_args: validate() on built args, in reference order", "[quant_args]") {
    nuq::quant_args a;
    a.group_size = 0;
    a.strategy = nuq::quant_strategy::channel;
    a.validate();  // 0 is tolerated with an explicit tensor/channel strategy
    CHECK(a.strategy == nuq::quant_strategy::channel);

    // Token with static and group_size 128 breaks two rules: step 2 (token) comes first.
    nuq::quant_args b;
    b.strategy = nuq::quant_strategy::token;
    b.group_size = 128;
    auto const e = error_of([&] { b.validate("i"); });
    CHECK(e.where() == "i.strategy");
    CHECK_FALSE(b.observer);  // unchanged on error

    // actorder "weight" is fine with any strategy (NEW); "group" needs groups.
    nuq::quant_args c;
    c.actorder = nuq::actorder_mode::weight;
    CHECK_NOTHROW(c.validate());
    c.actorder = nuq::actorder_mode::group;
    CHECK(error_of([&] { c.validate("w"); }).where() == "w.actorder");

    nuq::quant_args d;
    d.type = nuq::quant_type::float_;
    d.num_bits = 6;
    CHECK(error_of([&] { (void)d.pytorch_dtype("w"); }).where() == "w.num_bits");
    d.num_bits = 8;
    CHECK(d.pytorch_dtype() == nuq::dtype::float8_e4m3fn);
}

TEST_CASE("quant_args: ct_legacy_keys leaves out scale_dtype and zp_dtype", "[quant_args]") {
    auto const a = nuq::parse_quant_args(
        json{{"num_bits", 4}, {"group_size", 128}, {"symmetric", false},
             {"scale_dtype", "bfloat16"}});
    auto const full = nuq::dump(a);
    auto const legacy = nuq::dump(a, {.ct_legacy_keys = true});
    CHECK(full.size() == 12);
    CHECK(legacy.size() == 10);
    CHECK_FALSE(legacy.contains("scale_dtype"));
    CHECK_FALSE(legacy.contains("zp_dtype"));
    // A CT >= 0.13 loader infers zp_dtype again and leaves scale_dtype null.
    auto back = nuq::parse_quant_args(legacy);
    CHECK(back.zp_dtype == nuq::dtype::int8);
    CHECK_FALSE(back.scale_dtype);
    // ADL hooks.
    json j = a;
    CHECK(j == full);
    CHECK(j.get<nuq::quant_args>() == a);
}
