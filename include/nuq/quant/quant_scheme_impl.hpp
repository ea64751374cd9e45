#pragma once
// The bodies of quant_scheme.hpp compiled once in the nuq library (nuq/detail/library.hpp).
#include <string>
#include <string_view>
#include <vector>

#include "nuq/detail/library.hpp"
#include "nuq/error.hpp"
#include "nuq/quant/quant_scheme.hpp"

namespace nuq {

NUQ_INLINE void quant_scheme::validate(std::string_view where) {
    using detail::cfg::path;
    if (weights) weights->validate(path(where, "weights"));
    if (input_activations) input_activations->validate(path(where, "input_activations"));
    if (output_activations) output_activations->validate(path(where, "output_activations"));

    if (input_activations) {
        auto const s = input_activations->strategy_or_tensor();
        if (s != quant_strategy::token && s != quant_strategy::tensor &&
            s != quant_strategy::group && s != quant_strategy::tensor_group &&
            s != quant_strategy::attn_head)
            throw error("quant_scheme.input_strategy", path(where, "input_activations.strategy"),
                        "strategy \"" + std::string(to_string(s)) +
                            "\" is not supported for activation quantization",
                        "token, tensor, group, tensor_group or attn_head",
                        "use token (per-token) or tensor for input activations");
        if (input_activations->actorder != actorder_mode::none)
            throw error("quant_scheme.actorder", path(where, "input_activations.actorder"),
                        "actorder set on input activations", "null",
                        "remove actorder; it applies to weights only");
    }
    if (output_activations && output_activations->actorder != actorder_mode::none)
        throw error("quant_scheme.actorder", path(where, "output_activations.actorder"),
                    "actorder set on output activations", "null",
                    "remove actorder; it applies to weights only");
    if (format == compression_format::mixed_precision)
        throw error("quant_scheme.format", path(where, "format"),
                    "format \"mixed-precision\" on a config group",
                    "a single compression format or null",
                    "set the group's real format (e.g. \"pack-quantized\"); "
                    "\"mixed-precision\" is only valid as the top-level format");
}

NUQ_INLINE nlohmann::json dump(quant_scheme const& s, dump_options const& opt) {
    auto const args = [&](std::optional<quant_args> const& a) {
        return a ? dump(*a, opt) : nlohmann::json();
    };
    nlohmann::json j = nlohmann::json::object();
    j["targets"] = s.targets;
    j["weights"] = args(s.weights);
    j["input_activations"] = args(s.input_activations);
    j["output_activations"] = args(s.output_activations);
    j["format"] = s.format ? nlohmann::json(to_string(*s.format)) : nlohmann::json();
    return j;
}

} // namespace nuq
