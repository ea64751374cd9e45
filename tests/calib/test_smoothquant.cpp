// SmoothQuantModifier one decoder layer at a time: the scale formula on hand-made numbers,
// what one layer's end does to its weights, mapping resolution and its errors, and on
// tiny-llama-sotu that smoothing keeps each layer's function.
#include <cmath>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "calib/smoothing_test_util.hpp"
#include "nuq/calib/smoothquant.hpp"
#include "support/test_helpers.hpp"

namespace {

using nuq::recipe::smoothquant_algorithm;

std::string const path = "quant_stage.quant_modifiers.SmoothQuantModifier";

nuq::recipe::smoothquant_modifier modifier(double alpha = 0.5) {
    nuq::recipe::smoothquant_modifier m;
    m.info.path = path;
    m.smoothing_strength = alpha;
    return m;
}

/// One decoder layer of width 5 (one head of 5), MLP width 3: too small to run, enough to
/// smooth by hand.
nuq::model::config hand_config() {
    nuq::model::config c;
    c.model_type = "llama";
    c.hidden_size = 5;
    c.intermediate_size = 3;
    c.num_hidden_layers = 1;
    c.num_attention_heads = 1;
    c.num_key_value_heads = 1;
    c.head_dim = 5;
    c.vocab_size = 8;
    return c;
}

std::vector<std::string> hand_modules() {
    std::vector<std::string> names;
    for (auto const& e : nuq::calib::detail::layer_module_names)
        names.push_back("model.layers.0." + std::string(e.suffix));
    return names;
}

// Per channel: observed min and max; the largest |W| over q/k/v's column; the scale at α = ½.
//   r = 4, w = 2·0.5  → √4/√1   = 2
//   r = 16, w = 2·8   → √16/√16 = 1
//   r = 4, w = 0      → r       = 4
//   r = 9, w = 2·2    → √9/√4   = 1.5
//   r = 0, w = 2·1    → 0       → 1e-5
std::vector<float> const lows{-1, 0, -2, 0, 1}, highs{3, 16, 2, 9, 1};
xt::xtensor<float, 2> const q_rows{
    {0.5f, 8, 0, 2, 1}, {0, 0, 0, 0, 0}, {0.25f, -1, 0, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}};
xt::xtensor<float, 2> const k_rows{
    {-0.25f, -8, 0, 1, -1}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}};
std::vector<double> const expected{2, 1, 4, 1.5, double(1e-5f)};

nuq::model::linear zeros(std::size_t out, std::size_t in) {
    return {xt::zeros<float>({out, in}), {}};
}

nuq::model::layer_weights hand_layer() {
    nuq::model::layer_weights w;
    w.input_norm = xt::ones<float>({5ul});
    w.post_attention_norm = xt::ones<float>({5ul});
    w.q = {q_rows, {}};
    w.k = {k_rows, {}};
    w.v = zeros(5, 5);
    w.o = zeros(5, 5);
    w.gate = zeros(3, 5);
    w.up = zeros(3, 5);
    w.down = zeros(5, 3);
    return w;
}

} // namespace

TEST_CASE("smoothquant scales: r^α / w^(1−α), r where w = 0, at least 1e-5",
          "[calib][smoothquant]") {
    using nuq::calib::smoothquant_scales;
    auto const s = smoothquant_scales<float>(lows, highs, {&q_rows, &k_rows}, 0.5,
                                             smoothquant_algorithm::smoothquant);
    CHECK(s.values == expected);
    CHECK_FALSE(s.float64);

    // log equalization: r / log2(2 + r)
    auto const log = smoothquant_scales<float>({0, 0, 0, 0}, {2, 6, 14, 0}, {}, 0.5,
                                               smoothquant_algorithm::log_equalization);
    CHECK(log.values == std::vector<double>{1, 2, 3.5, double(1e-5f)});

    // in bf16 the observed min rounds first: −1.00390625 → −1, so r = 4 and s = 2 exactly
    xt::xtensor<float, 2> const half{{0.5f}};
    auto const bf16 = smoothquant_scales<nuq::bfloat16_t>({-1.00390625f}, {3}, {&half}, 0.5,
                                                          smoothquant_algorithm::smoothquant);
    CHECK(bf16.values[0] == 2);
    auto const f32 = smoothquant_scales<float>({-1.00390625f}, {3}, {&half}, 0.5,
                                               smoothquant_algorithm::smoothquant);
    CHECK(f32.values[0] > 2);
}

TEST_CASE("smoothquant's end_layer divides the norm and multiplies the balance columns",
          "[calib][smoothquant]") {
    auto const c = hand_config();
    nuq::calib::smoothquant sq(modifier(), c, hand_modules());
    CHECK(sq.resolved() == 2);
    auto const rot = nuq::model::make_rotary(c, 2);
    nuq::calib::layer_context const ctx{c, 0, "model.layers.0.", rot, {}, nuq::dtype::float32};
    sq.begin_layer(ctx);
    std::vector<float> x(lows);
    x.insert(x.end(), highs.begin(), highs.end()); // one sequence of two positions
    sq.observe(nuq::model::linear_input::qkv, x.data(), 1, 2, 5);
    auto w = hand_layer();
    sq.end_layer(ctx, w);

    for (std::size_t j = 0; j < 5; ++j) {
        auto const s = float(expected[j]);
        CHECK(w.input_norm(j) == 1.0f / s);
        for (std::size_t r = 0; r < 5; ++r) {
            CHECK(w.q.weight(r, j) == q_rows(r, j) * s);
            CHECK(w.k.weight(r, j) == k_rows(r, j) * s);
        }
    }
    // the MLP mapping saw no inputs: untouched, and said so
    bool const untouched = w.post_attention_norm == xt::xtensor<float, 1>(xt::ones<float>({5ul}));
    CHECK(untouched);
    REQUIRE(sq.report().size() == 1);
    CHECK(sq.report()[0].smooth == "model.layers.0.input_layernorm");
    REQUIRE(sq.skipped().size() == 1);
    CHECK(sq.skipped()[0].find("no calibration inputs") != std::string::npos);
}

TEST_CASE("smoothquant resolves the default mappings: 2 per layer", "[calib][smoothquant]") {
    nuq::io::checkpoint const ck(nuq::test::tiny_llama);
    nuq::model::weights const w(ck);
    auto const names = nuq::test::module_names(ck);
    nuq::calib::smoothquant const sq(modifier(), w.cfg(), names);
    CHECK(sq.resolved() == 2 * 6);
    CHECK(sq.skipped().empty());

    // ignoring the Linear layers alone keeps a mapping: its norm is still smoothed
    auto m = modifier();
    m.ignore = std::vector<std::string>{"Linear"};
    CHECK(nuq::calib::smoothquant(m, w.cfg(), names).resolved() == 12);
    // ignoring every layer of every mapping leaves nothing: an error naming the modifier
    m.ignore = std::vector<std::string>{"Linear", "re:.*layernorm$"};
    auto const e = nuq::test::error_of([&] { nuq::calib::smoothquant(m, w.cfg(), names); });
    CHECK(e.id() == "calib.smoothquant_mappings");
    CHECK(e.where() == path);
}

TEST_CASE("smoothquant: a mapping the model cannot satisfy is an error naming the mapping",
          "[calib][smoothquant]") {
    auto const c = hand_config();
    auto const with = [&](std::vector<std::string> balance, std::string smooth) {
        auto m = modifier();
        m.mappings = std::vector<nuq::recipe::smoothquant_mapping>{
            {path + ".mappings[0]", std::move(balance), std::move(smooth)}};
        return nuq::test::error_of([&] { nuq::calib::smoothquant(m, c, hand_modules()); });
    };
    auto const missing = with({"re:.*qkv_proj"}, "re:.*input_layernorm");
    CHECK(missing.id() == "calib.mapping");
    CHECK(missing.where() == path + ".mappings[0]");
    // a Linear smooth layer: its output is not what the calibration tap sees
    CHECK(with({"re:.*o_proj"}, "re:.*v_proj").id() == "calib.smoothquant_mapping");
    // the norm before the attention does not feed the MLP
    CHECK(with({"re:.*gate_proj", "re:.*up_proj"}, "re:.*input_layernorm").id() == "calib.mapping");
}

TEST_CASE("smoothquant keeps each layer's function: exactly in fp32, within bf16 rounding in "
          "bf16",
          "[calib][smoothquant]") {
    nuq::io::checkpoint const ck(nuq::test::tiny_llama);
    nuq::model::weights const w(ck);
    auto const& c = w.cfg();
    auto const names = nuq::test::module_names(ck);
    auto const tokens = nuq::test::calibration_tokens(8, 64);
    auto const rot = nuq::model::make_rotary(c, 64);
    for (auto const type : {nuq::dtype::float32, nuq::dtype::bfloat16}) {
        nuq::calib::smoothquant sq(modifier(0.8), c, names);
        auto const runs = nuq::test::run_layers(sq, w, tokens, type);
        REQUIRE(sq.report().size() == 12);
        double worst = 0, moved = 0;
        for (auto const& r : runs) {
            auto const before = nuq::test::layer_delta(c, r.before, rot, r.input);
            auto const after = nuq::test::layer_delta(c, r.after, rot, r.input);
            worst = std::max(worst, nuq::test::relative_error(after, before));
            moved =
                std::max(moved, nuq::test::relative_error(r.after.input_norm, r.before.input_norm));
        }
        std::cout << "smoothquant α 0.8 " << nuq::torch_name(type)
                  << ": worst relative change of a layer's output " << worst
                  << ", largest relative change of input_layernorm " << moved << "\n";
        CHECK(worst < (type == nuq::dtype::float32 ? 1e-5 : 2e-2));
        CHECK(moved > 0.1); // it did smooth
    }
}

TEST_CASE("smoothquant in the basic pipeline's order: all layers begun, then all ended",
          "[calib][smoothquant]") {
    nuq::io::checkpoint const ck(nuq::test::tiny_llama);
    nuq::model::weights const w(ck);
    auto const names = nuq::test::module_names(ck);
    auto const tokens = nuq::test::calibration_tokens(4, 64);
    nuq::calib::smoothquant sequential(modifier(), w.cfg(), names),
        basic(modifier(), w.cfg(), names);
    auto const a = nuq::test::run_layers(sequential, w, tokens, nuq::dtype::float32);
    auto const b = nuq::test::run_layers(basic, w, tokens, nuq::dtype::float32, {},
                                         nuq::test::pipeline_order::basic);
    REQUIRE(basic.report().size() == 12);
    // each layer saw its own inputs: the same as the sequential run's up to fp32 rounding of
    // the smoothed layers before it
    for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(nuq::test::relative_error(b[i].after.input_norm, a[i].after.input_norm) < 1e-4);
        CHECK(nuq::test::relative_error(b[i].after.up.weight, a[i].after.up.weight) < 1e-4);
    }
    // an end without its begin is refused
    auto const rot = nuq::model::make_rotary(w.cfg(), 64);
    auto layer = w.layer(0);
    auto const e = nuq::test::error_of([&] {
        basic.end_layer({w.cfg(), 0, "model.layers.0.", rot, {}, nuq::dtype::float32}, layer);
    });
    CHECK(e.id() == "calib.smoothquant_layer");
}
