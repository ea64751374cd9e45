// Read a compressed-tensors checkpoint module by module: its layout (which config group,
// format and dense shape each quantized module has), then one module dequantized.
//
//   nuq_library_read_compressed CHECKPOINT_DIR [MODULE]
//
// CHECKPOINT_DIR is any compressed-tensors checkpoint, e.g. what nuq_library_build_recipe or
// `nuq oneshot` wrote; MODULE defaults to the first module stored compressed.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <exception>
#include <iostream>
#include <string>

#include "nuq/io/checkpoint.hpp"
#include "nuq/quant/args_summary.hpp"
#include "nuq/reader/checkpoint_layout.hpp"
#include "nuq/reader/dequantize_module.hpp"

int main(int argc, char** argv) try {
    if (argc < 2) {
        std::cerr << "usage: " << argv[0] << " CHECKPOINT_DIR [MODULE]\n";
        return 2;
    }
    // Opens config.json and maps every .safetensors shard (validated, nothing read yet).
    nuq::io::checkpoint const ck(argv[1]);

    // quantization_config's groups mapped onto the stored modules.
    auto const layout = nuq::reader::read_layout(ck);
    if (!layout.config || layout.modules.empty()) {
        std::cerr << argv[1] << " has no quantized modules\n";
        return 1;
    }
    auto const shape = [](auto const& s) {
        std::string r;
        for (auto d : s) r += (r.empty() ? "[" : ", ") + std::to_string(d);
        return r + "]";
    };
    std::cout << layout.modules.size() << " quantized modules\n";
    for (auto const& m : layout.modules)
        std::cout << "  " << m.name << ": " << m.group << ", "
                  << (m.scheme.weights ? nuq::summary(*m.scheme.weights) : "activations only")
                  << ", " << nuq::to_string(m.format) << ", " << shape(m.shape) << "\n";

    // Pick a module and dequantize it: unpack its stored tensors, apply scales / zero points.
    // (Only modules whose weight is stored compressed; a dense one is read as is.)
    auto const it = std::find_if(layout.modules.begin(), layout.modules.end(), [&](auto const& m) {
        return m.format != nuq::compression_format::dense && (argc < 3 || m.name == argv[2]);
    });
    if (it == layout.modules.end()) {
        std::cerr << "no compressed module " << (argc > 2 ? argv[2] : "") << "\n";
        return 1;
    }
    auto const dense = nuq::reader::dequantize_module(ck, *it, nuq::dtype::float32);
    auto const values = dense.as<float>();

    float max_abs = 0;
    for (float v : values) max_abs = std::max(max_abs, std::abs(v));
    std::cout << "dequantized " << dense.name << ": " << shape(dense.shape) << " float32, first values";
    for (std::size_t i = 0; i < 4 && i < values.size(); ++i) std::cout << " " << values[i];
    std::cout << ", max |w| = " << max_abs << "\n";
    return max_abs > 0 && std::isfinite(max_abs) ? 0 : 1; // all zero or NaN: something is off
} catch (std::exception const& e) { // nuq::error says where, what and how to fix it
    std::cerr << e.what() << "\n";
    return 1;
}
