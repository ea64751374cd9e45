// nuq check (placeholder registration; implemented in its own change).
#include "commands.hpp"

namespace nuq::cli {

void add_check(CLI::App& app, runner& run) {
    auto* sub = app.add_subcommand("check", "not implemented yet");
    sub->callback([&run] { run = [] { return 1; }; });
}

} // namespace nuq::cli
