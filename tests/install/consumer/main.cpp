// Quantizes a small weight with the installed headers and checks one known code.
#include <array>
#include <iostream>

#include <nuq/format/packer.hpp>
#include <nuq/quant/quantizer.hpp>
#include <nuq/quant/scheme_int.hpp>
#include <nuq/quant/presets.hpp>

int main() {
    auto scheme = nuq::preset_scheme("W8A16", {"Linear"});
    scheme.validate();
    std::array<float, 128> w{};
    w[0] = 1.0f;
    w[1] = -0.5f;
    nuq::weight_view<float> view{{w.data(), w.size()}, 1, 128};
    nuq::strategy::group groups;
    groups.size = *scheme.weights->group_size;
    nuq::quantizer<nuq::scheme::int_<8, true>, nuq::strategy::group> const qz(groups);
    auto tensors = nuq::format::quantize_and_pack(nuq::compression_format::pack_quantized, qz,
                                                  view, *scheme.weights, {});
    // int8 symmetric: 1.0 / (1.0 / 127.5) = 127.5 → clamped to 127 → unsigned byte 255
    auto const first = static_cast<unsigned>(tensors[0].data[0]);
    std::cout << "first packed byte " << first << "\n";
    return first == 255 ? 0 : 1;
}
