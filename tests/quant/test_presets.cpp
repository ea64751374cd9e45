// Presets (docs/FORMAT.md §2): each one dumps to the reference model_dump in configs.json.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <string>

#include "support/test_helpers.hpp"
#include "nuq/quant/presets.hpp"

using nlohmann::json;

namespace {

using nuq::test::load_configs;

} // namespace

TEST_CASE("presets: every preset dumps exactly as CT 0.18", "[presets]") {
    auto const presets = load_configs().at("presets");
    std::set<std::string> reference, ours(nuq::preset_names.begin(), nuq::preset_names.end());
    for (auto const& [name, p] : presets.items()) reference.insert(name);
    CHECK(ours == reference);
    CHECK(ours.size() == 30);
    int checked = 0;
    for (auto const& [name, p] : presets.items()) {
        INFO("preset " << name);
        auto const s = nuq::preset_scheme(name, {"Linear"});
        CHECK(nuq::dump(s) == p.at("scheme"));
        // The dumped scheme parses back to an equal dump.
        CHECK(nuq::dump(nuq::parse_quant_scheme(nuq::dump(s))) == p.at("scheme"));
        ++checked;
    }
    CHECK(checked == 30);
}

TEST_CASE("presets: lookup", "[presets]") {
    CHECK(nuq::is_preset("w4a16"));
    CHECK(nuq::is_preset("Fp8_Dynamic"));
    CHECK_FALSE(nuq::is_preset("W8A4"));  // w > a is not registered
    CHECK_FALSE(nuq::is_preset("W1A16"));
    CHECK(nuq::preset_canonical_name("nvfp4a16") == "NVFP4A16");
    CHECK(nuq::preset_scheme("int8", {"Linear"}) == nuq::preset_scheme("W8A8", {"Linear"}));
    auto const s = nuq::preset_scheme("w4a16_asym", {"re:.*mlp.*"});
    CHECK(s.targets == std::vector<std::string>{"re:.*mlp.*"});
    CHECK_FALSE(s.weights->symmetric);
    CHECK(s.weights->zp_dtype == nuq::dtype::int8);
    CHECK_FALSE(s.format);

    try {
        (void)nuq::preset_scheme("W4A17", {"Linear"}, "config_groups.W4A17");
        FAIL("unknown preset accepted");
    } catch (nuq::error const& e) {
        CHECK(e.id() == "preset.unknown");
        CHECK(e.where() == "config_groups.W4A17");
        CHECK_THAT(e.found(), Catch::Contains("W4A17"));
        CHECK_THAT(e.expected(), Catch::Contains("\"W4A16\"") && Catch::Contains("\"MXFP8\"") &&
                                     Catch::Contains("\"UNQUANTIZED\""));
    }
}

TEST_CASE("presets: the §2 table", "[presets]") {
    auto const w4a8 = nuq::preset_scheme("W4A8", {"Linear"});
    CHECK(w4a8.weights->group_size == 128);
    CHECK(w4a8.input_activations->strategy == nuq::quant_strategy::token);
    CHECK(w4a8.input_activations->dynamic == nuq::dynamic_mode::dynamic);
    CHECK_FALSE(nuq::preset_scheme("W8A16", {"Linear"}).input_activations);
    CHECK(nuq::preset_scheme("W8A16", {"Linear"}).weights->strategy == nuq::quant_strategy::group);
    auto const nv = nuq::preset_scheme("NVFP4", {"Linear"});
    CHECK(nv.input_activations->dynamic == nuq::dynamic_mode::local);
    CHECK(nv.weights->scale_dtype == nuq::dtype::float8_e4m3fn);
    auto const mx = nuq::preset_scheme("MXFP8A16", {"Linear"});
    CHECK(mx.weights->scale_dtype == nuq::dtype::uint8);
    CHECK(mx.weights->zp_dtype == nuq::dtype::uint8);
    auto const none = nuq::preset_scheme("UNQUANTIZED", {"Linear"});
    CHECK_FALSE(none.weights);
    CHECK_FALSE(none.input_activations);
}
