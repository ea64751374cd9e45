#pragma once
// Whether a resolved recipe needs calibration data, and why (docs/ALGORITHMS.md §3.6, §8.2):
// GPTQ, AWQ and SmoothQuant always do; a QuantizationModifier does when it has a KV-cache
// scheme, an `imatrix_mse` weight observer, static or "local" input activations, or static
// output activations. Weight-only schemes and dynamic activations are data-free.
#include <optional>
#include <string>

#include "nuq/quant/quant_args.hpp"
#include "nuq/recipe/modifiers.hpp"
#include "nuq/recipe/resolve.hpp"

namespace nuq::recipe {

namespace detail {

/// The reason one QuantizationModifier needs data (llm-compressor `_set_requires_calibration_data`).
inline std::optional<std::string> quantization_needs_data(quantization_fields const& q, std::string const& path) {
    if (q.kv_cache_scheme)
        return path + " has a kv_cache_scheme: the KV-cache scales are observed on calibration data";
    for (auto const& g : q.groups) {
        auto const& s = g.scheme;
        if (s.weights && s.weights->observer == "imatrix_mse")
            return g.path + ".weights uses the imatrix_mse observer, which weighs errors by "
                            "calibration activations";
        if (s.input_activations && s.input_activations->dynamic != dynamic_mode::dynamic)
            return g.path + ".input_activations are " +
                   (s.input_activations->dynamic == dynamic_mode::local
                        ? std::string("\"local\" (their global scale is observed on calibration data)")
                        : std::string("static (their scale is observed on calibration data)"));
        if (s.output_activations && s.output_activations->dynamic == dynamic_mode::static_)
            return g.path + ".output_activations are static (their scale is observed on calibration data)";
    }
    return std::nullopt;
}

} // namespace detail

/// Why this plan needs calibration data, or nullopt when the data-free pipeline can run it.
/// The reason names the first modifier (or group) in recipe order that needs data.
inline std::optional<std::string> needs_calibration(plan const& p) {
    for (auto const& m : p.source.modifiers) {
        auto const& path = info(m).path;
        if (std::holds_alternative<gptq_modifier>(m))
            return path + " is a GPTQModifier: GPTQ builds Hessians from calibration activations";
        if (std::holds_alternative<awq_modifier>(m))
            return path + " is an AWQModifier: AWQ searches its scales on calibration activations";
        if (std::holds_alternative<smoothquant_modifier>(m))
            return path + " is a SmoothQuantModifier: SmoothQuant smooths by observed activation ranges";
        if (auto const* q = quantization(m))
            if (auto why = detail::quantization_needs_data(*q, path)) return why;
    }
    return std::nullopt;
}

} // namespace nuq::recipe
