// nuq eval: perplexity of a dense or compressed checkpoint on a text file (issue 5's protocol).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "nuq/error.hpp"
#include "nuq/io/checkpoint.hpp"
#include "nuq/model/perplexity.hpp"
#include "nuq/tokenizer/tokenizer.hpp"

namespace nuq::cli {

namespace {
struct eval_args {
    std::string model;
    std::string dataset;
    model::perplexity_options options;
    bool json = false;
};

int run_eval(eval_args const& a) {
    auto const start = std::chrono::steady_clock::now();
    io::checkpoint const ck(a.model);
    // the model's tokenizer (raw bytes when it has no tokenizer.json), no special tokens
    auto const tok = tokenizer::load_tokenizer(ck.directory());
    std::ifstream f(a.dataset, std::ios::binary);
    if (!f)
        throw error("eval.dataset", a.dataset, "cannot be opened", "a readable text file",
                    "check the path");
    std::string const text{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    auto const encoded = tok.encode(text, false);
    std::vector<std::int64_t> const ids(encoded.begin(), encoded.end());
    model::weights const w(ck);
    auto o = a.options;
    o.progress = [](std::int64_t done, std::int64_t total) {
        std::cerr << "[" << done << "/" << total << "] "
                  << (done < total ? "decoder layer " + std::to_string(done) : "head and loss")
                  << "\n";
    };
    auto const r = model::perplexity(w, ids, o);
    auto const seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cerr << r.windows << " windows of " << o.seq_len << " tokens in " << seconds << " s\n";
    if (a.json) {
        std::cout << nlohmann::json{{"perplexity", r.perplexity},
                                    {"loss", r.loss},
                                    {"windows", r.windows},
                                    {"predictions", r.predictions},
                                    {"seq_len", o.seq_len},
                                    {"stride", o.stride},
                                    {"seconds", seconds}}
                         .dump(2)
                  << "\n";
    } else {
        std::cout << "perplexity: " << std::setprecision(8) << r.perplexity << "\n";
    }
    return 0;
}
} // namespace

void add_eval(CLI::App& app, runner& run) {
    auto* sub = app.add_subcommand(
        "eval",
        "Perplexity of a model, dense or compressed (dequantized on load, activations not "
        "quantized), on a text file: the whole file tokenized once without special tokens, "
        "windows of --seq-len tokens every --stride tokens from token 0, the first "
        "--max-windows of them, exp(mean cross-entropy of positions 1..L-1 of every window). "
        "Tokens come from the model's tokenizer.json (SentencePiece-style or byte-level BPE), "
        "or are raw bytes when it has none.");
    auto a = std::make_shared<eval_args>();
    sub->add_option("--model", a->model, "Hugging Face model directory (Llama family)")
        ->required();
    sub->add_option("--dataset", a->dataset, "text file to evaluate on")->required();
    sub->add_option("--seq-len", a->options.seq_len, "tokens per window")
        ->capture_default_str();
    sub->add_option("--stride", a->options.stride, "tokens between window starts")
        ->capture_default_str();
    sub->add_option("--max-windows", a->options.max_windows, "windows evaluated at most")
        ->capture_default_str();
    sub->add_flag("--json", a->json, "print the result as JSON");
    sub->callback([&run, a] { run = [a] { return run_eval(*a); }; });
}

} // namespace nuq::cli
