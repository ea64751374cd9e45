// Quantize one bf16 weight with a preset, pack it in the format its args imply, and write the
// packed tensors as a .safetensors file: the core of what `nuq oneshot` does per Linear.
//
//   nuq_library_quantize_one_weight [OUTPUT.safetensors]   (default: one_weight.safetensors)
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <iostream>
#include <string>

#include "nuq/error.hpp"
#include "nuq/format/quantize_and_pack.hpp"
#include "nuq/io/safetensors_reader.hpp"
#include "nuq/io/safetensors_writer.hpp"
#include "nuq/numeric/bfloat16.hpp"
#include "nuq/quant/infer_format.hpp"
#include "nuq/quant/presets.hpp"
#include "nuq/quant/quantize.hpp"
#include "nuq/tensor.hpp"

int main(int argc, char** argv) try {
    std::string const output = argc > 1 ? argv[1] : "one_weight.safetensors";

    // A [rows, cols] bf16 weight as a checkpoint stores it; here a smooth pattern.
    std::int64_t const rows = 64, cols = 256;
    nuq::tensor weight("layer.weight", nuq::dtype::bfloat16, {rows, cols});
    auto values = weight.as<nuq::bfloat16_t>();
    for (std::int64_t i = 0; i < rows * cols; ++i)
        values[static_cast<std::size_t>(i)] = nuq::bfloat16_t(0.05f * std::sin(0.37f * i) + 0.01f * (i % 7));

    // W4A16: int4 symmetric weights in groups of 128, activations left in 16 bits. The preset's
    // args imply the compression format (pack-quantized: eight int4 codes per int32).
    auto const scheme = nuq::preset_scheme("W4A16", {"Linear"});
    auto const& args = *scheme.weights;
    auto const format = nuq::infer_module_format(scheme);
    std::cout << "scheme W4A16, format " << nuq::to_string(format) << "\n";

    // Quantize and pack: the stored tensors, named locally (weight_packed, weight_scale, ...).
    auto const packed = nuq::format::quantize_and_pack(format, args, weight);

    // How far the quantized weight is from the original (dequantize(quantize(w))).
    auto const fake = nuq::fake_quantize(args, weight, {});
    float max_err = 0;
    for (std::size_t i = 0; i < fake.size(); ++i)
        max_err = std::max(max_err, std::abs(fake[i] - static_cast<float>(values[i])));
    std::cout << "max |w - dequantize(quantize(w))| = " << max_err << "\n";

    // Write them under the module's name: declare every tensor, then stream the bytes.
    nuq::io::safetensors_writer writer;
    for (auto const& t : packed) writer.add("layer." + t.name, t.type, t.shape);
    writer.begin(output);
    for (auto const& t : packed) writer.write("layer." + t.name, t.data);
    writer.finish(); // written to a temporary name, renamed into place when complete

    // Read the file back and list what it holds.
    auto const file = nuq::io::safetensors_file::open(output);
    for (auto const& name : file.names()) {
        auto const t = file.tensor(name);
        std::cout << "wrote " << name << " " << nuq::safetensors_name(t.type) << " [";
        for (std::size_t d = 0; d < t.shape.size(); ++d) std::cout << (d ? ", " : "") << t.shape[d];
        std::cout << "]\n";
    }
    return max_err < 0.05f ? 0 : 1;
} catch (std::exception const& e) { // nuq::error says where, what and how to fix it
    std::cerr << e.what() << "\n";
    return 1;
}
