// nuq check --model DIR [--compat LEVEL] [--json]: would vLLM load this checkpoint?
// Exit 0 when it would (warnings allowed), 1 when it would not, 2 for bad usage.
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "nuq/check/checkpoint_rules.hpp"
#include "nuq/check/plan_rules.hpp"

namespace nuq::cli {

namespace {

struct check_args {
    std::string model;
    std::string compat = std::string(to_string(recipe::compat_level::ct_latest));
    bool json = false;
};

int run_check(check_args const& a) {
    auto const compat = *recipe::compat_from_string(a.compat); // CLI11 checked the spelling
    auto const rep = pipeline::check_checkpoint(a.model, {compat});
    auto const errors = recipe::count(rep.findings, recipe::severity::error);
    auto const warnings = recipe::count(rep.findings, recipe::severity::warning);
    if (a.json) {
        nlohmann::json j = {{"model", a.model},       {"compat", a.compat},
                            {"loadable", rep.loadable()}, {"errors", errors},
                            {"warnings", warnings},   {"modules", rep.modules},
                            {"quantized", rep.quantized}, {"formats", rep.formats},
                            {"findings", nlohmann::json::array()}};
        for (auto const& f : rep.findings) j["findings"].push_back(recipe::to_json(f));
        std::cout << j.dump(2) << "\n";
    } else {
        for (auto const& f : rep.findings) std::cout << recipe::to_line(f) << "\n";
        std::string formats;
        for (auto const& f : rep.formats) formats += (formats.empty() ? "" : ", ") + f;
        std::cout << "nuq check: " << errors << (errors == 1 ? " error, " : " errors, ")
                  << warnings << (warnings == 1 ? " warning: " : " warnings: ")
                  << (rep.loadable() ? "would load" : "would not load") << " (" << rep.modules
                  << " modules, " << rep.quantized << " quantized, formats: "
                  << (formats.empty() ? "none" : formats) << ")\n";
    }
    return rep.loadable() ? 0 : 1;
}

} // namespace

void add_check(CLI::App& app, runner& run) {
    auto* sub = app.add_subcommand(
        "check", "Check that vLLM would load a compressed-tensors checkpoint and compute "
                 "correctly with it: its quantization_config (VLLM.md section 7 rules) and "
                 "every module's tensors. Exit 0: it would load (warnings allowed); 1: it "
                 "would not; 2: bad usage.");
    auto args = std::make_shared<check_args>();
    sub->add_option("--model", args->model, "checkpoint directory (config.json + safetensors, "
                                            "single file or sharded)")
        ->required()
        ->check(CLI::ExistingDirectory);
    sub->add_option("--compat", args->compat,
                    "oldest compressed-tensors the target vLLM ships (vLLM pins it):\n"
                    "  ct-latest  compressed-tensors >= 0.13 (default): scale_dtype/zp_dtype "
                    "keys, MXFP4/MXFP8, attn_head\n"
                    "  ct-0.11    compressed-tensors 0.11/0.12 (e.g. vLLM 0.11.0): rejects the "
                    "keys scale_dtype and zp_dtype even as null, has no MXFP4/MXFP8 or "
                    "attn_head, allows actorder only with strategy group")
        ->check(CLI::IsMember({std::string(to_string(recipe::compat_level::ct_latest)),
                               std::string(to_string(recipe::compat_level::ct_0_11))}));
    sub->add_flag("--json", args->json, "print one JSON document instead of lines");
    sub->footer("Each finding is one line: severity [id] where: what was found; what was "
                "expected. Fix: what to do. The last line sums up.\n");
    sub->callback([&run, args] { run = [args] { return run_check(*args); }; });
}

} // namespace nuq::cli
