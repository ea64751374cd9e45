// Static and NVFP4 "local" input qparams from the reference's own observer statistics
// (tests/data/calibrated/*/golden_meta.json): byte for byte, for every stored activation tensor.
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "nuq/calib/input_qparams.hpp"
#include "nuq/numeric/bfloat16.hpp"
#include "support/test_helpers.hpp"

namespace {

nlohmann::json load(std::string const& folder, std::string const& file) {
    std::ifstream f(std::string(NUQ_TEST_DATA) + "/calibrated/" + folder + "/" + file);
    REQUIRE(f.good());
    return nlohmann::json::parse(f);
}

/// The input args of the config group that calibrates inputs (static or "local").
nuq::quant_args calibrated_input_args(nlohmann::json const& config) {
    for (auto const& [name, g] : config["quantization_config"]["config_groups"].items()) {
        auto const& in = g["input_activations"];
        if (in.is_null() || in["dynamic"] == true) continue;
        return nuq::parse_quant_args(in, name);
    }
    FAIL("no calibrated input group");
    return {};
}

/// Little-endian hex of the value as the reference stores it: bf16 or f32.
std::string hex_of(float v, std::string const& dtype) {
    unsigned char b[4];
    std::size_t n = 4;
    if (dtype == "bfloat16") {
        auto const bits = nuq::bfloat16_t(v).bits;
        std::memcpy(b, &bits, 2);
        n = 2;
    } else {
        std::memcpy(b, &v, 4);
    }
    static char const digits[] = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += digits[b[i] >> 4], s += digits[b[i] & 15];
    return s;
}

} // namespace

TEST_CASE("input scales from the reference's observer statistics are byte-exact", "[calib]") {
    auto const folder = GENERATE(as<std::string>{}, "fp8_static", "int8_static",
                                 "int8_static_no_observer", "nvfp4_w4a4_fp8",
                                 "nvfp4_w4a4_fp8_no_observer");
    auto const meta = load(folder, "golden_meta.json");
    auto const args = calibrated_input_args(load(folder, "config.json"));
    int checked = 0;
    for (auto const& [tensor, expected] : meta["activation_tensors"].items()) {
        auto const dot = tensor.rfind('.');
        auto const module = tensor.substr(0, dot), kind = tensor.substr(dot + 1);
        auto const& stats = meta["observer_statistics"][module + ".input"];
        auto const mins = stats["min_vals"].get<std::vector<float>>();
        auto const maxs = stats["max_vals"].get<std::vector<float>>();
        // one call whose rows are the statistics: the observer's min/max are them again
        std::int64_t const groups = static_cast<std::int64_t>(mins.size());
        std::int64_t const group = kind == "input_global_scale" ? 16 : 1;
        nuq::calib::activation_observer obs(nuq::calib::observer_kind::static_minmax,
                                            groups * group, group > 1 ? group : 0,
                                            nuq::dtype::bfloat16);
        std::vector<float> rows(static_cast<std::size_t>(2 * groups * group));
        for (std::int64_t g = 0; g < groups; ++g)
            for (std::int64_t j = 0; j < group; ++j) {
                rows[static_cast<std::size_t>(g * group + j)] = mins[static_cast<std::size_t>(g)];
                rows[static_cast<std::size_t>((groups + g) * group + j)] =
                    maxs[static_cast<std::size_t>(g)];
            }
        obs.observe(rows.data(), 2, groups * group);
        auto const q = nuq::calib::input_qparams_of(args, obs, nuq::dtype::bfloat16, module);
        auto const value = kind == "input_global_scale" ? q.global_scale : q.scale;
        REQUIRE(value);
        INFO(folder << " " << tensor);
        CHECK(hex_of(*value, expected["dtype"]) == expected["hex"].get<std::string>());
        CHECK_FALSE(q.zero_point);
        ++checked;
    }
    CHECK(checked == (folder.starts_with("nvfp4") ? 36 : 42));
}

TEST_CASE("activation observers: static keeps the extremes, memoryless the last call, "
          "minmax averages in bf16", "[calib]") {
    using nuq::calib::observer_kind;
    float const a[] = {-1.0f, 2.0f}, b[] = {-3.0f, 0.5f};
    nuq::calib::activation_observer s(observer_kind::static_minmax, 2, 0, nuq::dtype::bfloat16);
    nuq::calib::activation_observer m(observer_kind::memoryless_minmax, 2, 0,
                                      nuq::dtype::bfloat16);
    nuq::calib::activation_observer e(observer_kind::minmax, 2, 0, nuq::dtype::bfloat16);
    for (auto* o : {&s, &m, &e}) o->observe(a, 1, 2), o->observe(b, 1, 2);
    CHECK(s.min()[0] == -3.0f);
    CHECK(s.max()[0] == 2.0f);
    CHECK(m.min()[0] == -3.0f);
    CHECK(m.max()[0] == 0.5f);
    // R(R(-1·0.99) + R(-3·0.01)) and R(R(2·0.99) + R(0.5·0.01)) in bf16
    auto const r = [](float x) { return float(nuq::bfloat16_t(x)); };
    CHECK(e.min()[0] == r(r(-1.0f * 0.99f) + r(-3.0f * 0.01f)));
    CHECK(e.max()[0] == r(r(2.0f * 0.99f) + r(0.5f * 0.01f)));
    CHECK(e.min()[0] != s.min()[0]);
    CHECK(s.absmax() == 3.0f);
}

TEST_CASE("input qparams refuse what they cannot calibrate", "[calib]") {
    nuq::quant_args a;
    a.num_bits = 8;
    a.strategy = nuq::quant_strategy::channel;
    a.dynamic = nuq::dynamic_mode::static_;
    nuq::calib::activation_observer obs(nuq::calib::observer_kind::static_minmax, 4, 0,
                                        nuq::dtype::bfloat16);
    CHECK(nuq::test::error_of([&] {
              nuq::calib::input_qparams_of(a, obs, nuq::dtype::bfloat16, "m");
          }).id() == "calib.no_statistics");
    float const x[] = {1, 2, 3, 4};
    obs.observe(x, 1, 4);
    CHECK(nuq::test::error_of([&] {
              nuq::calib::input_qparams_of(a, obs, nuq::dtype::bfloat16, "m");
          }).id() == "calib.input_strategy");
    a.observer = "mse";
    CHECK(nuq::test::error_of([&] { nuq::calib::input_observer(a, "m"); }).id() ==
          "calib.observer");
}
