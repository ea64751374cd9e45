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

inline decompress_result decompress(decompress_options const& o) {
    auto const start = std::chrono::steady_clock::now();
    io::checkpoint const ck(o.model);
    std::error_code ec;
    if (std::filesystem::equivalent(o.model, o.output, ec))
        throw error("decompress.output", o.output.string(), "is the input directory", "",
                    "choose another output directory: the input is never modified");
    auto const qc = read_quantization_config(ck);
    if (!qc)
        throw error("decompress.not_quantized", ck.directory().string(),
                    "config.json has no quantization_config", "a compressed-tensors checkpoint",
                    "the model is dense already; use it as it is");
    if (qc->quantization_status != quant_status::compressed)
        throw error("decompress.status", ck.directory().string(),
                    "quantization_status is \"" + std::string(to_string(qc->quantization_status)) +
                        '"',
                    "\"compressed\"",
                    "its weights are stored dense already (with qparams); use it as it is");
    auto const layout = read_layout(ck);

    std::map<std::string, stored_module const*, std::less<>> module_of;
    for (auto const& m : layout.modules) module_of.emplace(m.name, &m);

    // Each module's decompressed weight replaces its stored weight parts.
    decompress_result r;
    std::vector<detail::output_tensor> plan;
    std::set<std::string, std::less<>> emitted;
    for (auto const& n : ck.names()) {
        auto const [module, local] = reader::detail::split_tensor_name(n);
        r.bytes_in += ck.tensor(n).bytes.size();
        auto const it = module_of.find(module);
        bool const quantized = it != module_of.end();
        bool const compressed = quantized && it->second->format != compression_format::dense;
        if (compressed && reader::detail::is_weight_part(local)) {
            ++r.dropped;
            if (!emitted.insert(module).second) continue;
            auto const type = o.output_type.value_or(reader::reference_output_type(ck, module));
            plan.push_back({module + ".weight", it->second, type});
            continue;
        }
        bool const weight_qparam = quantized && local != "weight" && reader::detail::is_weight_part(local);
        if (detail::is_runtime_qparam(local) || weight_qparam) {
            ++r.dropped;
            continue;
        }
        plan.push_back({n, nullptr, ck.tensor(n).type});
    }
    // State-dict order, as save_pretrained of the dense model would shard it: modules in
    // named_modules() order, each module's weight first.
    std::stable_sort(plan.begin(), plan.end(), [](auto const& a, auto const& b) {
        auto const [ma, la] = reader::detail::split_tensor_name(a.name);
        auto const [mb, lb] = reader::detail::split_tensor_name(b.name);
        if (ma != mb) return recipe::module_order_less(ma, mb);
        return la == "weight" && lb != "weight";
    });

    io::checkpoint_writer_options wo;
    wo.overwrite = o.overwrite;
    if (o.max_shard_size) {
        wo.max_shard_size = *o.max_shard_size;
    } else if (ck.sharded()) {
        std::map<std::filesystem::path, std::uint64_t> per_shard;
        for (auto const& n : ck.names()) per_shard[ck.shard_of(n)] += ck.tensor(n).bytes.size();
        wo.max_shard_size = 0;
        for (auto const& [f, b] : per_shard) wo.max_shard_size = std::max(wo.max_shard_size, b);
    } else {
        wo.max_shard_size = std::max(wo.max_shard_size, ck.total_size());
    }
    io::checkpoint_writer w(o.output, wo);
    for (auto const& t : plan)
        w.add(t.name, t.type, t.module ? t.module->shape : ck.tensor(t.name).shape);
    auto config = ck.config();
    config.erase("quantization_config");
    w.set_config(std::move(config));
    w.copy_files_from(ck);
    w.begin();

    auto const total =
        std::count_if(plan.begin(), plan.end(), [](auto const& t) { return t.module != nullptr; });
    for (auto const& t : plan) {
        if (!t.module) {
            auto const v = ck.tensor(t.name);
            w.write(t.name, v.bytes);
            r.bytes_out += v.bytes.size();
            ++r.copied;
            continue;
        }
        auto const& m = *t.module;
        auto const dense = reader::dequantize_module(ck, m, t.type);
        w.write(t.name, dense.data);
        r.bytes_out += dense.data.size();
        ++r.decompressed;
        if (o.log)
            *o.log << "[" << r.decompressed << "/" << total << "] " << m.name << ": "
                   << summary(*m.scheme.weights) << ", " << to_string(m.format) << " -> "
                   << torch_name(t.type) << " " << m.shape[0] << "x" << m.shape[1] << "\n";
    }
    w.commit();
    r.shards = w.shards().size();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

} // namespace nuq::pipeline
