// check_checkpoint and `nuq check`: the golden checkpoints pass; copies broken in config.json
// or in their tensors each give their own finding; the program's exit codes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "io/io_test_util.hpp"
#include "nuq/io/safetensors_reader.hpp"
#include "nuq/io/safetensors_writer.hpp"
#include "nuq/check/checkpoint_rules.hpp"
#include "nuq/tensor.hpp"

namespace nr = nuq::recipe;
namespace fs = std::filesystem;
using nuq::pipeline::check_checkpoint;

namespace {

std::string const goldens = NUQ_TEST_DATA "/checkpoints";
std::vector<std::string> const golden_names{"fp8_multiple_strategies", "int4_int8",
                                            "nvfp4a16_fp8", "w8a8_int8"};

using config_edit = std::function<void(nlohmann::ordered_json& qc)>;
using tensor_edit = std::function<void(std::vector<nuq::tensor>&)>;

nuq::tensor& find(std::vector<nuq::tensor>& ts, std::string const& name) {
    auto const it = std::find_if(ts.begin(), ts.end(), [&](auto const& t) { return t.name == name; });
    REQUIRE(it != ts.end());
    return *it;
}

/// A copy of golden checkpoint `golden` in `dir`, its quantization_config and tensors edited.
void make_broken(std::string const& golden, fs::path const& dir, config_edit const& cfg,
                 tensor_edit const& tensors = {}) {
    fs::copy(goldens + "/" + golden, dir, fs::copy_options::recursive);
    if (cfg) {
        std::ifstream in(dir / "config.json");
        auto j = nlohmann::ordered_json::parse(in);
        cfg(j["quantization_config"]);
        std::ofstream(dir / "config.json") << j.dump(2);
    }
    if (tensors) {
        std::vector<nuq::tensor> ts;
        {
            nuq::io::safetensors_file const f(dir / "model.safetensors");
            for (auto const& n : f.names()) {
                auto const v = f.tensor(n);
                nuq::tensor t(n, v.type, v.shape);
                std::memcpy(t.data.data(), v.bytes.data(), v.bytes.size());
                ts.push_back(std::move(t));
            }
        }
        tensors(ts);
        nuq::io::safetensors_writer w;
        for (auto const& t : ts) w.add(t.name, t.type, t.shape);
        w.begin(dir / "model.safetensors");
        for (auto const& t : ts) w.write(t.name, t.data);
        w.finish();
    }
    // To compare verdicts with other checkers: keep a copy of every broken checkpoint.
    if (char const* keep = std::getenv("NUQ_CHECK_KEEP_BROKEN")) {
        auto const dst = fs::path(keep) / dir.filename();
        fs::remove_all(dst);
        fs::copy(dir, dst, fs::copy_options::recursive);
    }
}

std::string lines(std::vector<nr::finding> const& fs) {
    std::string s;
    for (auto const& f : fs) s += nr::to_line(f) + "\n";
    return s;
}

/// Breaks `golden` as told, checks it, and requires error `id` among the findings.
void require_finding(std::string const& id, std::string const& golden, config_edit const& cfg,
                     tensor_edit const& tensors = {},
                     nr::compat_level compat = nr::compat_level::ct_latest) {
    nuq_test::scratch_dir scratch;
    auto const dir = scratch.path() / id.substr(id.find('.') + 1);
    make_broken(golden, dir, cfg, tensors);
    auto const rep = check_checkpoint(dir, {compat});
    INFO(lines(rep.findings));
    CHECK(std::any_of(rep.findings.begin(), rep.findings.end(), [&](nr::finding const& f) {
        return f.id == id && f.level == nr::severity::error;
    }));
    CHECK_FALSE(rep.loadable());
}

std::string const q0 = "model.layers.0.self_attn.q_proj";
std::string const k0 = "model.layers.0.self_attn.k_proj";
std::string const down0 = "model.layers.0.mlp.down_proj";

nlohmann::ordered_json& targets(nlohmann::ordered_json& qc, std::string const& group) {
    return qc["config_groups"][group]["targets"];
}

void erase_target(nlohmann::ordered_json& list, std::string const& t) {
    for (auto it = list.begin(); it != list.end(); ++it)
        if (*it == t) {
            list.erase(it);
            return;
        }
    FAIL("no target " << t);
}

} // namespace

TEST_CASE("the golden checkpoints pass with no errors") {
    for (auto const& g : golden_names) {
        auto const rep = check_checkpoint(goldens + "/" + g);
        INFO(g << "\n" << lines(rep.findings));
        CHECK(rep.findings.empty());
        CHECK(rep.modules == 43);
        CHECK(rep.quantized == 42);
    }
}

TEST_CASE("the golden checkpoints carry keys compressed-tensors 0.11 rejects") {
    auto const rep = check_checkpoint(goldens + "/int4_int8", {nr::compat_level::ct_0_11});
    INFO(lines(rep.findings));
    CHECK_FALSE(rep.loadable());
    for (auto const& f : rep.findings) CHECK(f.id == "check.compat_key");
}

TEST_CASE("broken checkpoints: one finding id each") {
    SECTION("config level") {
        require_finding("check.quant_method", "w8a8_int8",
                        [](auto& qc) { qc["quant_method"] = "gptq"; });
        require_finding("check.status", "w8a8_int8",
                        [](auto& qc) { qc["quantization_status"] = "frozen"; });
        require_finding("check.sparsity", "w8a8_int8", [](auto& qc) {
            qc["sparsity_config"] = {{"format", "sparse-24-bitmask"}, {"targets", {"Linear"}}};
        });
        require_finding("check.config_invalid", "w8a8_int8", [](auto& qc) {
            qc["config_groups"]["group_0"]["weights"]["observer_args"] = nlohmann::json::object();
        });
        require_finding("check.attention_group", "w8a8_int8", [](auto& qc) {
            auto g = qc["config_groups"]["group_0"];
            g["targets"] = {"LlamaAttention"};
            qc["config_groups"]["group_1"] = g;
        });
        require_finding("check.output_activations", "w8a8_int8", [](auto& qc) {
            auto& g = qc["config_groups"]["group_0"];
            g["output_activations"] = g["input_activations"];
        });
        require_finding("check.duplicate_target", "int4_int8", [](auto& qc) {
            targets(qc, "group_0").push_back("re:.*down_proj.*");
        });
        require_finding("check.unmatched", "int4_int8", [](auto& qc) {
            erase_target(targets(qc, "group_0"), "re:.*self_attn.o_proj.*");
        });
        require_finding("check.fused_split", "int4_int8", [](auto& qc) {
            erase_target(targets(qc, "group_0"), "re:.*self_attn.k_proj.*");
            targets(qc, "group_1").push_back("re:.*self_attn.k_proj.*");
        });
        require_finding("check.fused_ignore", "int4_int8",
                        [](auto& qc) { qc["ignore"].push_back(k0); });
        require_finding("check.group_format", "int4_int8", [](auto& qc) {
            qc["config_groups"]["group_1"]["format"] = "naive-quantized";
            qc["format"] = "mixed-precision";
        });
        require_finding("check.top_format", "nvfp4a16_fp8",
                        [](auto& qc) { qc["format"] = "float-quantized"; });
        require_finding("check.wna16_group_size", "int4_int8", [](auto& qc) {
            qc["config_groups"]["group_1"]["weights"]["group_size"] = 256;
        });
        require_finding("check.compat_key", "w8a8_int8", {}, {}, nr::compat_level::ct_0_11);
    }
    SECTION("tensor level") {
        require_finding("check.tensor_missing", "int4_int8", {}, [](auto& ts) {
            ts.erase(std::find_if(ts.begin(), ts.end(), [](auto const& t) {
                return t.name == down0 + ".weight_scale";
            }));
        });
        require_finding("check.tensor_extra", "int4_int8", {}, [](auto& ts) {
            // down_proj is symmetric 8-bit: vLLM registers no zero point for it.
            ts.emplace_back(down0 + ".weight_zero_point", nuq::dtype::int32,
                            std::vector<std::int64_t>{64, 8});
        });
        require_finding("check.tensor_dtype", "int4_int8", {},
                        [](auto& ts) { find(ts, q0 + ".weight_packed").type = nuq::dtype::uint32; });
        require_finding("check.tensor_shape", "int4_int8", {}, [](auto& ts) {
            auto& s = find(ts, q0 + ".weight_scale");
            s.shape = {s.shape[0] / 2, s.shape[1] * 2};
        });
        require_finding("check.global_scale", "nvfp4a16_fp8", {}, [](auto& ts) {
            auto& g = find(ts, k0 + ".weight_global_scale");
            g.template as<float>()[0] *= 2;
        });
        require_finding("check.scale_value", "fp8_multiple_strategies", {}, [](auto& ts) {
            // The MLP is FP8 per-tensor: weight_scale is one bf16 value.
            auto& s = find(ts, down0 + ".weight_scale");
            std::memset(s.data.data(), 0, s.data.size());
        });
    }
}

TEST_CASE("a directory that is not a checkpoint is one finding") {
    nuq_test::scratch_dir scratch;
    nuq_test::write_bytes(scratch / "config.json", "{}");
    auto const rep = check_checkpoint(scratch.path());
    REQUIRE(rep.findings.size() == 1);
    CHECK(rep.findings[0].id == "check.checkpoint");
    CHECK_FALSE(rep.loadable());
}

#ifdef NUQ_PROGRAM
namespace {
int run_nuq(std::string const& args) {
    auto const rc = std::system((std::string(NUQ_PROGRAM) + " " + args + " > /dev/null 2>&1").c_str());
    REQUIRE(WIFEXITED(rc));
    return WEXITSTATUS(rc);
}
} // namespace

TEST_CASE("nuq check: exit 0 when it would load, 1 when not, 2 for bad usage") {
    auto const good = goldens + "/int4_int8";
    CHECK(run_nuq("check --model " + good) == 0);
    CHECK(run_nuq("check --model " + good + " --json") == 0);
    CHECK(run_nuq("check --model " + good + " --compat ct-0.11") == 1);

    nuq_test::scratch_dir scratch;
    auto const bad = scratch.path() / "broken";
    make_broken("int4_int8", bad, [](auto& qc) { qc["ignore"].push_back(k0); });
    CHECK(run_nuq("check --model " + bad.string()) == 1);
    CHECK(run_nuq("check --model " + bad.string() + " --json") == 1);

    CHECK(run_nuq("check") == 2);                                       // no --model
    CHECK(run_nuq("check --model " + good + " --compat ct-0.10") == 2); // unknown level
    CHECK(run_nuq("check --model " + (scratch.path() / "none").string()) == 2);
    CHECK(run_nuq("check --help") == 0);
}
#endif
