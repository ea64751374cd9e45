#pragma once
// The bodies of decompress.hpp compiled once in the nuq library (nuq/detail/library.hpp).
#include "nuq/detail/library.hpp"
#include "nuq/pipeline/decompress.hpp"

namespace nuq::pipeline {

NUQ_INLINE decompress_result decompress(decompress_options const& o) {
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
