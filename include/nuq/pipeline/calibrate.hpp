#pragma once
// calibrate: the calibrated part of oneshot. Chooses the pipeline as llm-compressor does
// (docs/ALGORITHMS.md §8.2–§8.3) and runs every modifier's layer steps on the calibration samples:
//   independent (the default)  one sequential run per modifier that needs data, in recipe
//                              order, each on the model the earlier ones left;
//   sequential                 one run, every modifier's hooks together;
//   basic                      one run on the unmodified model, one epoch end at the end.
// Data-free modifiers (weight-only RTN) need no run: their qparams come from the final
// weights when the checkpoint is written.
//
// The body is compiled once in the nuq library (calibrate_impl.hpp).
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "nuq/detail/library.hpp"
#include "nuq/model/weights.hpp"
#include "nuq/pipeline/calibration_batches.hpp"
#include "nuq/pipeline/calibration_state.hpp"
#include "nuq/recipe/calibration.hpp"
#include "nuq/recipe/plan.hpp"

namespace nuq::pipeline {

/// Whether modifier `mi` of the plan's recipe needs calibration data (§3.6, §8.2).
inline bool modifier_needs_data(recipe::plan const& plan, std::size_t mi) {
    auto const& m = plan.source.modifiers[mi];
    if (auto const* q = std::get_if<recipe::quantization_modifier>(&m))
        return recipe::detail::quantization_needs_data(q->quant, q->info.path).has_value();
    return true;
}

/// Runs the calibrated pipeline `pipeline` ("independent", "sequential" or "basic"). The
/// tensors it changes wait for the writer in a scratch file in `scratch`.
calibration_state calibrate(recipe::plan const& plan, model::weights const& w,
                                   calibration_batches const& data, std::string const& pipeline,
                                   std::vector<std::string> const& module_names,
                                   std::ostream* log, bool keep_for_report = false,
                                   std::filesystem::path const& scratch =
                                       std::filesystem::temp_directory_path());

} // namespace nuq::pipeline

#ifdef NUQ_HEADER_ONLY
#include "nuq/pipeline/calibrate_impl.hpp"
#endif
