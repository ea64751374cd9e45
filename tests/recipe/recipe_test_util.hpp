#pragma once
// What the recipe tests share: the example recipes' folder and tiny-llama-sotu's Linear modules.
#include <string>
#include <vector>

namespace nuq::test {

inline std::string const example_recipes = NUQ_TEST_DATA "/../../examples/recipes";

/// The Linear modules of examples/data/tiny-llama-sotu, in named_modules() order.
inline std::vector<std::string> tiny_llama_linears() {
    std::vector<std::string> names;
    for (int i = 0; i < 6; ++i)
        for (auto s : {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                       "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"})
            names.push_back("model.layers." + std::to_string(i) + "." + s);
    names.emplace_back("lm_head");
    return names;
}

} // namespace nuq::test
