#pragma once
// layer_context: what a calibration pipeline tells a per-layer transform (AWQ, SmoothQuant)
// about the decoder layer it is at. The pipeline runs, per layer: begin_layer(ctx), the
// calibration pass with a tap that calls observe(...), end_layer(ctx, weights), propagation.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "nuq/model/config.hpp"
#include "nuq/model/decoder.hpp"
#include "nuq/numeric/dtype.hpp"
#include "nuq/quant/quant_args.hpp"

namespace nuq::calib {

/// The weight quant args of a Linear (full module name), nullopt when the recipe leaves it
/// unquantized.
using weight_args_fn = std::function<std::optional<quant_args>(std::string const&)>;

struct layer_context {
    model::config const& cfg;
    std::int64_t index;       ///< decoder layer number
    std::string prefix;       ///< "model.layers.3."
    model::rotary const& rot; ///< covers the calibration sequence length
    weight_args_fn weight_args;
    /// The checkpoint's dtype (bf16 for tiny-llama-sotu): every changed weight is rounded to it.
    dtype weight_dtype;
};

} // namespace nuq::calib
