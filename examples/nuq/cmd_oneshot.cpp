// nuq oneshot: quantize a Hugging Face model with an llm-compressor recipe.
#include <iomanip>
#include <cmath>
#include <fstream>
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "nuq/io/checkpoint_writer.hpp"
#include "nuq/pipeline/oneshot.hpp"

namespace nuq::cli {

namespace {
struct oneshot_args {
    std::string model, recipe, output, pipeline, dataset, report, max_shard_size = "5GB";
    std::size_t num_samples = 512, max_seq_length = 0;
    std::optional<std::uint64_t> seed;
    std::string compat = "ct-latest";
    int threads = 0;
    bool overwrite = false, quiet = false, allow_unloadable = false;
};

/// --report: per quantized Linear, what was done and how close it stayed.
void write_report(std::string const& path, pipeline::oneshot_result const& r) {
    nlohmann::ordered_json modules = nlohmann::ordered_json::object();
    for (auto const& [name, m] : r.reports) {
        if (m.scheme.empty()) continue; // smoothed but not quantized
        nlohmann::ordered_json j;
        j["scheme"] = m.scheme;
        j["format"] = m.format;
        j["algorithm"] = m.smoothed_by.empty() ? m.algorithm : m.smoothed_by + "+" + m.algorithm;
        auto const opt = [](std::optional<double> v) {
            return v && std::isfinite(*v) ? nlohmann::ordered_json(*v) : nlohmann::ordered_json();
        };
        j["gptq_loss"] = opt(m.gptq_loss);
        j["gptq_fell_back_to_rtn"] = m.gptq_fell_back;
        j["awq_loss"] = opt(m.awq_loss);
        j["awq_identity_loss"] = opt(m.awq_initial_loss);
        j["weight_sqnr_db"] = opt(m.weight_sqnr_db);
        j["output_relative_error"] = opt(m.output_relative_error);
        modules[name] = std::move(j);
    }
    nlohmann::ordered_json root;
    root["pipeline"] = r.pipeline;
    root["calibration_samples"] = r.calibration_samples;
    root["calibration_tokens"] = r.calibration_tokens;
    root["seconds"] = r.seconds;
    root["warnings"] = r.warnings;
    root["modules"] = std::move(modules);
    std::ofstream f(path);
    f << root.dump(2) << "\n";
    if (!f)
        throw error("cli.report", path, "cannot be written", "a writable file path",
                    "choose another --report path");
}

int run_oneshot(oneshot_args const& a) {
    pipeline::oneshot_options o;
    bool const embedded = a.model.empty();
    o.model = embedded ? data_dir() + "/data/tiny-llama-sotu" : a.model;
    o.recipe = a.recipe.empty() && embedded ? data_dir() + "/recipes/int4_int8.yaml" : a.recipe;
    if (o.recipe.empty())
        throw error("cli.recipe", "--recipe", "no recipe given", "a recipe file",
                    "pass --recipe FILE (YAML or JSON, llm-compressor's format)");
    o.output = a.output.empty() && embedded ? "tiny-llama-sotu-W4A16-W8A16" : a.output;
    if (o.output.empty())
        throw error("cli.output", "--output", "no output directory given", "a directory",
                    "pass --output DIR");
    o.pipeline = a.pipeline;
    o.dataset = a.dataset;
    o.data.num_calibration_samples = a.num_samples;
    o.data.max_seq_length = a.max_seq_length;
    o.data.seed = a.seed;
    o.report = !a.report.empty();
    o.max_shard_size = io::parse_size(a.max_shard_size);
    o.threads = a.threads;
    o.overwrite = a.overwrite;
    o.check.compat = *recipe::compat_from_string(a.compat);
    o.allow_unloadable = a.allow_unloadable;
    o.log = a.quiet ? nullptr : &std::cerr;
    if (!a.quiet)
        std::cerr << "nuq oneshot: " << o.model.string() << " with " << o.recipe.string() << " -> "
                  << o.output.string() << "\n";
    auto const r = pipeline::oneshot(o);
    if (!a.report.empty()) write_report(a.report, r);
    if (!a.quiet) {
        std::cerr << "\nquantized " << r.quantized << " layers, kept " << r.kept
                  << " tensors as they were:\n";
        for (auto const& [what, n] : r.layers_per_scheme)
            std::cerr << "  " << std::setw(4) << n << "  " << what << "\n";
        std::cerr << std::fixed << std::setprecision(2) << "size " << r.bytes_in / 1e6
                  << " MB -> " << r.bytes_out / 1e6 << " MB (" << 100.0 * r.bytes_out / r.bytes_in
                  << " %) in " << r.seconds << " s\n"
                  << "wrote " << o.output.string() << "\n";
    }
    return 0;
}
} // namespace

void add_oneshot(CLI::App& app, runner& run) {
    auto* sub = app.add_subcommand(
        "oneshot",
        "Quantize a Hugging Face model with an llm-compressor recipe (RTN, GPTQ, AWQ, "
        "SmoothQuant, static activation scales) and write a compressed-tensors checkpoint. "
        "Without --model it quantizes the embedded tiny-llama-sotu with the int4/int8 recipe "
        "into ./tiny-llama-sotu-W4A16-W8A16.");
    auto a = std::make_shared<oneshot_args>();
    sub->add_option("--model", a->model, "Hugging Face model directory (safetensors, sharded or not)");
    sub->add_option("--recipe", a->recipe, "llm-compressor recipe, YAML or JSON");
    sub->add_option("--output", a->output, "output directory (must not exist unless --overwrite)");
    sub->add_option("--pipeline", a->pipeline,
                    "independent (one calibrated run per modifier that needs data; the default "
                    "when one does), sequential (one run for all), basic (whole model, no error "
                    "propagation) or datafree (the default when none does)")
        ->check(CLI::IsMember({"independent", "sequential", "basic", "datafree"}));
    sub->add_option("--dataset", a->dataset,
                    "calibration data: a text file (tokenized whole, cut into --max-seq-length "
                    "samples) or JSONL with {\"text\": ...} or {\"input_ids\": [...]} per line");
    sub->add_option("--num-calibration-samples", a->num_samples,
                    "calibration samples to use")->capture_default_str()->check(CLI::PositiveNumber);
    sub->add_option("--max-seq-length", a->max_seq_length,
                    "tokens per calibration sample (default: max_position_embeddings, at most 2048)")
        ->check(CLI::PositiveNumber);
    sub->add_option("--seed", a->seed,
                    "shuffle the samples with this seed before taking the first N (default: "
                    "file order)");
    sub->add_option("--max-shard-size", a->max_shard_size,
                    "largest shard file, e.g. 5GB, 500MB, 2GiB")->capture_default_str();
    sub->add_option("--threads", a->threads, "threads to use (0: all)")
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--compat", a->compat,
                    "oldest loader to stay compatible with: ct-latest (compressed-tensors >= "
                    "0.13) or ct-0.11 (0.11/0.12, e.g. vLLM 0.11: no scale_dtype/zp_dtype keys)")
        ->check(CLI::IsMember({"ct-latest", "ct-0.11"}))->capture_default_str();
    sub->add_option("--report", a->report,
                    "write FILE.json: per quantized Linear its scheme, algorithm, GPTQ/AWQ loss, "
                    "weight SQNR and (with --dataset) output relative error on the calibration "
                    "inputs");
    sub->add_flag("--allow-unloadable", a->allow_unloadable,
                  "write the checkpoint even if the vLLM checks find errors");
    sub->add_flag("--overwrite", a->overwrite, "replace an existing output directory");
    sub->add_flag("--quiet", a->quiet, "no progress or summary on stderr");
    sub->callback([&run, a] { run = [a] { return run_oneshot(*a); }; });
}

} // namespace nuq::cli
