#pragma once
// decompress: a compressed-tensors checkpoint → the dense checkpoint it stands for
// (docs/FORMAT.md §9). Each quantized module's stored tensors are unpacked and dequantized with its
// config group's weight args into `<module>.weight`; the compressed tensors and the runtime
// qparams (input/output scales and zero points, k/v/q scales) are left out; every other tensor
// is copied unchanged; config.json loses `quantization_config`; the other files are copied.
// One module at a time streams from the mmap'ed input through io::checkpoint_writer, so the
// output appears only once complete and the input is never written to.
//
// A quantization_status other than "compressed" means the weights are dense already (§11.13):
// such a checkpoint is refused, as is one without a quantization_config.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "nuq/detail/library.hpp"
#include "nuq/error.hpp"
#include "nuq/format/packer.hpp"
#include "nuq/format/scale_codec.hpp"
#include "nuq/io/checkpoint.hpp"
#include "nuq/io/checkpoint_writer.hpp"
#include "nuq/pipeline/inspect.hpp"
#include "nuq/reader/dequantize_module.hpp"

namespace nuq::pipeline {

struct decompress_options {
    std::filesystem::path model;  ///< compressed-tensors checkpoint directory
    std::filesystem::path output; ///< directory to create
    /// bfloat16, float16 or float32, rounded to nearest even from the exact values; default:
    /// the reference's dtype (the scale dtype for int and fp8 formats, bf16 for NVFP4 and MX).
    std::optional<dtype> output_type;
    /// Default: the input's largest shard (5GB, transformers' default, for a single file).
    std::optional<std::uint64_t> max_shard_size;
    bool overwrite = false;      ///< replace an existing output (only once complete)
    std::ostream* log = nullptr; ///< progress, one line per module; nullptr: quiet
};

struct decompress_result {
    int decompressed = 0;  ///< weights dequantized
    int copied = 0;        ///< tensors copied unchanged
    int dropped = 0;       ///< compressed tensors and runtime qparams left out
    std::uint64_t bytes_in = 0, bytes_out = 0; ///< tensor bytes of the input / the output
    std::size_t shards = 0;
    double seconds = 0;
};

/// "bfloat16", "float16" or "float32" (also with "torch."), the dtypes --dtype accepts.
inline dtype parse_decompress_dtype(std::string_view s) {
    auto const t = dtype_from_torch(s);
    if (t == dtype::bfloat16 || t == dtype::float16 || t == dtype::float32) return *t;
    throw error("decompress.dtype", "--dtype", "dtype \"" + std::string(s) + '"',
                "bfloat16, float16 or float32", "pick one of the three");
}

namespace detail {

/// Tensors that exist for inference with quantized activations or KV cache only (§9.2).
inline bool is_runtime_qparam(std::string_view local) {
    for (std::string_view p : {"input_", "output_", "k_", "v_", "q_"})
        if (local.starts_with(p)) {
            auto const rest = local.substr(p.size());
            if (rest == "scale" || rest == "zero_point" || rest == "global_scale") return true;
        }
    return false;
}

/// One output tensor: copied from the input, or the decompressed weight of a module.
struct output_tensor {
    std::string name;
    stored_module const* module = nullptr;
    dtype type = dtype::invalid;
};

} // namespace detail

decompress_result decompress(decompress_options const& o);

} // namespace nuq::pipeline

#ifdef NUQ_HEADER_ONLY
#include "nuq/pipeline/decompress_impl.hpp"
#endif
