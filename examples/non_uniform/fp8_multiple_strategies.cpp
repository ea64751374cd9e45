// llm-compressor's examples/quantization_non_uniform/quantization_fp8_multiple_strategies.py in
// C++: FP8 weights per channel on attention and per tensor on the MLP, FP8 dynamic inputs.
#include "example.hpp"

namespace {
// Every input is dynamic per token, so nothing is calibrated: llm-compressor (and nuq) choose
// the data-free pipeline, and the calibration text goes unused.
constexpr std::string_view recipe = R"yaml(
quant_stage:
  quant_modifiers:
    QuantizationModifier:
      ignore: ["lm_head"]
      config_groups:
        group_0:
          weights:
            num_bits: 8
            type: float
            strategy: channel
            dynamic: false
            symmetric: true
          input_activations:
            num_bits: 8
            type: float
            strategy: token
            dynamic: true
            symmetric: true
          targets: ["re:.*self_attn.k_proj.*", "re:.*self_attn.o_proj.*",
                    "re:.*self_attn.q_proj.*", "re:.*self_attn.v_proj.*"]
        group_1:
          weights:
            num_bits: 8
            type: float
            strategy: tensor
            dynamic: false
            symmetric: true
          input_activations:
            num_bits: 8
            type: float
            strategy: token
            dynamic: true
            symmetric: true
          targets: ["re:.*down_proj.*", "re:.*gate_proj.*", "re:.*up_proj.*"]
)yaml";
} // namespace

int main(int argc, char** argv) {
    CLI::App app{"FP8 with a weight strategy per block of tiny-llama-sotu (llm-compressor's "
                 "quantization_fp8_multiple_strategies.py), then nuq's check and perplexity"};
    nuq::examples::options o{.output_suffix = "-FP8-Dynamic-MultStrat"};
    return nuq::examples::run(app, argc, argv, recipe, o);
}
