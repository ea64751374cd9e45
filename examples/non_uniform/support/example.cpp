// The shared part of the non-uniform examples (example.hpp).
#include "../example.hpp"

#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <vector>

#include "nuq/error.hpp"
#include "nuq/io/checkpoint.hpp"
#include "nuq/model/perplexity.hpp"
#include "nuq/check/checkpoint_rules.hpp"
#include "nuq/pipeline/oneshot.hpp"
#include "nuq/check/plan_rules.hpp"
#include "nuq/recipe/parse.hpp"
#include "nuq/tokenizer/tokenizer.hpp"

namespace nuq::examples {

namespace detail {

inline std::string read_text(std::filesystem::path const& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f)
        throw error("example.read", path.string(), "cannot be opened", "a readable text file",
                    "check the path");
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// ./<model directory name><suffix>, as the Python examples name their SAVE_DIR.
inline std::filesystem::path default_output(options const& o) {
    auto model = std::filesystem::path(o.model).lexically_normal();
    if (!model.has_filename()) model = model.parent_path(); // "dir/"
    return model.filename().string() + o.output_suffix;
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Quantizes `o.model` with `recipe_yaml` into `output`; progress on stderr.
inline void quantize(std::string_view recipe_yaml, options const& o,
                     std::filesystem::path const& output) {
    pipeline::oneshot_options q;
    q.model = o.model;
    q.parsed_recipe = recipe::parse_recipe_text(std::string(recipe_yaml), "the example's recipe");
    q.output = output;
    q.pipeline = o.pipeline;
    q.dataset = NUQ_SOURCE_DATA_DIR "/data/sotu_calib.txt";
    q.data.num_calibration_samples = 64;
    q.data.max_seq_length = 256;
    q.overwrite = o.overwrite;
    q.log = &std::cerr;
    std::cerr << "quantizing " << q.model.string() << " into " << output.string() << "\n";
    auto const r = pipeline::oneshot(q);
    std::cerr << "pipeline " << r.pipeline << ": quantized " << r.quantized << " layers in "
              << r.seconds << " s\n";
    for (auto const& [what, n] : r.layers_per_scheme)
        std::cerr << "  " << std::setw(4) << n << "  " << what << "\n";
}

/// Whether vLLM would load the checkpoint in `dir`; the findings on stderr.
inline bool loadable(std::filesystem::path const& dir) {
    auto const rep = pipeline::check_checkpoint(dir);
    for (auto const& f : rep.findings) std::cerr << recipe::to_line(f) << "\n";
    std::cerr << "check: " << (rep.loadable() ? "would load" : "would NOT load") << " ("
              << rep.modules << " modules, " << rep.quantized << " quantized)\n";
    return rep.loadable();
}

/// Perplexity of the checkpoint in `dir` on the evaluation text, tokenized by its tokenizer.
inline double perplexity(std::filesystem::path const& dir) {
    auto const start = std::chrono::steady_clock::now();
    io::checkpoint const ck(dir);
    auto const tok = tokenizer::load_tokenizer(ck.directory());
    auto const encoded = tok.encode(read_text(NUQ_SOURCE_DATA_DIR "/data/sotu_eval.txt"), false);
    std::vector<std::int64_t> const ids(encoded.begin(), encoded.end());
    model::weights const w(ck);
    model::perplexity_options po;
    po.seq_len = 256;
    po.stride = 256;
    po.max_windows = 64;
    auto const r = model::perplexity(w, ids, po);
    std::cerr << "evaluated " << r.windows << " windows of " << po.seq_len << " tokens in "
              << seconds_since(start) << " s\n";
    return r.perplexity;
}

} // namespace detail

int run(CLI::App& app, int argc, char** argv, std::string_view recipe_yaml, options& o) {
    app.add_option("--model", o.model, "Hugging Face model directory")->capture_default_str();
    app.add_option("--output", o.output,
                   "output directory (default: ./<model directory name>" + o.output_suffix + ")");
    app.add_flag("--overwrite", o.overwrite, "replace an existing output directory");
    try {
        app.parse(argc, argv);
    } catch (CLI::ParseError const& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    try {
        auto const start = std::chrono::steady_clock::now();
        std::filesystem::path const output =
            o.output.empty() ? detail::default_output(o) : std::filesystem::path(o.output);
        detail::quantize(recipe_yaml, o, output);
        if (!detail::loadable(output)) return 1;
        std::cout << "perplexity: " << std::setprecision(8) << detail::perplexity(output) << "\n";
        std::cerr << "done in " << detail::seconds_since(start) << " s\n";
        return 0;
    } catch (std::exception const& e) {
        std::cerr << "error: " << e.what() << "\n";
    }
    return 1;
}

} // namespace nuq::examples
