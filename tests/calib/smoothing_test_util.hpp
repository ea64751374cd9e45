#pragma once
// Helpers shared by the AWQ and SmoothQuant tests: tiny-llama-sotu, calibration sequences cut
// from the SOTU corpus, and the sequential pipeline's per-layer protocol around a transform.
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <xtensor/xtensor.hpp>

#include "nuq/calib/layer_context.hpp"
#include "nuq/calib/layer_modules.hpp"
#include "nuq/io/checkpoint.hpp"
#include "nuq/model/decoder.hpp"
#include "nuq/model/weights.hpp"
#include "nuq/quant/presets.hpp"

namespace nuq::test {

inline std::string const tiny_llama = NUQ_TEST_DATA "/../../examples/data/tiny-llama-sotu";

/// `n` sequences of `len` token ids: consecutive windows of sotu_calib.txt's bytes, which are
/// tiny-llama-sotu's token ids.
inline xt::xtensor<std::int64_t, 2> calibration_tokens(std::size_t n, std::size_t len) {
    std::ifstream f(NUQ_TEST_DATA "/corpus/sotu_calib.txt", std::ios::binary);
    std::string const text{std::istreambuf_iterator<char>(f), {}};
    REQUIRE(text.size() >= n * len);
    xt::xtensor<std::int64_t, 2> t = xt::empty<std::int64_t>({n, len});
    for (std::size_t i = 0; i < n * len; ++i) t.data()[i] = static_cast<unsigned char>(text[i]);
    return t;
}

/// A checkpoint's module names: its tensors' names without ".weight" / ".bias".
inline std::vector<std::string> module_names(io::checkpoint const& ck) {
    std::set<std::string> names;
    for (auto const& t : ck.names()) names.insert(t.substr(0, t.rfind('.')));
    return {names.begin(), names.end()};
}

/// `preset`'s weight args for every projection of the decoder layers (lm_head stays dense).
inline calib::weight_args_fn projections(std::string const& preset) {
    auto const args = *preset_scheme(preset, {"Linear"}).weights;
    return [args](std::string const& name) -> std::optional<quant_args> {
        auto const m = calib::locate(name);
        if (m && !calib::is_norm(m->module)) return args;
        return std::nullopt;
    };
}

/// One decoder layer as the transform saw it.
struct layer_run {
    xt::xtensor<float, 3> input;        ///< the layer's input hidden states
    model::layer_weights before, after; ///< its weights before and after end_layer
};

/// The tap that hands every Linear input to transform `t`.
template <class Transform> model::input_tap observer_of(Transform& t) {
    return [&t](model::linear_input in, float const* x, std::int64_t batch, std::int64_t seq,
                std::int64_t cols) { t.observe(in, x, batch, seq, cols); };
}

enum class pipeline_order { sequential, basic };

/// The pipeline around transform `t` over every layer. sequential: begin_layer, a calibration
/// pass whose tap calls observe, end_layer, then propagation through the smoothed layer.
/// basic: every layer begun and calibrated (the hidden states flowing through the unsmoothed
/// layers), then every layer's end.
template <class Transform>
std::vector<layer_run> run_layers(Transform& t, model::weights const& w,
                                  xt::xtensor<std::int64_t, 2> const& tokens, dtype type,
                                  calib::weight_args_fn const& args = {},
                                  pipeline_order order = pipeline_order::sequential) {
    auto const& c = w.cfg();
    auto const rot = model::make_rotary(c, static_cast<std::int64_t>(tokens.shape(1)));
    auto hidden = model::embed(w.embed_tokens(), tokens);
    auto const context = [&](std::int64_t i) {
        return calib::layer_context{c, i, calib::layer_prefix(i), rot, args, type};
    };
    std::vector<layer_run> runs;
    for (std::int64_t i = 0; i < c.num_hidden_layers; ++i) {
        layer_run r{hidden, w.layer(i), w.layer(i)};
        auto const ctx = context(i);
        t.begin_layer(ctx);
        if (order == pipeline_order::basic) {
            model::run_layer(c, r.before, rot, hidden, observer_of(t));
        } else {
            auto calibration = hidden;
            model::run_layer(c, r.after, rot, calibration, observer_of(t));
            t.end_layer(ctx, r.after);
            model::run_layer(c, r.after, rot, hidden);
        }
        runs.push_back(std::move(r));
    }
    if (order == pipeline_order::basic)
        for (std::int64_t i = 0; i < c.num_hidden_layers; ++i)
            t.end_layer(context(i), runs[static_cast<std::size_t>(i)].after);
    return runs;
}

/// ‖a − b‖ / ‖b‖.
template <class A, class B>
double relative_error(A const& a, B const& b) {
    double d = 0, n = 0;
    for (std::size_t i = 0; i < b.size(); ++i) {
        d += (double(a.data()[i]) - b.data()[i]) * (double(a.data()[i]) - b.data()[i]);
        n += double(b.data()[i]) * b.data()[i];
    }
    return std::sqrt(d / n);
}

/// What layer `w` adds to its input hidden states (its output minus the residual).
inline xt::xtensor<float, 3> layer_delta(model::config const& c, model::layer_weights const& w,
                                         model::rotary const& rot,
                                         xt::xtensor<float, 3> const& input) {
    auto out = input;
    model::run_layer(c, w, rot, out);
    xt::xtensor<float, 3> d = out - input;
    return d;
}

} // namespace nuq::test
