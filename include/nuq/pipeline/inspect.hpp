#pragma once
// inspect: what a checkpoint stores, module by module: the layout read by
// reader::read_layout() with sizes and effective bits per weight.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "nuq/detail/library.hpp"
#include "nuq/error.hpp"
#include "nuq/io/checkpoint.hpp"
#include "nuq/quant/args_summary.hpp"
#include "nuq/quant/quantization_config.hpp"
#include "nuq/reader/checkpoint_layout.hpp"

namespace nuq::pipeline {

using reader::checkpoint_layout;
using reader::read_layout;
using reader::read_quantization_config;
using reader::stored_module;

/// One quantized module in an inspect report.
struct module_report {
    std::string name;
    std::string group;
    std::string scheme; ///< weights, e.g. "int4 asym group128", "nvfp4", "fp8 channel"
    std::string inputs; ///< input activations, e.g. "fp8 token dynamic"; "" when weight-only
    compression_format format = compression_format::dense;
    std::vector<std::int64_t> shape;
    std::size_t tensors = 0;
    std::uint64_t stored_bytes = 0; ///< all its stored tensors (bias excepted)
    double bits_per_weight = 0;     ///< stored_bytes · 8 / elements of the dense weight
};

struct inspect_report {
    std::string model;
    bool has_quantization_config = false;
    std::string status;  ///< quantization_status; "" without a quantization_config
    std::string version; ///< the writer's compressed-tensors version, if recorded
    std::string format;  ///< the top-level format, if recorded
    std::vector<module_report> modules; ///< every module a config group quantizes
    /// "Quantized" = a module stored in a compressed format; everything else is dense.
    std::size_t quantized_modules = 0, quantized_tensors = 0, dense_tensors = 0;
    std::uint64_t quantized_bytes = 0, dense_bytes = 0, total_bytes = 0;
    std::int64_t quantized_weights = 0; ///< elements of the quantized modules' dense weights
    double bits_per_weight = 0;         ///< quantized_bytes · 8 / quantized_weights
};

namespace detail {
inline std::string inputs_summary(quant_scheme const& s) {
    if (!s.input_activations) return "";
    auto const& a = *s.input_activations;
    std::string r = summary(a);
    if (a.dynamic == dynamic_mode::dynamic) r += " dynamic";
    else if (a.dynamic == dynamic_mode::local) r += " local";
    else r += " static";
    return r;
}
inline std::int64_t elements(std::vector<std::int64_t> const& shape) {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
}
} // namespace detail

inspect_report inspect(io::checkpoint const& ck);

inspect_report inspect(std::filesystem::path const& model);

inline void to_json(nlohmann::json& j, module_report const& m) {
    j = {{"name", m.name},
         {"group", m.group},
         {"scheme", m.scheme},
         {"inputs", m.inputs},
         {"format", to_string(m.format)},
         {"shape", m.shape},
         {"tensors", m.tensors},
         {"stored_bytes", m.stored_bytes},
         {"bits_per_weight", m.bits_per_weight}};
}

inline void to_json(nlohmann::json& j, inspect_report const& r) {
    j = {{"model", r.model},
         {"has_quantization_config", r.has_quantization_config},
         {"quantization_status", r.status},
         {"version", r.version},
         {"format", r.format},
         {"modules", r.modules},
         {"totals",
          {{"quantized_modules", r.quantized_modules},
           {"quantized_tensors", r.quantized_tensors},
           {"dense_tensors", r.dense_tensors},
           {"quantized_bytes", r.quantized_bytes},
           {"dense_bytes", r.dense_bytes},
           {"total_bytes", r.total_bytes},
           {"quantized_weights", r.quantized_weights},
           {"bits_per_weight", r.bits_per_weight}}}};
}

/// The report as a text table, one module a line, then the totals.
inline std::string to_table(inspect_report const& r) {
    auto const shape_str = [](std::vector<std::int64_t> const& s) {
        std::string t;
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (i) t += 'x';
            t += std::to_string(s[i]);
        }
        return t;
    };
    std::size_t wn = 6, ws = 6, wi = 6, wf = 6, wsh = 5;
    for (auto const& m : r.modules) {
        wn = std::max(wn, m.name.size());
        ws = std::max(ws, m.scheme.size());
        wi = std::max(wi, m.inputs.size());
        wf = std::max(wf, to_string(m.format).size());
        wsh = std::max(wsh, shape_str(m.shape).size());
    }
    std::ostringstream o;
    o << r.model << ": ";
    if (!r.has_quantization_config) o << "no quantization_config (every tensor is dense)\n";
    else
        o << "compressed-tensors " << (r.version.empty() ? "(version not recorded)" : r.version)
          << ", format " << r.format << ", status " << r.status << "\n";
    if (!r.modules.empty()) {
        auto const row = [&](std::string_view n, std::string_view s, std::string_view i,
                             std::string_view f, std::string_view sh, std::string_view b,
                             std::string_view bits) {
            o << std::left << std::setw(static_cast<int>(wn)) << n << "  "
              << std::setw(static_cast<int>(ws)) << s << "  " << std::setw(static_cast<int>(wi))
              << i << "  " << std::setw(static_cast<int>(wf)) << f << "  "
              << std::setw(static_cast<int>(wsh)) << sh << "  " << std::right << std::setw(12)
              << b << "  " << std::setw(9) << bits << "\n";
        };
        o << "\n";
        row("module", "scheme", "inputs", "format", "shape", "bytes", "bits/w");
        for (auto const& m : r.modules) {
            std::ostringstream bits;
            bits << std::fixed << std::setprecision(3) << m.bits_per_weight;
            row(m.name, m.scheme, m.inputs.empty() ? "-" : m.inputs, to_string(m.format),
                shape_str(m.shape), std::to_string(m.stored_bytes), bits.str());
        }
        o << "\n";
    }
    o << std::fixed << std::setprecision(3) << "quantized: " << r.quantized_modules
      << " modules, " << r.quantized_tensors << " tensors, " << r.quantized_bytes << " bytes, "
      << r.bits_per_weight << " bits per weight\n"
      << "dense:     " << r.dense_tensors << " tensors, " << r.dense_bytes << " bytes\n"
      << "total:     " << r.quantized_tensors + r.dense_tensors << " tensors, " << r.total_bytes
      << " bytes\n";
    return o.str();
}

} // namespace nuq::pipeline

#ifdef NUQ_HEADER_ONLY
#include "nuq/pipeline/inspect_impl.hpp"
#endif
