// inspect: schemes, formats, shapes, stored bytes and effective bits per weight of the golden
// checkpoints, checked against what their tensors must take by docs/FORMAT.md §5; an unquantized
// model; JSON and table output; broken checkpoints.
#include <catch2/catch.hpp>

#include <map>

#include "nuq/pipeline/inspect.hpp"
#include "pipeline/pipeline_test_util.hpp"

namespace fs = std::filesystem;
using nuq_test::golden_checkpoint;
using nuq_test::require_error;

namespace {

/// Layer shapes of tiny-llama-sotu (hidden 256, 4 heads, 2 KV heads of 64, MLP 1024).
std::map<std::string, std::pair<std::int64_t, std::int64_t>> const shapes{
    {"q_proj", {256, 256}},     {"k_proj", {128, 256}},  {"v_proj", {128, 256}},
    {"o_proj", {256, 256}},     {"gate_proj", {1024, 256}}, {"up_proj", {1024, 256}},
    {"down_proj", {256, 1024}}};

std::string leaf(std::string const& module) { return module.substr(module.rfind('.') + 1); }

struct expected_module {
    std::string scheme, inputs, format;
    std::size_t tensors;
    double bits; ///< exact: every term is a dyadic fraction
};

/// What each module of a golden checkpoint stores, from docs/FORMAT.md §5 and the recipe.
expected_module expected(std::string const& checkpoint, std::string const& module) {
    auto const [r, c] = shapes.at(leaf(module));
    double const n = static_cast<double>(r * c);
    bool const down = leaf(module) == "down_proj";
    bool const attn = module.find("self_attn") != std::string::npos;
    if (checkpoint == "int4_int8") {
        // int32 words of codes; int64 [2] weight_shape; bf16 scale per 128 columns; int4 asym
        // zero points packed along the rows into int32
        if (down) return {"int8 group128", "", "pack-quantized", 3, 8 + 16.0 / 128 + 16 * 8 / n};
        return {"int4 asym group128", "", "pack-quantized", 4,
                4 + 16.0 / 128 + 4.0 / 128 + 16 * 8 / n};
    }
    if (checkpoint == "nvfp4a16_fp8") {
        // fp8 codes + bf16 channel scale; or fp4 nibbles + fp8 scale per 16 + f32 global scale
        if (down)
            return {"fp8 channel", "fp8 token dynamic", "float-quantized", 2, 8 + 16 / 1024.0};
        return {"nvfp4", "", "nvfp4-pack-quantized", 3, 4 + 8.0 / 16 + 32 / n};
    }
    if (checkpoint == "fp8_multiple_strategies") {
        if (attn) return {"fp8 channel", "fp8 token dynamic", "float-quantized", 2, 8 + 16.0 / c};
        return {"fp8 tensor", "fp8 token dynamic", "float-quantized", 2, 8 + 16 / n};
    }
    // w8a8_int8: int8 codes + bf16 channel scale
    return {"int8 channel", "int8 token dynamic", "int-quantized", 2, 8 + 16.0 / c};
}

} // namespace

TEST_CASE("inspect the golden checkpoints: schemes, formats, bytes and bits per weight",
          "[inspect][golden]") {
    int modules_checked = 0;
    for (std::string const name : nuq_test::golden_checkpoint_names) {
        INFO(name);
        nuq::io::checkpoint const ck(golden_checkpoint(name));
        auto const r = nuq::pipeline::inspect(ck);
        CHECK(r.has_quantization_config);
        CHECK(r.status == "compressed");
        CHECK(r.version == "0.18.0");
        CHECK(r.format == (name == "nvfp4a16_fp8" ? "mixed-precision"
                           : name == "int4_int8"  ? "pack-quantized"
                           : name == "w8a8_int8"  ? "int-quantized"
                                                  : "float-quantized"));
        REQUIRE(r.modules.size() == 42);
        CHECK(r.modules.front().name == "model.layers.0.self_attn.q_proj"); // module order
        CHECK(r.modules.back().name == "model.layers.5.mlp.down_proj");

        std::uint64_t bytes = 0;
        std::size_t tensors = 0;
        double weights = 0, bits_sum = 0;
        for (auto const& m : r.modules) {
            INFO(m.name);
            auto const e = expected(name, m.name);
            auto const [rows, cols] = shapes.at(leaf(m.name));
            CHECK(m.scheme == e.scheme);
            CHECK(m.inputs == e.inputs);
            CHECK(nuq::to_string(m.format) == e.format);
            CHECK(m.shape == std::vector<std::int64_t>{rows, cols});
            CHECK(m.tensors == e.tensors);
            CHECK(m.bits_per_weight == e.bits);
            CHECK(m.stored_bytes * 8 == static_cast<std::uint64_t>(e.bits * rows * cols));
            // and the bytes are those of its tensors in the file
            std::uint64_t own = 0;
            for (auto const& n : ck.names())
                if (n.rfind(m.name + ".", 0) == 0) own += ck.tensor(n).bytes.size();
            CHECK(m.stored_bytes == own);
            bytes += m.stored_bytes;
            tensors += m.tensors;
            weights += static_cast<double>(rows * cols);
            bits_sum += e.bits * static_cast<double>(rows * cols);
            ++modules_checked;
        }
        CHECK(r.quantized_modules == 42);
        CHECK(r.quantized_bytes == bytes);
        CHECK(r.quantized_tensors == tensors);
        CHECK(r.quantized_weights == static_cast<std::int64_t>(weights));
        CHECK(r.bits_per_weight == Approx(bits_sum / weights).epsilon(1e-12));
        CHECK(r.dense_tensors == 15); // embeddings, lm_head, norms
        CHECK(r.quantized_tensors + r.dense_tensors == ck.size());
        CHECK(r.total_bytes == ck.total_size());
        CHECK(r.quantized_bytes + r.dense_bytes == r.total_bytes);
    }
    CHECK(modules_checked == 4 * 42);
}

TEST_CASE("inspect int4_int8: the overall bits per weight", "[inspect]") {
    auto const r = nuq::pipeline::inspect(golden_checkpoint("int4_int8"));
    // per layer: int4 modules hold 720896 weights at 4 + 1/8 + 1/32 bits plus 16 bytes of
    // weight_shape each (6 of them); down_proj 262144 at 8 + 1/8 bits plus 16 bytes
    std::uint64_t const layer_bytes = 720896 * 133 / 256 + 6 * 16 + 262144 * 65 / 64 + 16;
    CHECK(r.quantized_bytes == 6 * layer_bytes);
    CHECK(r.quantized_weights == 6 * 983040);
    CHECK(r.bits_per_weight == Approx(layer_bytes * 8.0 / 983040).epsilon(1e-12));
    CHECK(r.bits_per_weight == Approx(5.21549479).epsilon(1e-8));
}

TEST_CASE("inspect an unquantized model: everything dense", "[inspect]") {
    nuq::io::checkpoint const ck(fs::path(NUQ_TEST_DATA) / "models" / "stories260K");
    auto const r = nuq::pipeline::inspect(ck);
    CHECK(!r.has_quantization_config);
    CHECK(r.modules.empty());
    CHECK(r.quantized_modules == 0);
    CHECK(r.quantized_tensors == 0);
    CHECK(r.dense_tensors == ck.size());
    CHECK(r.dense_bytes == ck.total_size());
    CHECK(r.total_bytes == ck.total_size());
    CHECK(r.bits_per_weight == 0);
    auto const table = nuq::pipeline::to_table(r);
    CHECK(table.find("no quantization_config") != std::string::npos);
    CHECK(table.find("dense:     " + std::to_string(ck.size()) + " tensors") != std::string::npos);
}

TEST_CASE("inspect a frozen checkpoint: the modules' weights count as dense", "[inspect]") {
    nuq_test::scratch_dir tmp;
    nuq_test::rewrite_checkpoint(golden_checkpoint("fp8_multiple_strategies"), tmp / "frozen", {},
                                 [](nlohmann::json& c) {
                                     c["quantization_config"]["quantization_status"] = "frozen";
                                 });
    auto const r = nuq::pipeline::inspect(tmp / "frozen");
    CHECK(r.status == "frozen");
    REQUIRE(r.modules.size() == 42);
    for (auto const& m : r.modules) CHECK(m.format == nuq::compression_format::dense);
    CHECK(r.quantized_modules == 0);
    CHECK(r.dense_bytes == r.total_bytes);
}

TEST_CASE("inspect report as JSON and as a table", "[inspect]") {
    auto const r = nuq::pipeline::inspect(golden_checkpoint("nvfp4a16_fp8"));
    nlohmann::json const j = r;
    CHECK(j["format"] == "mixed-precision");
    CHECK(j["quantization_status"] == "compressed");
    REQUIRE(j["modules"].size() == 42);
    auto const& q = j["modules"][0];
    CHECK(q["name"] == "model.layers.0.self_attn.q_proj");
    CHECK(q["group"] == "group_0");
    CHECK(q["scheme"] == "nvfp4");
    CHECK(q["format"] == "nvfp4-pack-quantized");
    CHECK(q["shape"] == nlohmann::json::array({256, 256}));
    CHECK(q["stored_bytes"] == 256 * 128 + 256 * 16 + 4);
    CHECK(q["bits_per_weight"].get<double>() == 4 + 0.5 + 32.0 / 65536);
    auto const& d = j["modules"][6];
    CHECK(d["name"] == "model.layers.0.mlp.down_proj");
    CHECK(d["group"] == "group_1");
    CHECK(d["inputs"] == "fp8 token dynamic");
    CHECK(j["totals"]["quantized_modules"] == 42);
    CHECK(j["totals"]["total_bytes"] == r.total_bytes);
    CHECK(j["totals"]["bits_per_weight"].get<double>() == r.bits_per_weight);

    auto const table = nuq::pipeline::to_table(r);
    CHECK(table.find("format mixed-precision, status compressed") != std::string::npos);
    CHECK(table.find("model.layers.0.self_attn.q_proj") != std::string::npos);
    CHECK(table.find("4.500") != std::string::npos);
    CHECK(table.find("quantized: 42 modules") != std::string::npos);
}

TEST_CASE("inspect refuses a broken checkpoint", "[inspect][errors]") {
    nuq_test::scratch_dir tmp;
    nuq_test::rewrite_checkpoint(golden_checkpoint("w8a8_int8"), tmp / "broken",
                                 [](std::string const& n) {
                                     return n != "model.layers.1.self_attn.o_proj.weight_scale";
                                 });
    require_error([&] { nuq::pipeline::inspect(tmp / "broken"); }, "format.missing_tensor",
                  {"model.layers.1.self_attn.o_proj.weight_scale"});
    nuq_test::rewrite_checkpoint(golden_checkpoint("w8a8_int8"), tmp / "unknown", {},
                                 [](nlohmann::json& c) {
                                     c["quantization_config"]["format"] = "int-quantised";
                                 });
    require_error([&] { nuq::pipeline::inspect(tmp / "unknown"); }, "format.unknown",
                  {"int-quantised"});
}
