// limit: 1.5x floor, 400 MB
// Probe (a): quantize one bf16 weight to W4A16 (groups of 128) and pack it in the format its
// args imply, through the compiled library.
#include <cstdint>
#include <span>
#include <vector>

#include "nuq/format/quantize_and_pack.hpp"
#include "nuq/quant/infer_format.hpp"
#include "nuq/quant/presets.hpp"

int main() {
    auto scheme = nuq::preset_scheme("W4A16", {"Linear"});
    scheme.validate();
    std::vector<std::uint16_t> bf16(256 * 256, 0x3f80); // 1.0 in bf16
    nuq::tensor_ref const weight(nuq::dtype::bfloat16, {256, 256}, std::as_bytes(std::span(bf16)));
    auto const format = nuq::infer_module_format(scheme);
    auto const tensors = nuq::format::quantize_and_pack(format, *scheme.weights, weight);
    return tensors.empty() ? 1 : 0;
}
