// llm-compressor's examples/quantization_non_uniform/quantization_nvfp4_fp8.py in C++: NVFP4
// (W4A4) on attention and gate/up, FP8 weights with dynamic FP8 inputs on down_proj.
#include "example.hpp"

namespace {
// The NVFP4 inputs are "local" dynamic: their global scale is calibrated, so this needs data.
// Two formats (nvfp4-pack-quantized and float-quantized): the checkpoint is mixed-precision.
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
          targets: ["re:.*down_proj.*"]
        group_1:
          weights:
            num_bits: 4
            type: float
            strategy: tensor_group
            dynamic: false
            symmetric: true
            group_size: 16
          input_activations:
            num_bits: 4
            type: float
            strategy: tensor_group
            dynamic: local
            symmetric: true
            group_size: 16
          targets: ["re:.*self_attn.k_proj.*", "re:.*self_attn.o_proj.*",
                    "re:.*self_attn.q_proj.*", "re:.*self_attn.v_proj.*",
                    "re:.*gate_proj.*", "re:.*up_proj.*"]
)yaml";
} // namespace

int main(int argc, char** argv) {
    CLI::App app{"NVFP4 + FP8-dynamic non-uniform quantization of tiny-llama-sotu "
                 "(llm-compressor's quantization_nvfp4_fp8.py), then nuq's check and perplexity"};
    nuq::examples::options o{.output_suffix = "-NVFP4-FP8-Dynamic"};
    return nuq::examples::run(app, argc, argv, recipe, o);
}
