// nuq decompress: a compressed-tensors checkpoint back to a dense Hugging Face checkpoint.
#include <iomanip>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "nuq/io/checkpoint_writer.hpp"
#include "nuq/pipeline/decompress.hpp"

namespace nuq::cli {

namespace {
struct decompress_args {
    std::string model, output, dtype, max_shard_size;
    bool overwrite = false, quiet = false;
};

int run_decompress(decompress_args const& a) {
    pipeline::decompress_options o;
    o.model = a.model;
    o.output = a.output;
    if (!a.dtype.empty()) o.output_type = pipeline::parse_decompress_dtype(a.dtype);
    if (!a.max_shard_size.empty()) o.max_shard_size = io::parse_size(a.max_shard_size);
    o.overwrite = a.overwrite;
    o.log = a.quiet ? nullptr : &std::cerr;
    if (!a.quiet)
        std::cerr << "nuq decompress: " << o.model.string() << " -> " << o.output.string() << "\n";
    auto const r = pipeline::decompress(o);
    if (!a.quiet)
        std::cerr << "\ndecompressed " << r.decompressed << " weights, copied " << r.copied
                  << " tensors, left out " << r.dropped << " compressed tensors and qparams\n"
                  << std::fixed << std::setprecision(2) << "size " << r.bytes_in / 1e6
                  << " MB -> " << r.bytes_out / 1e6 << " MB in " << r.shards << " shard"
                  << (r.shards == 1 ? "" : "s") << ", " << r.seconds << " s\n"
                  << "wrote " << o.output.string() << "\n";
    return 0;
}
} // namespace

void add_decompress(CLI::App& app, runner& run) {
    auto* sub = app.add_subcommand(
        "decompress",
        "Turn a compressed-tensors checkpoint (written by nuq, llm-compressor or "
        "compressed-tensors; every supported format) back into a dense Hugging Face checkpoint: "
        "each quantized weight is dequantized, compressed tensors and activation/KV-cache "
        "qparams are left out, other tensors and files are copied, and quantization_config is "
        "removed from config.json. A checkpoint whose quantization_status is not \"compressed\" "
        "is refused (its weights are dense already).");
    auto a = std::make_shared<decompress_args>();
    sub->add_option("--model", a->model, "compressed-tensors checkpoint directory")->required();
    sub->add_option("--output", a->output, "output directory (must not exist unless --overwrite)")
        ->required();
    sub->add_option("--dtype", a->dtype,
                    "dtype of the decompressed weights, rounded to nearest even (default: as "
                    "compressed-tensors decompresses: the scale dtype for int and fp8 formats, "
                    "bfloat16 for NVFP4 and MX)")
        ->check(CLI::IsMember({"bfloat16", "float16", "float32"}));
    sub->add_option("--max-shard-size", a->max_shard_size,
                    "largest shard file, e.g. 5GB, 500MB, 2GiB (default: the input's largest "
                    "shard; 5GB for a single-file input)");
    sub->add_flag("--overwrite", a->overwrite, "replace an existing output directory");
    sub->add_flag("--quiet", a->quiet, "no progress or summary on stderr");
    sub->callback([&run, a] { run = [a] { return run_decompress(*a); }; });
}

} // namespace nuq::cli
