#pragma once
// calibrated_run: one calibrated pass over the model for a set of layer steps, as
// llm-compressor's pipelines drive their modifiers (docs/ALGORITHMS.md §8.4–§8.6):
//   sequential  per decoder layer: a calibration pass on the cached inputs with every step's
//               hooks, the steps' epoch end in recipe order, then (when a step changed weights)
//               a propagation pass, so the next layer sees what the modifiers left;
//   basic       every layer's calibration pass on the unmodified model, then one epoch end
//               for all layers (no propagation of changes).
// Only the current layer's weights are held (basic: every layer's, as the reference), plus
// the cached hidden states of the calibration samples (hidden_cache). The forward runs in the
// model's dtype (bf16 activations for a bf16 checkpoint), as llm-compressor calibrates.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "nuq/calib/dataset.hpp"
#include "nuq/pipeline/calibration_batches.hpp"
#include "nuq/model/decoder.hpp"
#include "nuq/pipeline/calibration_state.hpp"
#include "nuq/pipeline/hidden_cache.hpp"
#include "nuq/pipeline/layer_step.hpp"

namespace nuq::pipeline {

/// The float dtype of the checkpoint's weights (config.json's dtype / torch_dtype).
inline dtype weight_dtype_of(model::config const& c) {
    if (c.dtype == "bfloat16") return dtype::bfloat16;
    if (c.dtype == "float16") return dtype::float16;
    return dtype::float32;
}

enum class run_kind { sequential, basic };

/// Runs `steps` over every decoder layer on `data`; their results go into `state`.
/// `weight_args`: the weight args each Linear is finally quantized with (for the transforms).
inline void calibrated_run(model::weights const& w, calibration_batches const& data,
                           std::vector<layer_step*> const& steps, run_kind kind,
                           calib::weight_args_fn const& weight_args, calibration_state& state,
                           std::ostream* log, std::string const& what) {
    auto c = w.cfg();
    c.activations = model::activations_of(c); // the model's dtype, as the reference calibrates
    auto const rot = model::make_rotary(c, data.longest);
    auto const type = weight_dtype_of(c);
    // Cached in the forward's chunks of sequences, so that only one chunk is ever in fp32.
    hidden_cache hidden(c.activations);
    {
        auto const table = w.embed_tokens();
        for (auto const& b : data.batches) {
            auto const n = b.shape(0), len = b.shape(1);
            auto const part = static_cast<std::size_t>(
                model::detail::chunk_sequences(static_cast<std::int64_t>(len)));
            for (std::size_t s0 = 0; s0 < n; s0 += part) {
                auto const rows = std::min(part, n - s0);
                xt::xtensor<std::int64_t, 2> chunk = xt::empty<std::int64_t>({rows, len});
                std::copy_n(b.data() + s0 * len, rows * len, chunk.data());
                hidden.push_back(model::embed(table, chunk));
            }
        }
    }
    bool const changes = std::any_of(steps.begin(), steps.end(),
                                     [](layer_step const* s) { return s->changes_weights(); });
    bool const sequential = kind == run_kind::sequential;
    model::input_tap const tap = [&](model::linear_input in, float const* x, std::int64_t batch,
                                     std::int64_t seq, std::int64_t cols) {
        for (auto* s : steps) s->observe(in, x, batch, seq, cols);
    };
    auto const epoch_end = [&](layer_context const& ctx, model::layer_weights& layer) {
        auto const before = layer;
        for (auto* s : steps) s->end_layer(ctx, layer, state);
        record_changes(ctx.index, before, layer, state);
    };
    std::vector<model::layer_weights> held; // basic: every layer until the common epoch end
    auto const start = std::chrono::steady_clock::now();
    for (std::int64_t i = 0; i < c.num_hidden_layers; ++i) {
        auto layer = load_layer(w, i, state);
        layer_context const ctx{c, i, "model.layers." + std::to_string(i) + ".", rot, weight_args,
                                type};
        for (auto* s : steps) s->begin_layer(ctx);
        bool const recompute = sequential && changes;
        for (std::size_t b = 0; b < hidden.size(); ++b) {
            auto h = hidden.get(b);
            model::run_layer(c, layer, rot, h, tap);
            if (!recompute) hidden.set(b, h); // else the calibration pass is not propagated
        }
        if (sequential) {
            epoch_end(ctx, layer);
            if (recompute && i + 1 < c.num_hidden_layers)
                for (std::size_t b = 0; b < hidden.size(); ++b) { // propagation
                    auto h = hidden.get(b);
                    model::run_layer(c, layer, rot, h);
                    hidden.set(b, h);
                }
        } else {
            held.push_back(std::move(layer));
        }
        if (log) {
            double const s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            *log << "[" << what << "] layer " << i + 1 << "/" << c.num_hidden_layers << " calibrated ("
                 << data.samples << " samples, " << static_cast<int>(s * 10) / 10.0 << " s)\n";
        }
    }
    for (std::size_t i = 0; i < held.size(); ++i) {
        layer_context const ctx{c, static_cast<std::int64_t>(i),
                                "model.layers." + std::to_string(i) + ".", rot, weight_args, type};
        epoch_end(ctx, held[i]);
    }
}

} // namespace nuq::pipeline
