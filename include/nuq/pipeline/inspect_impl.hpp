#pragma once
// The bodies of inspect.hpp compiled once in the nuq library (nuq/detail/library.hpp).
#include "nuq/detail/library.hpp"
#include "nuq/pipeline/inspect.hpp"

namespace nuq::pipeline {

NUQ_INLINE inspect_report inspect(io::checkpoint const& ck) {
    inspect_report r;
    r.model = ck.directory().string();
    auto const layout = read_layout(ck);
    if (auto const& c = layout.config) {
        r.has_quantization_config = true;
        r.status = to_string(c->quantization_status);
        r.version = c->version.value_or("");
        r.format = c->format ? to_string(*c->format) : default_format_name;
    }
    std::set<std::string, std::less<>> quantized_tensor;
    for (auto const& m : layout.modules) {
        module_report mr;
        mr.name = m.name;
        mr.group = m.group;
        mr.scheme = m.scheme.weights ? summary(*m.scheme.weights) : "-";
        mr.inputs = detail::inputs_summary(m.scheme);
        mr.format = m.format;
        mr.shape = m.shape;
        mr.tensors = m.tensors.size();
        for (auto const& t : m.tensors) mr.stored_bytes += ck.tensor(t).bytes.size();
        auto const n = detail::elements(m.shape);
        if (n > 0)
            mr.bits_per_weight = static_cast<double>(mr.stored_bytes) * 8 / static_cast<double>(n);
        if (m.format != compression_format::dense) {
            ++r.quantized_modules;
            r.quantized_weights += n;
            quantized_tensor.insert(m.tensors.begin(), m.tensors.end());
        }
        r.modules.push_back(std::move(mr));
    }
    for (auto const& n : ck.names()) {
        auto const bytes = ck.tensor(n).bytes.size();
        r.total_bytes += bytes;
        if (quantized_tensor.contains(n)) {
            ++r.quantized_tensors;
            r.quantized_bytes += bytes;
        } else {
            ++r.dense_tensors;
            r.dense_bytes += bytes;
        }
    }
    if (r.quantized_weights > 0)
        r.bits_per_weight = static_cast<double>(r.quantized_bytes) * 8 /
                            static_cast<double>(r.quantized_weights);
    return r;
}

NUQ_INLINE inspect_report inspect(std::filesystem::path const& model) {
    return inspect(io::checkpoint(model));
}

} // namespace nuq::pipeline
