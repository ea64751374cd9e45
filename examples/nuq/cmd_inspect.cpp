// nuq inspect (placeholder registration; implemented in its own change).
#include "commands.hpp"

namespace nuq::cli {

void add_inspect(CLI::App& app, runner& run) {
    auto* sub = app.add_subcommand("inspect", "not implemented yet");
    sub->callback([&run] { run = [] { return 1; }; });
}

} // namespace nuq::cli
