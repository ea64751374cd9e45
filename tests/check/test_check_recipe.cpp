// recipe::check: every example recipe passes on the tiny Llama; each broken recipe gives its
// own finding; the findings become one nuq::error for oneshot.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nuq/error.hpp"
#include "nuq/check/plan_rules.hpp"
#include "nuq/recipe/parse.hpp"
#include "nuq/recipe/resolve.hpp"

namespace nr = nuq::recipe;
namespace fs = std::filesystem;

namespace {

/// The Linear modules of the tiny Llama (examples/data/tiny-llama-sotu) and their shapes.
nr::module_shapes tiny_shapes() {
    nr::module_shapes s;
    for (int i = 0; i < 6; ++i) {
        auto const p = "model.layers." + std::to_string(i) + ".";
        s[p + "self_attn.q_proj"] = {256, 256};
        s[p + "self_attn.k_proj"] = {128, 256};
        s[p + "self_attn.v_proj"] = {128, 256};
        s[p + "self_attn.o_proj"] = {256, 256};
        s[p + "mlp.gate_proj"] = {1024, 256};
        s[p + "mlp.up_proj"] = {1024, 256};
        s[p + "mlp.down_proj"] = {256, 1024};
    }
    s["lm_head"] = {256, 256};
    return s;
}

std::vector<std::string> names_of(nr::module_shapes const& s) {
    std::vector<std::string> out;
    for (auto const& [n, _] : s) out.push_back(n);
    nr::sort_in_module_order(out);
    return out;
}

nlohmann::json const model_config = {{"tie_word_embeddings", false}};

std::vector<nr::finding> check_recipe(nr::recipe const& r, nr::check_options opt = {},
                                      nr::module_shapes const& shapes = tiny_shapes()) {
    auto const p = nr::resolve(r, names_of(shapes));
    return nr::check(p, model_config, shapes, opt);
}

/// A QuantizationModifier with these fields (JSON object body).
std::vector<nr::finding> check_fields(std::string const& fields, nr::check_options opt = {},
                                      nr::module_shapes const& shapes = tiny_shapes()) {
    auto const text = R"({"quant_stage": {"quant_modifiers": {"QuantizationModifier": {)" +
                      fields + "}}}}";
    return check_recipe(nr::parse_recipe_json(text, "test.json"), opt, shapes);
}

std::string const w4 = R"("num_bits": 4, "type": "int", "symmetric": true, "strategy": "group",
                          "group_size": 128)";
std::string const w8 = R"("num_bits": 8, "type": "int", "symmetric": true, "strategy": "channel")";

/// Two groups: `a_targets` get 4-bit, `b_targets` 8-bit weight-only; lm_head ignored.
std::string two_groups(std::string const& a_targets, std::string const& b_targets,
                       std::string const& extra = "") {
    return R"("ignore": ["lm_head"], "config_groups": {"group_0": {"targets": [)" + a_targets +
           R"(], "weights": {)" + w4 + R"(}}, "group_1": {"targets": [)" + b_targets +
           R"(], "weights": {)" + w8 + "}}}" + extra;
}

std::string const attn = R"("re:.*self_attn\\.(q|k|v|o)_proj$")";
std::string const mlp = R"("re:.*mlp\\.(gate|up|down)_proj$")";

bool has(std::vector<nr::finding> const& fs, std::string const& id,
         nr::severity level = nr::severity::error) {
    return std::any_of(fs.begin(), fs.end(),
                       [&](nr::finding const& f) { return f.id == id && f.level == level; });
}

std::string lines(std::vector<nr::finding> const& fs) {
    std::string s;
    for (auto const& f : fs) s += nr::to_line(f) + "\n";
    return s;
}

/// `id` is reported as an error and the plan does not pass.
void require_error(std::vector<nr::finding> const& fs, std::string const& id) {
    INFO(lines(fs));
    CHECK(has(fs, id));
    CHECK_FALSE(nr::loadable(fs));
}

} // namespace

TEST_CASE("every example recipe passes the check on the tiny Llama") {
    std::size_t n = 0;
    for (auto const& e : fs::directory_iterator(NUQ_TEST_DATA "/../../examples/recipes")) {
        auto const ext = e.path().extension();
        if (ext != ".yaml" && ext != ".json") continue;
        ++n;
        auto const fs = check_recipe(nr::load_recipe(e.path()));
        INFO(e.path().filename().string() << "\n" << lines(fs));
        CHECK(nr::loadable(fs));
    }
    CHECK(n >= 10);
}

TEST_CASE("a clean two-group recipe has no findings at either compat level") {
    for (auto c : {nr::compat_level::ct_latest, nr::compat_level::ct_0_11}) {
        auto const fs = check_fields(two_groups(attn, mlp), {c});
        INFO(lines(fs));
        CHECK(fs.empty());
    }
}

TEST_CASE("broken recipes: one finding id each") {
    SECTION("q_proj and k/v_proj in groups with different schemes") {
        require_error(check_fields(two_groups(R"("re:.*q_proj$", "re:.*o_proj$", )" + mlp,
                                              R"("re:.*k_proj$", "re:.*v_proj$")")),
                      "check.fused_split");
    }
    SECTION("only k_proj ignored") {
        require_error(check_fields(R"("ignore": ["lm_head", "re:.*k_proj$"], "targets": ["Linear"],
                                      "scheme": "W4A16")"),
                      "check.fused_ignore");
    }
    SECTION("a WNA16 group size Marlin does not take") {
        require_error(check_fields(R"("ignore": ["lm_head"], "config_groups": {"g": {"targets":
                          ["Linear"], "weights": {"num_bits": 4, "type": "int", "strategy": "group",
                          "group_size": 256}}})"),
                      "check.wna16_group_size");
    }
    SECTION("asymmetric 8-bit weights") {
        require_error(check_fields(R"("ignore": ["lm_head"], "config_groups": {"g": {"targets":
                          ["Linear"], "weights": {"num_bits": 8, "type": "int", "symmetric": false,
                          "strategy": "channel"}}})"),
                      "check.asym_weights");
    }
    SECTION("the same target string in two groups") {
        require_error(check_fields(two_groups(attn + ", " + mlp, mlp)), "check.duplicate_target");
    }
    SECTION("a group size that does not divide the input features") {
        auto shapes = tiny_shapes();
        for (auto& [name, s] : shapes)
            if (name.ends_with("down_proj")) s[1] = 1000; // not a multiple of 128
        require_error(check_fields(R"("ignore": ["lm_head"], "targets": ["Linear"],
                                      "scheme": "W4A16")", {}, shapes),
                      "check.group_divides");
    }
    SECTION("sizes Marlin cannot tile") {
        auto shapes = tiny_shapes();
        for (auto& [name, s] : shapes)
            if (name.ends_with("o_proj")) s[0] = 96;
        require_error(check_fields(R"("ignore": ["lm_head"], "targets": ["Linear"],
                                      "scheme": "W4A16")", {}, shapes),
                      "check.kernel_shape");
    }
    SECTION("a scale_dtype ct-0.11 cannot write") {
        require_error(check_fields(R"("ignore": ["lm_head"], "config_groups": {"g": {"targets":
                          ["Linear"], "weights": {)" + w8 + R"(, "scale_dtype": "torch.float16"}}})",
                                   {nr::compat_level::ct_0_11}),
                      "check.compat_key");
    }
    SECTION("MXFP4 at ct-0.11") {
        require_error(check_fields(R"("ignore": ["lm_head"], "targets": ["Linear"],
                                      "scheme": "MXFP4A16")", {nr::compat_level::ct_0_11}),
                      "check.compat_feature");
    }
    SECTION("output activations") {
        require_error(check_fields(R"("ignore": ["lm_head"], "config_groups": {"g": {"targets":
                          ["Linear"], "weights": {)" + w8 + R"(}, "output_activations": {
                          "num_bits": 8, "type": "int", "strategy": "token", "dynamic": true}}})"),
                      "check.output_activations");
    }
    SECTION("int4 weights with FP8 token activations get int-quantized, vLLM loads pack") {
        require_error(check_fields(R"("ignore": ["lm_head"], "targets": ["Linear"],
                                      "scheme": "W4AFP8")"),
                      "check.group_format");
    }
    SECTION("int8 weights with FP8 activations") {
        require_error(check_fields(R"("ignore": ["lm_head"], "config_groups": {"g": {"targets":
                          ["Linear"], "weights": {)" + w8 + R"(}, "input_activations": {
                          "num_bits": 8, "type": "float", "strategy": "token", "dynamic": true}}})"),
                      "check.no_scheme");
    }
    SECTION("W4A8 int has no GPU kernel") {
        require_error(check_fields(R"("ignore": ["lm_head"], "targets": ["Linear"],
                                      "scheme": "W4A8")"),
                      "check.w4a8_int");
    }
    SECTION("a quantized lm_head") {
        require_error(check_fields(R"("targets": ["Linear"], "scheme": "W8A8")"), "check.lm_head");
    }
    SECTION("a class target against explicit shard targets") {
        require_error(check_fields(two_groups(R"("re:.*self_attn\\.q_proj$",
                                                 "re:.*self_attn\\.k_proj$",
                                                 "re:.*self_attn\\.v_proj$")",
                                              R"("Linear")")),
                      "check.class_vs_shard");
    }
    SECTION("overlapping regexes: vLLM takes the first, compressed-tensors the most specific") {
        require_error(check_fields(two_groups(R"("re:.*down_proj$")", R"("re:.*proj$")")),
                      "check.match_disagrees");
    }
    SECTION("static asymmetric FP8 activations") {
        require_error(check_fields(R"("ignore": ["lm_head"], "config_groups": {"g": {"targets":
                          ["Linear"], "weights": {"num_bits": 8, "type": "float",
                          "strategy": "channel"}, "input_activations": {"num_bits": 8,
                          "type": "float", "symmetric": false, "strategy": "tensor"}}})"),
                      "check.fp8_activations");
    }
    SECTION("INT8 W8A8 with group weights") {
        require_error(check_fields(R"("ignore": ["lm_head"], "config_groups": {"g": {"targets":
                          ["Linear"], "weights": {"num_bits": 8, "type": "int", "strategy": "group",
                          "group_size": 128}, "input_activations": {"num_bits": 8, "type": "int",
                          "strategy": "token", "dynamic": true}}})"),
                      "check.int8_strategy");
    }
    SECTION("an int8 KV cache") {
        require_error(check_fields(R"("ignore": ["lm_head"], "targets": ["Linear"],
                                      "scheme": "W4A16", "kv_cache_scheme": {"num_bits": 8,
                                      "type": "int", "strategy": "tensor"})"),
                      "check.kv_cache_scheme");
    }
}

TEST_CASE("warnings do not stop a plan") {
    SECTION("modules no group targets") {
        auto const fs = check_fields(R"("ignore": ["lm_head"], "targets": [)" + mlp +
                                     R"(], "scheme": "W4A16")");
        INFO(lines(fs));
        CHECK(has(fs, "check.unmatched", nr::severity::warning));
        CHECK(nr::loadable(fs));
    }
    SECTION("actorder written as its alias") {
        auto const fs = check_fields(R"("ignore": ["lm_head"], "config_groups": {"g": {"targets":
                          ["Linear"], "weights": {)" + w4 + R"(, "actorder": "static"}}})");
        INFO(lines(fs));
        CHECK(has(fs, "check.actorder_alias", nr::severity::warning));
        CHECK(nr::loadable(fs));
    }
}

TEST_CASE("the error findings become one nuq::error listing them all") {
    auto const fs = check_fields(R"("ignore": ["lm_head", "re:.*k_proj$"], "targets": ["Linear"],
                                    "scheme": "W4A8")");
    REQUIRE(nr::count(fs, nr::severity::error) >= 2);
    CHECK_NOTHROW(nr::require_loadable({}, "r.yaml"));
    try {
        nr::require_loadable(fs, "r.yaml");
        FAIL("no error");
    } catch (nuq::error const& e) {
        CHECK(e.id() == "check.unloadable");
        CHECK(e.where() == "r.yaml");
        std::string const msg = e.what();
        CHECK(msg.find("[check.w4a8_int]") != std::string::npos);
        CHECK(msg.find("[check.fused_ignore]") != std::string::npos);
        CHECK(msg.find("--allow-unloadable") != std::string::npos);
    }
}

TEST_CASE("compat levels by name") {
    CHECK(nr::compat_from_string("ct-0.11") == nr::compat_level::ct_0_11);
    CHECK(nr::compat_from_string("ct-latest") == nr::compat_level::ct_latest);
    CHECK_FALSE(nr::compat_from_string("0.11"));
    CHECK(nr::dump_options_for(nr::compat_level::ct_0_11).ct_legacy_keys);
    CHECK_FALSE(nr::dump_options_for(nr::compat_level::ct_latest).ct_legacy_keys);
}
