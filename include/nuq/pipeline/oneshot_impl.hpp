#pragma once
// The body of oneshot (oneshot.hpp).
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "nuq/error.hpp"
#include "nuq/pipeline/calibration_state.hpp"
#include "nuq/pipeline/oneshot.hpp"
#include "nuq/format/quantize_and_pack.hpp"
#include "nuq/io/checkpoint.hpp"
#include "nuq/io/checkpoint_writer.hpp"
#include "nuq/pipeline/calibrate.hpp"
#include "nuq/pipeline/layer_step.hpp"
#include "nuq/recipe/fused_modules.hpp"
#include "nuq/tokenizer/tokenizer.hpp"
#include "nuq/quant/args_summary.hpp"
#include "nuq/quant/quantize.hpp"
#include "nuq/quant/quantization_config.hpp"
#include "nuq/recipe/calibration.hpp"
#include "nuq/check/plan_rules.hpp"
#include "nuq/recipe/parse.hpp"
#include "nuq/recipe/resolve.hpp"

namespace nuq::pipeline {

namespace detail {

/// One quantized Linear: where its weight is, how it is quantized, what it stores.
struct quant_job {
    std::string module;
    quant_args args;
    compression_format format = compression_format::dense;
    std::optional<float> global_scale; ///< shared by a fused NVFP4 set
    std::vector<format::tensor_spec> specs;
};

/// A weight as the output gets it: the calibrated values if calibration changed it (`owned`
/// keeps them), else the checkpoint's bytes.
inline tensor_ref weight_source(io::checkpoint const& ck, calibration_state const& state,
                                std::string const& name, tensor& owned) {
    auto const t = ck.tensor(name);
    auto const v = state.tensors.get(name);
    if (!v) return tensor_ref(t.type, t.shape, t.bytes);
    owned = format::encode_floats(name, t.type, t.shape, *v);
    return tensor_ref(owned);
}

/// NVFP4 global scale per fused set whose members are all tensor_group (llm-compressor's
/// fuse_weight_observers): over the absmax of the whole set, in the weights' dtype.
inline void fuse_global_scales(std::map<std::string, quant_job>& jobs, io::checkpoint const& ck,
                               calibration_state const& state, int threads) {
    std::vector<std::string> tensor_group;
    for (auto const& [m, j] : jobs)
        if (j.args.strategy == quant_strategy::tensor_group) tensor_group.push_back(m);
    for (auto const& set : recipe::fused_sets(tensor_group)) {
        float a = 0;
        dtype type = dtype::invalid;
        for (auto const& m : set) {
            tensor owned;
            auto const t = weight_source(ck, state, m + ".weight", owned);
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

/// Weight SQNR and output error of one quantized Linear, for --report: its float weight before
/// quantization (GPTQ's input, else what is written) against the dequantized result.
inline void measure(calibration_report& rep, quant_job const& j, tensor_ref const& source,
                    quantize_options const& qo, calibration_state const& state,
                    std::string const& name) {
    auto const deq = fake_quantize(j.args, source, qo);
    auto const before = state.unquantized.find(j.module);
    auto const w = before != state.unquantized.end() ? before->second
                                                    : format::decode_floats(source, name);
    auto const rows = source.shape[0], cols = source.shape[1];
    std::vector<float> delta(w.size());
    double signal = 0, noise = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
        delta[i] = w[i] - deq[i];
        signal += double(w[i]) * w[i];
        noise += double(delta[i]) * delta[i];
    }
    rep.weight_sqnr_db = noise > 0 ? 10 * std::log10(signal / noise) : INFINITY;
    auto const key = input_key_of(j.module);
    auto const gram = key ? state.input_gram.find(*key) : state.input_gram.end();
    if (gram == state.input_gram.end()) return;
    // ‖X·Aᵀ‖² = tr(A·XᵀX·Aᵀ): with G = XᵀX/n, ratio of the error's to the output's
    auto const energy = [&](std::vector<float> const& a) {
        std::vector<float> ag(a.size());
        model::detail::gemm(false, rows, cols, cols, a.data(), cols, gram->second.data(), cols,
                            ag.data(), cols);
        double t = 0;
        for (std::size_t i = 0; i < a.size(); ++i) t += double(ag[i]) * a[i];
        return t;
    };
    double const out = energy(w);
    if (out > 0) rep.output_relative_error = std::sqrt(std::max(0.0, energy(delta)) / out);
}

/// The calibration tensors of one module (static input_scale / input_zero_point, NVFP4
/// input_global_scale), as the reference stores them.
inline std::vector<tensor> input_tensors(std::string const& module, calib::input_qparams const& q,
                                         quant_args const& a, dtype weight_type) {
    std::vector<tensor> out;
    if (q.scale) out.push_back(format::encode_floats(module + ".input_scale", weight_type, {1}, {*q.scale}));
    if (q.zero_point) {
        auto const zp = a.zp_dtype.value_or(dtype::int8);
        tensor t(module + ".input_zero_point", zp, {1});
        if (zp == dtype::int32)
            t.as<std::int32_t>()[0] = static_cast<std::int32_t>(*q.zero_point);
        else
            t.as<std::int8_t>()[0] = static_cast<std::int8_t>(*q.zero_point);
        out.push_back(std::move(t));
    }
    if (q.global_scale)
        out.push_back(format::encode_floats(module + ".input_global_scale", dtype::float32, {1},
                                            {*q.global_scale}));
    return out;
}

/// The calibration samples of `o`, tokenized with the model's tokenizer.
inline std::vector<calib::sample> calibration_samples(oneshot_options const& o,
                                                      io::checkpoint const& ck) {
    auto opt = o.data;
    if (opt.max_seq_length == 0) {
        auto const limit = ck.config().value("max_position_embeddings", 2048);
        opt.max_seq_length = static_cast<std::size_t>(std::min(2048, limit));
    }
    auto const tok = tokenizer::load_tokenizer(o.model);
    return calib::load_calibration_samples(o.dataset, tok, opt);
}

} // namespace detail

NUQ_INLINE oneshot_result oneshot(oneshot_options const& o) {
    auto const start = std::chrono::steady_clock::now();
    io::checkpoint const ck(o.model);
    recipe::recipe const r = o.parsed_recipe ? *o.parsed_recipe : recipe::load_recipe(o.recipe);
    std::string const recipe_name = o.parsed_recipe ? r.source : o.recipe.string();

    std::vector<recipe::tensor_entry> entries;
    for (auto const& name : ck.names()) entries.push_back({name, ck.tensor(name).shape});
    oneshot_result res;
    res.calibration = std::make_shared<calibration_state>();
    res.plan = recipe::resolve(r, entries, ck.config());
    auto const& plan = res.plan;
    auto const needs = recipe::needs_calibration(plan);
    res.pipeline = o.pipeline.empty() ? (needs ? "independent" : "datafree") : o.pipeline;
    if (res.pipeline != "datafree" && res.pipeline != "independent" &&
        res.pipeline != "sequential" && res.pipeline != "basic")
        throw error("oneshot.pipeline", "--pipeline " + res.pipeline,
                    "pipeline \"" + res.pipeline + "\"",
                    "independent, sequential, basic or datafree", "choose one of these");
    if (needs && (res.pipeline == "datafree" || o.dataset.empty()))
        throw error("oneshot.needs_calibration", recipe_name, *needs,
                    res.pipeline == "datafree"
                        ? "a recipe the data-free pipeline can run: weight quantization with "
                          "QuantizationModifier, activations dynamic or not quantized"
                        : "calibration data",
                    "give calibration data (--dataset FILE: text, cut into --max-seq-length "
                    "token samples, or JSONL with {\"text\": ...} or {\"input_ids\": [...]} "
                    "per line) and a calibrated pipeline (independent, sequential or basic)");
    if (res.pipeline != "datafree" && o.dataset.empty())
        throw error("oneshot.dataset", "--dataset",
                    "pipeline \"" + res.pipeline + "\" without calibration data",
                    "a calibration text or JSONL file", "pass --dataset FILE");

    // refuse, before any work, what vLLM could not load
    res.findings = recipe::check(plan, ck.config(), entries, o.check);
    if (!o.allow_unloadable) recipe::require_loadable(res.findings, recipe_name);
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
        require_quantizer(j.args, m.group_path + ".weights");
        auto const t = ck.tensor(weight);
        if (t.shape.size() != 2)
            throw error("oneshot.weight_shape", weight, "weight is not 2-D",
                        "[out_features, in_features]", "add the module to the ignore list");
        check_weight_shape(j.args, t.shape[0], t.shape[1], weight + " (" + m.group_path + ")");
        j.specs = format::describe(j.format, j.args, t.shape[0], t.shape[1], t.type, weight);
        jobs.emplace(m.name, std::move(j));
    }

    // the calibrated modifiers
    if (res.pipeline != "datafree" || (o.report && !o.dataset.empty())) {
        auto const samples = detail::calibration_samples(o, ck);
        auto const batches = make_batches(samples);
        res.calibration_samples = batches.samples;
        res.calibration_tokens = batches.tokens;
        if (o.log)
            *o.log << "calibrating: " << batches.samples << " samples, " << batches.tokens
                   << " tokens from " << o.dataset.string() << ", pipeline " << res.pipeline
                   << "\n";
        model::weights const w(ck);
        std::vector<std::string> module_names;
        for (auto const& name : ck.names())
            if (name.ends_with(".weight")) module_names.push_back(name.substr(0, name.size() - 7));
        *res.calibration = calibrate(plan, w, batches, res.pipeline, module_names, o.log, o.report,
                                    std::filesystem::absolute(o.output).parent_path());
        if (o.log)
            for (auto const& warning : res.calibration->warnings) *o.log << "warning: " << warning << "\n";
    }
    auto const& state = *res.calibration;
    detail::fuse_global_scales(jobs, ck, state, o.threads);

    // declare the output: compressed tensors in place of each quantized weight
    io::checkpoint_writer out(o.output, {o.max_shard_size, o.overwrite});
    std::vector<std::string> order = ck.names();
    auto const job_of = [&](std::string const& name) {
        return name.ends_with(".weight") ? jobs.find(name.substr(0, name.size() - 7)) : jobs.end();
    };
    auto const inputs_of = [&](detail::quant_job const& j, dtype type) {
        auto const it = state.inputs.find(j.module);
        auto const& in = plan.find(j.module)->scheme->input_activations;
        return it == state.inputs.end() || !in ? std::vector<tensor>{}
                                               : detail::input_tensors(j.module, it->second, *in, type);
    };
    for (auto const& name : order) {
        auto const t = ck.tensor(name);
        auto const it = job_of(name);
        if (it == jobs.end()) {
            out.add(name, t.type, t.shape);
            continue;
        }
        for (auto const& s : it->second.specs) out.add(it->first + "." + s.name, s.type, s.shape);
        for (auto const& x : inputs_of(it->second, t.type)) out.add(x.name, x.type, x.shape);
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
        auto const it = job_of(name);
        tensor owned;
        auto const source = detail::weight_source(ck, state, name, owned);
        if (it == jobs.end()) {
            out.write(name, source.bytes);
            ck.release(name);
            res.bytes_out += source.bytes.size();
            ++res.kept;
            continue;
        }
        auto const& j = it->second;
        auto const t0 = std::chrono::steady_clock::now();
        quantize_options qo;
        qo.global_scale = j.global_scale;
        qo.where = name;
        qo.threads = o.threads;
        if (auto f = state.fixed_qparams.find(j.module); f != state.fixed_qparams.end())
            qo.qparams = &f->second; // GPTQ's, fixed before it changed the weight
        auto const packed = format::quantize_and_pack(j.format, j.args, source, qo);
        if (o.report) {
            auto& rep = res.calibration->reports[j.module];
            rep.scheme = summary(j.args);
            rep.format = std::string(to_string(j.format));
            if (rep.algorithm.empty()) rep.algorithm = "RTN";
            detail::measure(rep, j, source, qo, *res.calibration, name);
        }
        ck.release(name);
        for (auto const& p : packed) {
            out.write(j.module + "." + p.name, p.data);
            res.bytes_out += p.data.size();
        }
        for (auto const& x : inputs_of(j, t.type)) {
            out.write(x.name, x.data);
            res.bytes_out += x.data.size();
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
    res.reports = res.calibration->reports;
    res.warnings = res.calibration->warnings;
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return res;
}

} // namespace nuq::pipeline
