#pragma once
// What the four non-uniform examples share once each has written its recipe: quantize the
// model with it on the first 64 samples of 256 tokens of the calibration text, check that vLLM
// would load the checkpoint, and print its perplexity on the evaluation text (the golden
// protocol: 64 windows of 256 tokens, as `nuq eval` computes it). Defined once in
// support/example.cpp, so that the library is compiled once for all four programs.
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace nuq::examples {

struct options {
    std::string output_suffix{}; ///< default output: ./<model directory name><suffix>
    /// Empty: llm-compressor's choice (independent when a modifier needs data, else data-free).
    std::string pipeline{};
    std::string model = NUQ_SOURCE_DATA_DIR "/data/tiny-llama-sotu";
    std::string output{};
    bool overwrite = false;
};

/// Adds --model, --output and --overwrite to `app` (next to the program's own options), parses
/// the command line, then quantizes with `recipe_yaml` (llm-compressor's recipe format), checks
/// and evaluates. Exit code: 0 done, 1 failed (including a checkpoint vLLM would not load),
/// 2 bad usage.
int run(CLI::App& app, int argc, char** argv, std::string_view recipe_yaml, options& o);

} // namespace nuq::examples
