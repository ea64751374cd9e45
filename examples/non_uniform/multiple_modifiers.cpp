// llm-compressor's examples/quantization_non_uniform/quantization_multiple_modifiers.py in C++:
// GPTQ W8A8 on attention, AWQ smoothing of the MLP, then round-to-nearest W4A16 on the MLP.
// By default all three share one sequential calibrated run; --independent gives each modifier
// its own run, as the Python example's flag does.
#include "example.hpp"

namespace {
// The AWQ mappings name only the MLP, the layers W4A16 quantizes. No modifier targets lm_head,
// so it stays dense without an ignore list.
constexpr std::string_view recipe = R"yaml(
quant_stage:
  quant_modifiers:
    GPTQModifier:
      targets: ['re:.*self_attn\.(k|q|o|v)_proj$']
      scheme: W8A8
    AWQModifier:
      mappings:
        - smooth_layer: 're:.*post_attention_layernorm$'
          balance_layers: ['re:.*gate_proj$', 're:.*up_proj$']
        - smooth_layer: 're:.*up_proj$'
          balance_layers: ['re:.*down_proj$']
    QuantizationModifier:
      targets: ['re:.*mlp\.(down|gate|up)_proj$']
      scheme: W4A16
)yaml";
} // namespace

int main(int argc, char** argv) {
    CLI::App app{"GPTQ W8A8 attention + AWQ W4A16 MLP quantization of tiny-llama-sotu "
                 "(llm-compressor's quantization_multiple_modifiers.py), then nuq's check and "
                 "perplexity"};
    nuq::examples::options o{.output_suffix = "-gptq-w8a8-self_attn-awq-w4a16-mlp",
                             .pipeline = "sequential"};
    app.add_flag_callback("--independent", [&o] { o.pipeline = "independent"; },
                          "run each modifier in its own calibrated pass instead of all of "
                          "them in one sequential pass");
    return nuq::examples::run(app, argc, argv, recipe, o);
}
