#pragma once
// oneshot: a Hugging Face checkpoint + a recipe → a compressed-tensors checkpoint, as
// llm-compressor's oneshot does it: the recipe's calibrated modifiers (GPTQ, AWQ,
// SmoothQuant, static activation observers) run on the calibration samples through the
// chosen pipeline (calibrate.hpp); then every quantized Linear gets round-to-nearest qparams
// from memoryless min-max observers on its final weight (or GPTQ's), one NVFP4 global scale per
// fused sibling set, and compression with its format. Tensors stream one at a time from the
// mmap'ed input (or the calibrated values) to the output, which is written to a temporary
// directory and renamed when complete.
//
// The body is compiled once in the nuq library (oneshot_impl.hpp; see nuq/detail/library.hpp).
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nuq/calib/dataset_options.hpp"
#include "nuq/check/finding.hpp"
#include "nuq/detail/library.hpp"
#include "nuq/pipeline/calibration_report.hpp"
#include "nuq/recipe/plan.hpp"

namespace nuq::pipeline {

struct calibration_state;

struct oneshot_options {
    std::filesystem::path model;   ///< Hugging Face model directory
    std::filesystem::path recipe;  ///< llm-compressor recipe (YAML or JSON)
    /// A recipe already parsed (e.g. recipe::parse_recipe_text of a string): used instead of
    /// the file `recipe` when set.
    std::optional<recipe::recipe> parsed_recipe;
    std::filesystem::path output;  ///< directory to create
    /// "datafree", "independent", "sequential", "basic"; empty: as llm-compressor chooses
    /// (independent when a modifier needs data, else data-free).
    std::string pipeline;
    std::filesystem::path dataset;  ///< calibration text or JSONL (calib/dataset.hpp)
    /// max_seq_length 0: the model's max_position_embeddings, at most 2048.
    calib::dataset_options data{512, 0, std::nullopt, calib::dataset_format::automatic};
    std::uint64_t max_shard_size = 5'000'000'000;
    int threads = 0;               ///< 0: every hardware thread
    bool overwrite = false;        ///< replace an existing output (only once complete)
    recipe::check_options check;   ///< which vLLM / compressed-tensors releases must load it
    bool allow_unloadable = false; ///< write even what recipe::check says vLLM cannot load
    /// Fill oneshot_result::calibration.reports with each quantized Linear's weight SQNR and
    /// (given a dataset) its output error on the calibration inputs; costs a dequantization per
    /// Linear and, with data, one more calibrated pass.
    bool report = false;
    std::ostream* log = nullptr;   ///< progress, one line per layer; nullptr: quiet
};

struct oneshot_result {
    std::map<std::string, int> layers_per_scheme; ///< "int4 asym group128 → pack-quantized": n
    int quantized = 0, kept = 0;                  ///< modules quantized / tensors copied as is
    std::uint64_t bytes_in = 0, bytes_out = 0;    ///< tensor bytes read / written
    double seconds = 0;
    recipe::plan plan;
    std::vector<recipe::finding> findings;        ///< what recipe::check said (warnings)
    std::string pipeline;                         ///< the pipeline that ran
    std::int64_t calibration_samples = 0, calibration_tokens = 0;
    std::map<std::string, calibration_report> reports; ///< by module, with `report`
    std::vector<std::string> warnings;                 ///< e.g. GPTQ Cholesky fallbacks
    /// Everything the calibrated modifiers left (changed tensors, fixed qparams, input
    /// qparams); calibration_state.hpp defines it.
    std::shared_ptr<calibration_state> calibration;
};

/// Runs the whole job. Throws nuq::error, leaving nothing behind, on any failure.
oneshot_result oneshot(oneshot_options const& o);

} // namespace nuq::pipeline

#ifdef NUQ_HEADER_ONLY
#include "nuq/pipeline/oneshot_impl.hpp"
#endif
