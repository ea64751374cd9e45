#pragma once
// modifier_steps: the layer steps each recipe modifier contributes to a calibrated run.
//   QuantizationModifier  observers on its static / "local" inputs
//   GPTQModifier          Hessians and GPTQ on its Linears, plus its input observers
//   AWQModifier           the AWQ grid search and smoothing
//   SmoothQuantModifier   SmoothQuant smoothing
#include <memory>
#include <string>
#include <vector>

#include "nuq/error.hpp"
#include "nuq/pipeline/layer_step.hpp"

namespace nuq::pipeline {

inline std::vector<std::unique_ptr<layer_step>> make_steps(recipe::plan const& plan,
                                                           std::size_t mi,
                                                           model::config const&,
                                                           std::vector<std::string> const&,
                                                           dtype type) {
    std::vector<std::unique_ptr<layer_step>> out;
    auto const& m = plan.source.modifiers[mi];
    if (!std::holds_alternative<recipe::quantization_modifier>(m))
        throw error("oneshot.modifier", recipe::info(m).path,
                    std::string(recipe::type_name(m)) + " is not available yet",
                    "QuantizationModifier", "remove the modifier");
    auto inputs = std::make_unique<input_observers>(modules_of(plan, mi), type);
    if (!inputs->empty()) out.push_back(std::move(inputs));
    return out;
}

} // namespace nuq::pipeline
