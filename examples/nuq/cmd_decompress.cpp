// nuq decompress (placeholder registration; implemented in its own change).
#include "commands.hpp"

namespace nuq::cli {

void add_decompress(CLI::App& app, runner& run) {
    auto* sub = app.add_subcommand("decompress", "not implemented yet");
    sub->callback([&run] { run = [] { return 1; }; });
}

} // namespace nuq::cli
