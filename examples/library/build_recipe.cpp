// Build an llm-compressor recipe in C++ (no YAML) and quantize a model with it: int8 weights on
// down_proj, int4 weights on attention and gate/up, lm_head left alone. Round-to-nearest
// weight-only schemes need no calibration data, so oneshot runs data-free.
//
//   nuq_library_build_recipe OUTPUT_DIR [MODEL_DIR]
//
// MODEL_DIR defaults to the tiny Llama embedded in this repository (examples/data).
#include <exception>
#include <iostream>
#include <string>

#include "nuq/check/finding.hpp"
#include "nuq/pipeline/oneshot.hpp"
#include "nuq/recipe/recipe_builder.hpp"

#ifndef NUQ_SOURCE_DATA_DIR // set by examples/library/CMakeLists.txt
#define NUQ_SOURCE_DATA_DIR "examples"
#endif

int main(int argc, char** argv) try {
    if (argc < 2) {
        std::cerr << "usage: " << argv[0] << " OUTPUT_DIR [MODEL_DIR]\n";
        return 2;
    }
    // The recipe: what this YAML would give, config groups named group_0, group_1 in order.
    //   quant_stage: {quant_modifiers: {QuantizationModifier: {ignore: [lm_head],
    //     scheme: {W8A16: ["re:.*down_proj"], W4A16: ["re:.*self_attn.*", ...]}}}}
    // Add .gptq() for a GPTQModifier (then give oneshot a calibration dataset).
    auto recipe = nuq::recipe::recipe_builder{}
                      .group("re:.*down_proj", "W8A16")
                      .group({"re:.*self_attn.*", "re:.*gate_proj", "re:.*up_proj"}, "W4A16")
                      .ignore("lm_head")
                      .build();

    nuq::pipeline::oneshot_options o;
    o.model = argc > 2 ? argv[2] : NUQ_SOURCE_DATA_DIR "/data/tiny-llama-sotu";
    o.parsed_recipe = std::move(recipe);
    o.output = argv[1];
    o.overwrite = true;   // replace OUTPUT_DIR, once the new checkpoint is complete
    o.log = &std::cerr;   // one progress line per layer

    // Resolves the recipe against the model's Linears, checks that vLLM would load the result,
    // quantizes and packs each Linear, and writes the checkpoint with its quantization_config.
    auto const r = nuq::pipeline::oneshot(o);

    std::cout << "pipeline " << r.pipeline << ": quantized " << r.quantized << " Linears, kept "
              << r.kept << " tensors as they were\n";
    for (auto const& [scheme, n] : r.layers_per_scheme) std::cout << "  " << n << " x " << scheme << "\n";
    std::cout << "format " << nuq::to_string(*r.plan.config.format) << ", " << r.bytes_in / 1e6
              << " MB -> " << r.bytes_out / 1e6 << " MB in " << r.seconds << " s\n";
    for (auto const& f : r.findings) std::cout << nuq::recipe::to_line(f) << "\n";
    std::cout << "wrote " << o.output.string() << "\n";
    return 0;
} catch (std::exception const& e) { // nuq::error says where, what and how to fix it
    std::cerr << e.what() << "\n";
    return 1;
}
