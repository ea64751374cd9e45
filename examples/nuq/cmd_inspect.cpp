// nuq inspect: per layer of a checkpoint its scheme, format, shape, bytes and bits per weight.
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "nuq/pipeline/inspect.hpp"

namespace nuq::cli {

namespace {
struct inspect_args {
    std::string model;
    bool json = false;
};

int run_inspect(inspect_args const& a) {
    auto const r = pipeline::inspect(a.model);
    if (a.json) std::cout << nlohmann::json(r).dump(2) << "\n";
    else std::cout << pipeline::to_table(r);
    return 0;
}
} // namespace

void add_inspect(CLI::App& app, runner& run) {
    auto* sub = app.add_subcommand(
        "inspect",
        "Show what a checkpoint stores: for every quantized layer its scheme (e.g. \"int4 asym "
        "group128\"), input activations, compressed-tensors format, shape, stored bytes and "
        "effective bits per weight (all its stored tensors x 8 / weights), then the totals. "
        "An unquantized model shows every tensor as dense.");
    auto a = std::make_shared<inspect_args>();
    sub->add_option("--model", a->model,
                    "Hugging Face model directory (safetensors, sharded or not)")
        ->required();
    sub->add_flag("--json", a->json, "print the report as JSON instead of a table");
    sub->callback([&run, a] { run = [a] { return run_inspect(*a); }; });
}

} // namespace nuq::cli
