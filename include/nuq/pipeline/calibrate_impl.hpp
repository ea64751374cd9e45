#pragma once
// The body of calibrate (calibrate.hpp).
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "nuq/error.hpp"
#include "nuq/pipeline/calibrate.hpp"
#include "nuq/pipeline/calibrated_run.hpp"
#include "nuq/pipeline/layer_step.hpp"
#include "nuq/pipeline/modifier_steps.hpp"

namespace nuq::pipeline {

/// Runs the calibrated pipeline `pipeline` ("independent", "sequential" or "basic"). The
/// tensors it changes wait for the writer in a scratch file in `scratch`.
NUQ_INLINE calibration_state calibrate(recipe::plan const& plan, model::weights const& w,
                                   calibration_batches const& data, std::string const& pipeline,
                                   std::vector<std::string> const& module_names,
                                   std::ostream* log, bool keep_for_report,
                                   std::filesystem::path const& scratch) {
    calibration_state state;
    state.tensors = changed_tensors(scratch);
    state.keep_for_report = keep_for_report;
    auto const type = weight_dtype_of(w.cfg());
    calib::weight_args_fn const weight_args = [&plan](std::string const& module) {
        auto const* m = plan.find(module);
        return m && m->status == recipe::module_status::quantized && m->scheme
                   ? m->scheme->weights
                   : std::optional<quant_args>{};
    };
    auto const n = plan.source.modifiers.size();
    std::vector<std::vector<std::unique_ptr<layer_step>>> steps(n);
    for (std::size_t mi = 0; mi < n; ++mi)
        steps[mi] = make_steps(plan, mi, w.cfg(), module_names, weight_args, type, log);
    auto const pointers = [&](std::size_t first, std::size_t last) {
        std::vector<layer_step*> out;
        for (std::size_t mi = first; mi < last; ++mi)
            for (auto& s : steps[mi]) out.push_back(s.get());
        return out;
    };
    if (pipeline == "independent") {
        for (std::size_t mi = 0; mi < n; ++mi) {
            if (!modifier_needs_data(plan, mi) || steps[mi].empty()) continue;
            auto const& path = recipe::info(plan.source.modifiers[mi]).path;
            calibrated_run(w, data, pointers(mi, mi + 1), run_kind::sequential, weight_args, state,
                           log, path);
        }
    } else if (pipeline == "sequential" || pipeline == "basic") {
        if (pipeline == "basic")
            for (auto const& m : plan.source.modifiers)
                if (!recipe::quantization(m))
                    throw error("oneshot.pipeline", "--pipeline basic",
                                recipe::info(m).path + " is a " + std::string(recipe::type_name(m)),
                                "QuantizationModifier or GPTQModifier in a basic run",
                                "use --pipeline sequential or independent for AWQ and "
                                "SmoothQuant, which smooth one layer at a time");
        calibrated_run(w, data, pointers(0, n),
                       pipeline == "basic" ? run_kind::basic : run_kind::sequential, weight_args,
                       state, log, pipeline);
    } else if (pipeline != "datafree") {
        throw error("oneshot.pipeline", "--pipeline " + pipeline,
                    "pipeline \"" + pipeline + "\"",
                    "independent, sequential, basic or datafree", "choose one of these");
    }
    if (keep_for_report) { // the inputs each Linear sees in the model calibration left
        input_gram_step gram;
        calibrated_run(w, data, {&gram}, run_kind::sequential, weight_args, state, log, "report");
    }
    return state;
}

} // namespace nuq::pipeline
