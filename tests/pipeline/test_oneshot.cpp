// nuq oneshot end to end: the golden checkpoints of compressed-tensors/llm-compressor
// (tests/data/checkpoints, made from tiny-llama-sotu) are reproduced tensor for tensor, byte
// for byte, with the same quantization_config; and the job is safe (temporary output, input
// untouched, same bytes for any thread count).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "nuq/io/checkpoint.hpp"
#include "nuq/check/checkpoint_rules.hpp"
#include "nuq/pipeline/oneshot.hpp"

namespace fs = std::filesystem;

namespace {
fs::path const model_dir = NUQ_TEST_DATA "/../../examples/data/tiny-llama-sotu";
fs::path const recipes = NUQ_TEST_DATA "/../../examples/recipes";

fs::path scratch(std::string const& name) {
    auto const p = fs::temp_directory_path() / ("nuq-test-oneshot-" + name);
    fs::remove_all(p);
    return p;
}

nuq::pipeline::oneshot_result run(std::string const& recipe, fs::path const& out, int threads = 0,
                                  std::uint64_t shard = 5'000'000'000) {
    nuq::pipeline::oneshot_options o;
    o.model = model_dir;
    o.recipe = recipes / recipe;
    o.output = out;
    o.threads = threads;
    o.max_shard_size = shard;
    return nuq::pipeline::oneshot(o);
}

/// Every tensor of a equals (dtype, shape, bytes) the same-named tensor of b, and the sets
/// are equal. Returns how many tensors were compared.
int compare_checkpoints(fs::path const& a, fs::path const& b) {
    nuq::io::checkpoint const x(a), y(b);
    auto const xn = x.names();
    REQUIRE(xn.size() == y.names().size());
    int n = 0;
    for (auto const& name : xn) {
        INFO("tensor " << name);
        REQUIRE(y.has(name));
        auto const s = x.tensor(name), t = y.tensor(name);
        CHECK(s.type == t.type);
        CHECK(s.shape == t.shape);
        CHECK(std::equal(s.bytes.begin(), s.bytes.end(), t.bytes.begin(), t.bytes.end()));
        ++n;
    }
    return n;
}
} // namespace

TEST_CASE("oneshot reproduces the golden checkpoints byte for byte") {
    int tensors = 0, checkpoints = 0;
    for (std::string name : {"int4_int8", "fp8_multiple_strategies", "nvfp4a16_fp8", "w8a8_int8"}) {
        INFO("checkpoint " << name);
        auto const out = scratch(name);
        auto const r = run(name + ".yaml", out);
        CHECK(r.quantized == 42);
        fs::path const golden = NUQ_TEST_DATA "/checkpoints/" + name;
        tensors += compare_checkpoints(out, golden);
        auto const mine = nlohmann::json::parse(std::ifstream(out / "config.json"));
        auto const ref = nlohmann::json::parse(std::ifstream(golden / "config.json"));
        CHECK(mine == ref); // the whole config.json, quantization_config included
        CHECK(fs::exists(out / "generation_config.json"));
        fs::remove_all(out);
        ++checkpoints;
    }
    std::cout << "oneshot: " << checkpoints << " golden checkpoints, " << tensors
              << " tensors byte-exact\n";
    CHECK(tensors == 177 + 99 + 135 + 99);
}

TEST_CASE("oneshot gives the same bytes for any thread count and shard size") {
    auto const one = scratch("t1"), two = scratch("t2"), sharded = scratch("sharded");
    run("nvfp4a16_fp8.yaml", one, 1);
    run("nvfp4a16_fp8.yaml", two, 2);
    CHECK(compare_checkpoints(one, two) > 0);
    run("nvfp4a16_fp8.yaml", sharded, 2, 1'000'000);
    CHECK(fs::exists(sharded / "model.safetensors.index.json"));
    CHECK(compare_checkpoints(one, sharded) > 0);
    for (auto const& p : {one, two, sharded}) fs::remove_all(p);
}

TEST_CASE("oneshot refuses an existing output, leaves nothing behind and never touches its input") {
    auto const parent = scratch("safety");
    auto const out = parent / "out";
    fs::create_directories(out);
    std::ofstream(out / "keep.txt") << "mine";
    auto const stamp = fs::last_write_time(model_dir / "model.safetensors");
    auto const size = fs::file_size(model_dir / "model.safetensors");

    CHECK_THROWS_WITH(run("int4_int8.yaml", out), Catch::Contains("exist"));
    CHECK(fs::exists(out / "keep.txt"));

    // a recipe whose group size divides no layer: refused before anything is written
    auto const bad = parent / "bad.yaml";
    std::ofstream(bad) << "quant_stage:\n  quant_modifiers:\n    QuantizationModifier:\n"
                          "      ignore: [lm_head]\n      config_groups:\n        group_0:\n"
                          "          targets: [Linear]\n"
                          "          weights: {num_bits: 4, type: int, strategy: group, group_size: 96}\n";
    nuq::pipeline::oneshot_options o;
    o.model = model_dir;
    o.recipe = bad;
    o.output = parent / "never";
    CHECK_THROWS_WITH(nuq::pipeline::oneshot(o), Catch::Contains("group_size 96"));
    CHECK_FALSE(fs::exists(parent / "never"));

    o.recipe = recipes / "int4_int8.yaml";
    o.output = out;
    o.overwrite = true;
    nuq::pipeline::oneshot(o);
    CHECK_FALSE(fs::exists(out / "keep.txt"));
    CHECK(fs::exists(out / "model.safetensors"));

    int leftovers = 0;
    for (auto const& e : fs::directory_iterator(parent))
        leftovers += e.path().filename().string().find("nuq-tmp") != std::string::npos;
    CHECK(leftovers == 0);
    CHECK(fs::last_write_time(model_dir / "model.safetensors") == stamp);
    CHECK(fs::file_size(model_dir / "model.safetensors") == size);
    fs::remove_all(parent);
}

TEST_CASE("every example recipe writes a checkpoint that nuq check passes, and without calibration "
          "data those that need it are refused") {
    int written = 0, refused = 0;
    for (auto const& e : fs::directory_iterator(recipes)) {
        auto const name = e.path().filename().string();
        INFO("recipe " << name);
        auto const out = scratch("example-" + e.path().stem().string());
        try {
            run(name, out);
        } catch (nuq::error const& err) {
            CHECK(err.id() == "oneshot.needs_calibration");
            CHECK_FALSE(fs::exists(out));
            ++refused;
            // with a few calibration samples it runs
            nuq::pipeline::oneshot_options o;
            o.model = model_dir;
            o.recipe = recipes / name;
            o.output = out;
            o.dataset = NUQ_TEST_DATA "/corpus/sotu_calib.txt";
            o.data.num_calibration_samples = 4;
            o.data.max_seq_length = 128;
            nuq::pipeline::oneshot(o);
        }
        auto const report = nuq::pipeline::check_checkpoint(out);
        for (auto const& f : report.findings) UNSCOPED_INFO(nuq::recipe::to_line(f));
        CHECK(report.loadable());
        CHECK(report.quantized > 0);
        fs::remove_all(out);
        ++written;
    }
    std::cout << "example recipes: " << written << " written and loadable, " << refused
              << " of them after calibration\n";
    auto const recipes_count = std::distance(fs::directory_iterator(recipes), fs::directory_iterator{});
    CHECK(written == recipes_count);
    CHECK(refused >= 8);
    CHECK(written - refused >= 5);
}
