#pragma once
// oneshot: a Hugging Face checkpoint + a recipe → a compressed-tensors checkpoint, as
// llm-compressor's oneshot with the data-free pipeline does it: round-to-nearest with
// memoryless min-max weight observers, one NVFP4 global scale per fused sibling set, and
// compression with each layer's format. Tensors stream one at a time from the mmap'ed input
// to the output, which is written to a temporary directory and renamed when complete.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "nuq/error.hpp"
#include "nuq/format/packer.hpp"
#include "nuq/io/checkpoint.hpp"
#include "nuq/io/checkpoint_writer.hpp"
#include "nuq/pipeline/fused_siblings.hpp"
#include "nuq/quant/args_summary.hpp"
#include "nuq/quant/make_quantizer.hpp"
#include "nuq/quant/quantization_config.hpp"
#include "nuq/recipe/calibration.hpp"
#include "nuq/recipe/check.hpp"
#include "nuq/recipe/parse.hpp"
#include "nuq/recipe/resolve.hpp"

namespace nuq::pipeline {

struct oneshot_options {
    std::filesystem::path model;   ///< Hugging Face model directory
    std::filesystem::path recipe;  ///< llm-compressor recipe (YAML or JSON)
    std::filesystem::path output;  ///< directory to create
    std::string pipeline = "datafree";
    std::uint64_t max_shard_size = 5'000'000'000;
    int threads = 0;               ///< 0: every hardware thread
    bool overwrite = false;        ///< replace an existing output (only once complete)
    recipe::check_options check;   ///< which vLLM / compressed-tensors releases must load it
    bool allow_unloadable = false; ///< write even what recipe::check says vLLM cannot load
    std::ostream* log = nullptr;   ///< progress, one line per layer; nullptr: quiet
};

struct oneshot_result {
    std::map<std::string, int> layers_per_scheme; ///< "int4 asym group128 → pack-quantized": n
    int quantized = 0, kept = 0;                  ///< modules quantized / tensors copied as is
    std::uint64_t bytes_in = 0, bytes_out = 0;    ///< tensor bytes read / written
    double seconds = 0;
    recipe::plan plan;
    std::vector<recipe::finding> findings;        ///< what recipe::check said (warnings)
};

namespace detail {

/// One quantized Linear: where its weight is, how it is quantized, what it stores.
struct quant_job {
    std::string module;
    quant_args args;
    compression_format format = compression_format::dense;
    quantizer_variant quantizer;
    std::optional<float> global_scale; ///< shared by a fused NVFP4 set
    std::vector<format::tensor_spec> specs;
};

inline float weight_absmax(io::tensor_view const& t, std::string const& where, int threads) {
    return visit_weight(tensor_ref(t.type, t.shape, t.bytes), where,
                        [&](auto w) { return absmax(w, threads); });
}

/// NVFP4 global scale per fused set whose members are all tensor_group (llm-compressor's
/// fuse_weight_observers): over the absmax of the whole set, in the weights' dtype.
inline void fuse_global_scales(std::map<std::string, quant_job>& jobs, io::checkpoint const& ck,
                               int threads) {
    std::vector<std::string> tensor_group;
    for (auto const& [m, j] : jobs)
        if (j.args.strategy == quant_strategy::tensor_group) tensor_group.push_back(m);
    for (auto const& set : fused_sets(tensor_group)) {
        float a = 0;
        dtype type = dtype::invalid;
        for (auto const& m : set) {
            auto const t = ck.tensor(m + ".weight");
            a = nan_max(a, weight_absmax(t, m + ".weight", threads));
            type = t.type;
            ck.release(m + ".weight");
        }
        float gs = 1;
        switch (type) {
        case dtype::bfloat16: gs = scheme::nvfp4::global_scale<bfloat16_t>(a); break;
        case dtype::float16: gs = scheme::nvfp4::global_scale<float16_t>(a); break;
        default: gs = scheme::nvfp4::global_scale<float>(a); break;
        }
        for (auto const& m : set) jobs.at(m).global_scale = gs;
    }
}

inline std::string shape_string(std::vector<std::int64_t> const& s) {
    std::string r = "[";
    for (std::size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
    return r + "]";
}

} // namespace detail

/// Runs the whole job. Throws nuq::error, leaving nothing behind, on any failure.
inline oneshot_result oneshot(oneshot_options const& o) {
    auto const start = std::chrono::steady_clock::now();
    if (o.pipeline != "datafree")
        throw error("oneshot.pipeline", "--pipeline " + o.pipeline,
                    "pipeline \"" + o.pipeline + "\" is not available", "datafree",
                    "use --pipeline datafree (calibrated pipelines come with GPTQ/AWQ support)");
    io::checkpoint const ck(o.model);
    recipe::recipe const r = recipe::load_recipe(o.recipe);

    std::vector<recipe::tensor_entry> entries;
    for (auto const& name : ck.names()) entries.push_back({name, ck.tensor(name).shape});
    oneshot_result res;
    res.plan = recipe::resolve(r, entries, ck.config());
    auto const& plan = res.plan;
    if (auto why = recipe::needs_calibration(plan))
        throw error("oneshot.needs_calibration", o.recipe.string(), *why,
                    "a recipe the data-free pipeline can run: weight quantization with "
                    "QuantizationModifier, activations dynamic or not quantized",
                    "remove the modifiers or static activation schemes that need calibration "
                    "data; GPTQ, AWQ, SmoothQuant and static scales are not supported yet");

    // refuse, before any work, what vLLM could not load
    res.findings = recipe::check(plan, ck.config(), entries, o.check);
    if (!o.allow_unloadable) recipe::require_loadable(res.findings, o.recipe.string());
    if (o.log)
        for (auto const& f : res.findings) *o.log << recipe::to_line(f) << "\n";

    // what each quantized module becomes
    std::map<std::string, detail::quant_job> jobs;
    for (auto const& m : plan.modules) {
        if (m.status != recipe::module_status::quantized || !m.scheme || !m.scheme->weights)
            continue;
        std::string const weight = m.name + ".weight";
        if (!ck.has(weight))
            throw error("oneshot.missing_weight", o.model.string() + ": " + weight,
                        "module " + m.name + " is targeted by " + m.group_path +
                            " but the checkpoint has no weight for it",
                        "a stored weight for every quantized module",
                        m.name == "lm_head" ? "lm_head is tied to the embeddings: add \"lm_head\" "
                                              "to the recipe's ignore list"
                                            : "add the module to the recipe's ignore list");
        detail::quant_job j;
        j.module = m.name;
        j.args = *m.scheme->weights;
        j.format = m.format;
        j.quantizer = make_quantizer(j.args, m.group_path + ".weights");
        auto const t = ck.tensor(weight);
        if (t.shape.size() != 2)
            throw error("oneshot.weight_shape", weight, "weight is not 2-D",
                        "[out_features, in_features]", "add the module to the ignore list");
        j.specs = std::visit([&](auto const& q) {
            q.strategy().check(t.shape[0], t.shape[1], weight + " (" + m.group_path + ")");
            return format::describe(j.format, q, j.args, t.shape[0], t.shape[1], t.type, weight);
        }, j.quantizer);
        jobs.emplace(m.name, std::move(j));
    }
    detail::fuse_global_scales(jobs, ck, o.threads);

    // declare the output: compressed tensors in place of each quantized weight
    io::checkpoint_writer out(o.output, {o.max_shard_size, o.overwrite});
    std::vector<std::string> order = ck.names();
    for (auto const& name : order) {
        auto const t = ck.tensor(name);
        auto const it = name.ends_with(".weight") ? jobs.find(name.substr(0, name.size() - 7))
                                                  : jobs.end();
        if (it == jobs.end()) {
            out.add(name, t.type, t.shape);
            continue;
        }
        for (auto const& s : it->second.specs) out.add(it->first + "." + s.name, s.type, s.shape);
    }
    nlohmann::json config = ck.config();
    config["quantization_config"] = dump(plan.config, recipe::dump_options_for(o.check.compat));
    out.set_config(std::move(config));
    out.copy_files_from(ck);
    out.begin();

    int done = 0;
    int const total = static_cast<int>(jobs.size());
    for (auto const& name : order) {
        auto const t = ck.tensor(name);
        res.bytes_in += t.bytes.size();
        auto const it = name.ends_with(".weight") ? jobs.find(name.substr(0, name.size() - 7))
                                                  : jobs.end();
        if (it == jobs.end()) {
            out.write(name, t.bytes);
            ck.release(name);
            res.bytes_out += t.bytes.size();
            ++res.kept;
            continue;
        }
        auto const& j = it->second;
        auto const t0 = std::chrono::steady_clock::now();
        quantize_options qo;
        qo.global_scale = j.global_scale;
        qo.where = name;
        qo.threads = o.threads;
        auto const packed = std::visit([&](auto const& q) {
            return visit_weight(tensor_ref(t.type, t.shape, t.bytes), name, [&](auto w) {
                return format::quantize_and_pack(j.format, q, w, j.args, qo);
            });
        }, j.quantizer);
        ck.release(name);
        for (auto const& p : packed) {
            out.write(j.module + "." + p.name, p.data);
            res.bytes_out += p.data.size();
        }
        std::string const what = summary(j.args) + " -> " + std::string(to_string(j.format));
        ++res.layers_per_scheme[what];
        ++res.quantized;
        ++done;
        if (o.log) {
            double const ms = std::chrono::duration<double, std::milli>(
                                  std::chrono::steady_clock::now() - t0).count();
            *o.log << "[" << done << "/" << total << "] " << j.module << " "
                   << detail::shape_string(t.shape) << " " << torch_name(t.type) << ": " << what
                   << " (" << static_cast<int>(ms * 10) / 10.0 << " ms)\n";
        }
    }
    out.commit();
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return res;
}

} // namespace nuq::pipeline
