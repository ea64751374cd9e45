#pragma once
// The subcommands of the nuq program. Each add_* registers its subcommand on the app; when
// that subcommand is chosen, CLI11's callback stores in `run` what to do, and main runs it.
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace nuq::cli {

/// What a parsed subcommand does; returns the exit code (0 done, 1 failed).
using runner = std::function<int()>;

void add_oneshot(CLI::App& app, runner& run);
void add_decompress(CLI::App& app, runner& run);
void add_inspect(CLI::App& app, runner& run);
void add_check(CLI::App& app, runner& run);
void add_eval(CLI::App& app, runner& run);

/// The folder holding the embedded default model (data/tiny-llama-sotu) and the example
/// recipes (recipes/): <prefix>/share/nuq when installed, else the source tree's examples/.
std::string data_dir();

} // namespace nuq::cli
