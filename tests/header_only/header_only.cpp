// NUQ_HEADER_ONLY: this program is compiled with the macro and linked without the nuq library
// (only the headers and their dependencies), so it fails to link if a header that declares a
// compiled body does not include that body (*_impl.hpp) in header-only mode. It parses a
// recipe, resolves it for a small Llama-shaped module list, checks that vLLM would load the
// plan, and quantizes and packs one weight with a quantizer type named at compile time.
#ifndef NUQ_HEADER_ONLY
#error "compile this test with NUQ_HEADER_ONLY"
#endif
#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "nuq/check/plan_rules.hpp"
#include "nuq/format/packer.hpp"
#include "nuq/quant/infer_format.hpp"
#include "nuq/quant/presets.hpp"
#include "nuq/quant/quantizer.hpp"
#include "nuq/quant/scheme_int.hpp"
#include "nuq/recipe/parse.hpp"
#include "nuq/recipe/resolve.hpp"

int main() {
    auto const r = nuq::recipe::parse_recipe_text(R"(
quant_stage:
  quant_modifiers:
    QuantizationModifier:
      ignore: ["lm_head"]
      config_groups:
        group_0: {targets: ["re:.*down_proj"], weights: {num_bits: 8, type: int, symmetric: true, strategy: group, group_size: 128}}
        group_1: {targets: ["Linear"], weights: {num_bits: 4, type: int, symmetric: true, strategy: group, group_size: 128}}
)");
    std::vector<nuq::recipe::tensor_entry> tensors;
    for (std::string m : {"q_proj", "k_proj", "v_proj", "o_proj"})
        tensors.push_back({"model.layers.0.self_attn." + m + ".weight", {256, 256}});
    for (std::string m : {"gate_proj", "up_proj"})
        tensors.push_back({"model.layers.0.mlp." + m + ".weight", {512, 256}});
    tensors.push_back({"model.layers.0.mlp.down_proj.weight", {256, 512}});
    tensors.push_back({"lm_head.weight", {512, 256}});
    auto const plan = nuq::recipe::resolve(r, tensors, {});
    auto const findings = nuq::recipe::check(plan, {}, tensors);
    for (auto const& f : findings) std::printf("%s\n", nuq::recipe::to_line(f).c_str());
    if (!nuq::recipe::loadable(findings) || plan.config.config_groups.size() != 2) return 1;

    // W8A16 on a 1×128 weight: 1.0 is the group's max, 1.0 / (1.0 / 127.5) clamps to 127
    auto const scheme = nuq::preset_scheme("W8A16", {"Linear"});
    std::array<float, 128> w{};
    w[0] = 1.0f;
    nuq::strategy::group groups;
    groups.size = 128;
    nuq::quantizer<nuq::scheme::int_<8, true>, nuq::strategy::group> const q(groups);
    auto const packed = nuq::format::pack(nuq::infer_module_format(scheme),
                                          q.quantize(nuq::weight_view<float>{w, 1, 128}),
                                          *scheme.weights);
    std::printf("header-only: %zu groups, %zu tensors, first packed byte %u\n",
                plan.config.config_groups.size(), packed.size(),
                static_cast<unsigned>(packed[0].data[0]));
    return static_cast<unsigned>(packed[0].data[0]) == 255 ? 0 : 1;
}
