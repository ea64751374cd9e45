// nuq: non-uniform post-training quantization of LLMs into compressed-tensors checkpoints.
// Exit codes: 0 done, 1 failed, 2 bad usage.
#include <exception>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "nuq/error.hpp"

namespace nuq::cli {

std::string data_dir() {
    namespace fs = std::filesystem;
    std::error_code ec;
    auto const exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        auto const installed = exe.parent_path().parent_path() / "share" / "nuq";
        if (fs::exists(installed / "data")) return installed.string();
    }
    return NUQ_SOURCE_DATA_DIR;
}

} // namespace nuq::cli

int main(int argc, char** argv) {
    CLI::App app{"nuq: non-uniform quantization of LLMs into compressed-tensors checkpoints "
                 "that vLLM loads"};
    app.require_subcommand(1);
    nuq::cli::runner run;
    nuq::cli::add_oneshot(app, run);
    nuq::cli::add_decompress(app, run);
    nuq::cli::add_inspect(app, run);
    nuq::cli::add_check(app, run);
    nuq::cli::add_eval(app, run);
    try {
        app.parse(argc, argv);
    } catch (CLI::ParseError const& e) {
        int const code = app.exit(e);
        return code == 0 ? 0 : 2;
    }
    try {
        return run ? run() : 0;
    } catch (nuq::error const& e) {
        std::cerr << "nuq: error: " << e.what() << "\n";
    } catch (std::exception const& e) {
        std::cerr << "nuq: error: " << e.what() << "\n";
    }
    return 1;
}
