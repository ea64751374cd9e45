// AWQModifier one decoder layer at a time: the grid, the scales, mapping resolution and its
// errors, and on tiny-llama-sotu that smoothing keeps each layer's function while the chosen
// scales lower the quantization error at the parent's output.
#include <cmath>
#include <cstdint>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include <catch2/catch.hpp>

#include "calib/smoothing_test_util.hpp"
#include "nuq/calib/awq.hpp"
#include "nuq/quant/presets.hpp"
#include "nuq/quant/quantize.hpp"
#include "support/test_helpers.hpp"

namespace {

using nuq::recipe::duo_scaling;
using point = nuq::calib::awq_grid_point;

std::string const path = "quant_stage.quant_modifiers.AWQModifier";

nuq::recipe::awq_modifier modifier(duo_scaling duo = duo_scaling::on) {
    nuq::recipe::awq_modifier m;
    m.info.path = path;
    m.duo = duo;
    return m;
}

nuq::recipe::awq_mapping mapping(std::string smooth, std::vector<std::string> balance) {
    return {path + ".mappings[0]", std::move(smooth), std::move(balance), {}};
}

/// The model and its module names, loaded once.
struct tiny {
    nuq::io::checkpoint ck{nuq::test::tiny_llama};
    nuq::model::weights w{ck};
    std::vector<std::string> names = nuq::test::module_names(ck);
};

/// l's weight fake-quantized with `preset`'s weight args in D, as the quantizing modifier
/// after AWQ would (round to nearest, memoryless min-max qparams).
template <class D>
nuq::model::linear rtn(nuq::model::linear l, std::string const& preset) {
    auto const args = *nuq::preset_scheme(preset, {"Linear"}).weights;
    std::vector<D> values(l.weight.size());
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = nuq::from_float<D>(l.weight.data()[i]);
    nuq::weight_view<D> const view{values, static_cast<std::int64_t>(l.weight.shape(0)),
                                   static_cast<std::int64_t>(l.weight.shape(1))};
    nuq::tensor_ref const ref(nuq::dtype_of<D>(), {view.rows, view.cols},
                              std::as_bytes(std::span(values)));
    auto const q = nuq::fake_quantize(args, ref, {});
    std::copy(q.begin(), q.end(), l.weight.begin());
    return l;
}

double mse(xt::xtensor<float, 3> const& a, xt::xtensor<float, 3> const& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        s += (double(a.data()[i]) - b.data()[i]) * (double(a.data()[i]) - b.data()[i]);
    return s / double(a.size());
}

} // namespace

TEST_CASE("awq grid: the points llm-compressor searches for each duo_scaling", "[calib][awq]") {
    using nuq::calib::awq_grid;
    auto const on = awq_grid(duo_scaling::on, 20);
    REQUIRE(on.size() == 20);
    CHECK(on[0] == point{0.0, false});
    for (int i = 1; i < 20; ++i) CHECK(on[i] == point{(i - 1) / 18.0, true});
    CHECK(on.back() == point{1.0, true});

    auto const off = awq_grid(duo_scaling::off, 20);
    REQUIRE(off.size() == 20);
    for (int i = 0; i < 20; ++i) CHECK(off[i] == point{i / 19.0, false});

    auto const both = awq_grid(duo_scaling::both, 20);
    REQUIRE(both.size() == 20);
    for (int i = 0; i < 10; ++i) {
        CHECK(both[2 * i] == point{i / 9.0, false});
        CHECK(both[2 * i + 1] == point{i / 9.0, true});
    }
    CHECK(awq_grid(duo_scaling::both, 5) ==
          std::vector<point>{{0, false}, {0, true}, {1, false}, {1, true}});
    CHECK(awq_grid(duo_scaling::on, 1) == std::vector<point>{{0, false}});

    // where the reference divides by zero or searches nothing
    CHECK(nuq::test::error_of([] { awq_grid(duo_scaling::on, 2); }).id() == "calib.awq_n_grid");
    CHECK(nuq::test::error_of([] { awq_grid(duo_scaling::off, 1); }).id() == "calib.awq_n_grid");
    CHECK(nuq::test::error_of([] { awq_grid(duo_scaling::both, 3); }).id() == "calib.awq_n_grid");
}

TEST_CASE("awq scales: x_mean^α clamped and normalised, float64 with the weight means",
          "[calib][awq]") {
    using nuq::calib::awq_scales;
    std::vector<float> const x{1.0f, 4.0f, 0.0f};
    std::vector<double> const w{0.5, 0.25, 1.0};

    auto const identity = awq_scales(x, w, {0.0, false}); // 0^0 = 1
    CHECK(identity.values == std::vector<double>{1, 1, 1});
    CHECK_FALSE(identity.float64);

    // {1, 4, 1e-4} / sqrt(4 · 1e-4)
    auto const act = awq_scales(x, w, {1.0, false});
    CHECK(act.values[0] == Approx(50.0).epsilon(1e-6));
    CHECK(act.values[1] == Approx(200.0).epsilon(1e-6));
    CHECK(act.values[2] == Approx(0.005).epsilon(1e-6));

    // x^½ / (w^½ + 1e-4) = {1.41393, 3.99920, 1e-4 (clamped)}, then normalised
    auto const duo = awq_scales(x, w, {0.5, true});
    CHECK(duo.float64);
    double const raw[] = {1.0 / (std::sqrt(0.5) + 1e-4), 2.0 / (0.5 + 1e-4), 1e-4};
    double const norm = std::sqrt(raw[1] * raw[2]);
    for (int j = 0; j < 3; ++j) CHECK(duo.values[j] == Approx(raw[j] / norm).epsilon(1e-12));

    // a NaN weight mean (no quantized rows) makes every scale 1
    auto const nan = awq_scales(x, {std::nan(""), 1.0, 1.0}, {0.5, true});
    CHECK(nan.values == std::vector<double>{1, 1, 1});
}

TEST_CASE("awq weight means: |W| over its quantization chunk's max, averaged over rows",
          "[calib][awq]") {
    xt::xtensor<float, 2> const w{{1.0f, -2.0f, 4.0f, 8.0f}, {-1.0f, 1.0f, 0.5f, 0.0f}};
    auto const means = [&](nuq::quant_args const& a) {
        std::vector<double> sum;
        std::int64_t rows = 0;
        nuq::calib::add_weight_means<float>(w, a, sum, rows, "w");
        REQUIRE(rows == 2);
        for (auto& v : sum) v /= double(rows);
        return sum;
    };
    auto const approx = [](std::vector<double> const& got, std::vector<double> const& want) {
        REQUIRE(got.size() == want.size());
        for (std::size_t j = 0; j < want.size(); ++j)
            CHECK(got[j] == Approx(want[j]).epsilon(1e-5));
    };
    auto const channel = *nuq::preset_scheme("W8A8", {"Linear"}).weights; // per row: 8 and 1
    approx(means(channel),
           {(1 / 8.0 + 1) / 2, (2 / 8.0 + 1) / 2, (4 / 8.0 + 0.5) / 2, (1 + 0.0) / 2});
    auto group = channel;
    group.strategy = nuq::quant_strategy::group;
    group.group_size = 2; // chunks {1,-2} {4,8} {-1,1} {.5,0}
    approx(means(group), {(0.5 + 1) / 2, (1 + 1) / 2, (0.5 + 1) / 2, (1 + 0.0) / 2});
    auto tensor = channel;
    tensor.strategy = nuq::quant_strategy::tensor; // one chunk: max 8
    approx(means(tensor), {(1 + 1) / 16.0, (2 + 1) / 16.0, (4 + 0.5) / 16.0, 8 / 16.0});

    group.group_size = 3; // 8 values do not fall into groups of 3
    CHECK(nuq::test::error_of([&] { means(group); }).id() == "calib.awq_weight_chunks");
}

TEST_CASE("awq resolves the default mappings: 3 per layer, v→o skipped for grouped-query "
          "attention",
          "[calib][awq]") {
    tiny const t;
    auto const& c = t.w.cfg();
    REQUIRE(c.num_attention_heads == 4);
    REQUIRE(c.num_key_value_heads == 2);
    nuq::calib::awq const a(modifier(), c, t.names, nuq::test::projections("W4A16"));
    CHECK(a.resolved() == 3 * static_cast<std::size_t>(c.num_hidden_layers));
    auto const skipped = a.skipped();
    REQUIRE(skipped.size() == static_cast<std::size_t>(c.num_hidden_layers));
    for (auto const& s : skipped) {
        CHECK(s.find("self_attn.v_proj → [") != std::string::npos);
        CHECK(s.find("grouped-query") != std::string::npos);
    }
}

TEST_CASE("awq: no mapping resolving is an error naming the modifier", "[calib][awq]") {
    tiny const t;
    auto const nothing = [](std::string const&) { return std::optional<nuq::quant_args>{}; };
    auto const e =
        nuq::test::error_of([&] { nuq::calib::awq(modifier(), t.w.cfg(), t.names, nothing); });
    CHECK(e.id() == "calib.awq_mappings");
    CHECK(e.where() == path);
    CHECK_FALSE(e.fix().empty());

    // quantizing only the MLP leaves the attention mapping skipped, not the modifier
    auto const mlp = [](std::string const& n) {
        return n.find(".mlp.") != std::string::npos
                   ? std::optional(*nuq::preset_scheme("W4A16", {"Linear"}).weights)
                   : std::nullopt;
    };
    nuq::calib::awq const a(modifier(), t.w.cfg(), t.names, mlp);
    CHECK(a.resolved() == 2 * 6);
}

TEST_CASE("awq: a mapping the model cannot satisfy is an error naming the mapping",
          "[calib][awq]") {
    tiny const t;
    auto const with = [&](nuq::recipe::awq_mapping mp) {
        auto m = modifier();
        m.mappings = std::vector{std::move(mp)};
        return nuq::test::error_of(
            [&] { nuq::calib::awq(m, t.w.cfg(), t.names, nuq::test::projections("W4A16")); });
    };
    // a balance layer the model does not have
    auto e = with(mapping("re:.*input_layernorm$", {"re:.*qkv_proj$"}));
    CHECK(e.id() == "calib.mapping");
    CHECK(e.where() == path + ".mappings[0]");
    CHECK(std::string(e.what()).find("qkv_proj") != std::string::npos);
    // nothing at all
    CHECK(with(mapping("re:.*ln_1$", {"re:.*c_attn$"})).id() == "calib.mapping");
    // a smooth layer whose output the balance layers do not read
    CHECK(with(mapping("re:.*input_layernorm$", {"re:.*gate_proj$"})).id() == "calib.mapping");
    // one module matched by two targets
    CHECK(with(mapping("re:.*input_layernorm$", {"re:.*_proj$", "re:.*q_proj$"})).id() ==
          "calib.mapping");
}

TEST_CASE("awq: duo scaling with a per-tensor balance layer is an error", "[calib][awq]") {
    tiny const t;
    auto const fp8 = nuq::test::projections("FP8"); // tensor strategy
    auto const e = nuq::test::error_of(
        [&] { nuq::calib::awq(modifier(duo_scaling::on), t.w.cfg(), t.names, fp8); });
    CHECK(e.id() == "calib.awq_duo_tensor");
    nuq::calib::awq const off(modifier(duo_scaling::off), t.w.cfg(), t.names, fp8);
    CHECK(off.resolved() == 18);
}

TEST_CASE("awq keeps each layer's function: exactly in fp32, within bf16 rounding in bf16",
          "[calib][awq]") {
    tiny const t;
    auto const& c = t.w.cfg();
    auto const tokens = nuq::test::calibration_tokens(4, 64);
    auto const rot = nuq::model::make_rotary(c, 64);
    struct variant {
        std::string preset;
        duo_scaling duo;
        nuq::dtype type;
        double bound;
    };
    for (auto const& v : {variant{"W4A16", duo_scaling::on, nuq::dtype::float32, 1e-5},
                          variant{"W4A16", duo_scaling::on, nuq::dtype::bfloat16, 2e-2},
                          variant{"NVFP4A16", duo_scaling::both, nuq::dtype::bfloat16, 2e-2},
                          variant{"W8A8", duo_scaling::off, nuq::dtype::bfloat16, 2e-2}}) {
        INFO(v.preset << " in " << nuq::torch_name(v.type));
        auto const args = nuq::test::projections(v.preset);
        auto m = modifier(v.duo);
        m.n_grid = 10; // function preservation needs no fine grid
        nuq::calib::awq a(m, c, t.names, args);
        auto const runs = nuq::test::run_layers(a, t.w, tokens, v.type, args);
        REQUIRE(a.report().size() == 18);
        double worst = 0;
        for (auto const& r : runs) {
            auto const before = nuq::test::layer_delta(c, r.before, rot, r.input);
            auto const after = nuq::test::layer_delta(c, r.after, rot, r.input);
            worst = std::max(worst, nuq::test::relative_error(after, before));
        }
        int smoothed = 0;
        for (auto const& r : a.report()) smoothed += r.ratio > 0 || r.duo;
        std::cout << "awq " << v.preset << " " << nuq::torch_name(v.type)
                  << ": worst relative change of a layer's output " << worst << ", " << smoothed
                  << " of 18 mappings not identity\n";
        CHECK(worst < v.bound);
        CHECK(smoothed > 0);
        if (v.type == nuq::dtype::bfloat16) {
            std::size_t inexact = 0;
            for (auto const& r : runs)
                for (auto const* m : {&r.after.input_norm, &r.after.post_attention_norm})
                    for (float x : *m) inexact += x != nuq::round_to<nuq::bfloat16_t>(x);
            for (auto const& r : runs)
                for (auto const* l : {&r.after.q, &r.after.k, &r.after.v, &r.after.gate,
                                      &r.after.up, &r.after.down})
                    for (float x : l->weight) inexact += x != nuq::round_to<nuq::bfloat16_t>(x);
            CHECK(inexact == 0);
        }
    }
}

TEST_CASE("awq's chosen scales beat or equal identity at the parent's output", "[calib][awq]") {
    tiny const t;
    auto const& c = t.w.cfg();
    auto const tokens = nuq::test::calibration_tokens(8, 64);
    auto const rot = nuq::model::make_rotary(c, 64);
    auto const args = nuq::test::projections("W4A16");
    nuq::calib::awq a(modifier(), c, t.names, args);
    auto const runs = nuq::test::run_layers(a, t.w, tokens, nuq::dtype::float32, args);

    int better = 0;
    for (auto const& r : a.report()) {
        CHECK(r.initial_loss > 0);
        CHECK(r.best_loss <= r.initial_loss);
        better += r.best_loss < r.initial_loss;
    }
    std::cout << "awq W4A16: " << better << " of " << a.report().size()
              << " mappings improve on identity; layer 0 q/k/v loss " << a.report()[0].initial_loss
              << " → " << a.report()[0].best_loss << "\n";
    CHECK(better > 0);

    // Independently, as the quantizer after AWQ will see it: round-to-nearest q/k/v of layer 0
    // before and after smoothing, against the unquantized attention output.
    for (std::size_t layer = 0; layer < runs.size(); ++layer) {
        auto const& r = runs[layer];
        auto const quantized = [&](nuq::model::layer_weights w) {
            w.q = rtn<float>(w.q, "W4A16");
            w.k = rtn<float>(w.k, "W4A16");
            w.v = rtn<float>(w.v, "W4A16");
            return w;
        };
        auto const normed = nuq::model::attention_input(c, r.before, r.input);
        auto const smoothed = nuq::model::attention_input(c, r.after, r.input);
        auto const exact = nuq::model::attention_output(c, r.before, rot, normed);
        double const plain =
            mse(nuq::model::attention_output(c, quantized(r.before), rot, normed), exact);
        double const awq =
            mse(nuq::model::attention_output(c, quantized(r.after), rot, smoothed), exact);
        auto const& report = a.report()[3 * layer]; // input_layernorm → q/k/v comes first
        REQUIRE(report.smooth == nuq::calib::layer_prefix(std::int64_t(layer)) + "input_layernorm");
        CHECK(awq <= plain);
        CHECK(report.initial_loss == Approx(plain).epsilon(1e-6));
        CHECK(report.best_loss == Approx(awq).epsilon(1e-3));
    }
}

TEST_CASE("awq smooths v_proj's rows and bias into o_proj when every head has its own values",
          "[calib][awq]") {
    // One random layer of a Qwen2-like model without grouped-query attention: v→o resolves,
    // its parent is o_proj alone, and v_proj's bias is divided too.
    nuq::model::config c;
    c.model_type = "qwen2";
    c.hidden_size = 128;
    c.intermediate_size = 256;
    c.num_hidden_layers = 1;
    c.num_attention_heads = c.num_key_value_heads = 4;
    c.head_dim = 32;
    c.vocab_size = 16;
    c.attention_bias = true;
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    auto const random = [&](std::size_t rows, std::size_t cols, float scale) {
        xt::xtensor<float, 2> m = xt::empty<float>({rows, cols});
        for (auto& x : m) x = scale * normal(rng);
        return m;
    };
    auto const vec = [&](std::size_t n, float mean, float scale) {
        xt::xtensor<float, 1> v = xt::empty<float>({n});
        for (auto& x : v) x = mean + scale * normal(rng);
        return v;
    };
    nuq::model::layer_weights w;
    w.input_norm = vec(128, 1.0f, 0.3f);
    w.post_attention_norm = vec(128, 1.0f, 0.3f);
    w.q = {random(128, 128, 0.1f), vec(128, 0, 0.1f)};
    w.k = {random(128, 128, 0.1f), vec(128, 0, 0.1f)};
    w.v = {random(128, 128, 0.1f), vec(128, 0, 0.1f)};
    w.o = {random(128, 128, 0.1f), {}};
    w.gate = {random(256, 128, 0.1f), {}};
    w.up = {random(256, 128, 0.1f), {}};
    w.down = {random(128, 256, 0.1f), {}};
    std::vector<std::string> names;
    for (auto const& e : nuq::calib::detail::layer_module_names)
        names.push_back("model.layers.0." + std::string(e.suffix));
    auto const args = nuq::test::projections("W4A16");

    nuq::calib::awq a(modifier(), c, names, args);
    CHECK(a.resolved() == 4);
    CHECK(a.skipped().empty());
    auto const rot = nuq::model::make_rotary(c, 16);
    xt::xtensor<float, 3> hidden = xt::empty<float>({2ul, 16ul, 128ul});
    for (auto& x : hidden) x = normal(rng);
    nuq::calib::layer_context const ctx{c, 0, "model.layers.0.", rot, args, nuq::dtype::float32};
    auto smoothed = w;
    a.begin_layer(ctx);
    auto calibration = hidden;
    nuq::model::run_layer(c, w, rot, calibration,
                          [&](nuq::model::linear_input in, float const* x, std::int64_t batch,
                              std::int64_t seq,
                              std::int64_t cols) { a.observe(in, x, batch, seq, cols); });
    a.end_layer(ctx, smoothed);

    REQUIRE(a.report().size() == 4);
    auto const& vo = a.report()[1];
    CHECK(vo.smooth == "model.layers.0.self_attn.v_proj");
    CHECK(vo.balance == std::vector<std::string>{"model.layers.0.self_attn.o_proj"});
    CHECK(vo.best_loss <= vo.initial_loss);
    CHECK(nuq::test::relative_error(smoothed.v.bias, w.v.bias) > 1e-3);
    auto const before = nuq::test::layer_delta(c, w, rot, hidden);
    auto const after = nuq::test::layer_delta(c, smoothed, rot, hidden);
    CHECK(nuq::test::relative_error(after, before) < 1e-5);
}
