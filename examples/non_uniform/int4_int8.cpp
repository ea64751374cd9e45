// llm-compressor's examples/quantization_non_uniform/quantization_int4_int8.py in C++: GPTQ with
// int8 weights on down_proj and int4 weights on the other Linears, both in groups of 128.
#include "example.hpp"

namespace {
// int8 symmetric for down_proj, int4 asymmetric for attention and gate/up; both weight-only,
// so the checkpoint is pack-quantized throughout.
constexpr std::string_view recipe = R"yaml(
quant_stage:
  quant_modifiers:
    GPTQModifier:
      ignore: ["lm_head"]
      config_groups:
        group_0:
          weights:
            num_bits: 8
            type: int
            strategy: group
            dynamic: false
            symmetric: true
            group_size: 128
          targets: ["re:.*down_proj.*"]
        group_1:
          weights:
            num_bits: 4
            type: int
            strategy: group
            dynamic: false
            symmetric: false
            group_size: 128
          targets: ["re:.*self_attn.k_proj.*", "re:.*self_attn.o_proj.*",
                    "re:.*self_attn.q_proj.*", "re:.*self_attn.v_proj.*",
                    "re:.*gate_proj.*", "re:.*up_proj.*"]
)yaml";
} // namespace

int main(int argc, char** argv) {
    CLI::App app{"GPTQ int4/int8 non-uniform quantization of tiny-llama-sotu (llm-compressor's "
                 "quantization_int4_int8.py), then nuq's check and perplexity"};
    nuq::examples::options o{.output_suffix = "-W4A16-W8A16"};
    return nuq::examples::run(app, argc, argv, recipe, o);
}
