#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "io_test_util.hpp"
#include "nuq/io/checkpoint.hpp"
#include "nuq/io/safetensors_writer.hpp"

using nuq::dtype;
using nuq::io::checkpoint;
using nuq::io::safetensors_writer;
using nuq_test::as_bytes_of;
using nuq_test::require_error;
using nuq_test::scratch_dir;
using nuq_test::write_bytes;

namespace {

std::string const models = NUQ_TEST_DATA "/models";
std::string const tiny_llama = NUQ_TEST_DATA "/../../examples/data/tiny-llama-sotu";

/// A safetensors file of int32 tensors [2] holding {k, k+1} for the k-th name.
void write_shard(std::filesystem::path const& p, std::vector<std::string> const& names) {
    safetensors_writer w;
    for (auto const& n : names) w.add(n, dtype::int32, {2});
    w.begin(p);
    std::int32_t k = 0;
    for (auto const& n : names) {
        std::vector<std::int32_t> const v{k, k + 1};
        w.write(n, as_bytes_of(v));
        k += 10;
    }
    w.finish();
}

/// A two-shard model: a.0, a.1 in the first file, b.0 in the second.
void write_sharded_model(scratch_dir const& dir, std::string const& index) {
    write_bytes(dir / "config.json", R"({"model_type": "llama"})");
    write_shard(dir / "model-00001-of-00002.safetensors", {"a.0", "a.1"});
    write_shard(dir / "model-00002-of-00002.safetensors", {"b.0"});
    write_bytes(dir / "model.safetensors.index.json", index);
}

std::string const good_index = R"({
  "metadata": {"total_size": 24},
  "weight_map": {
    "a.0": "model-00001-of-00002.safetensors",
    "a.1": "model-00001-of-00002.safetensors",
    "b.0": "model-00002-of-00002.safetensors"
  }
})";

} // namespace

TEST_CASE("checkpoint opens stories260K: one file, f32, tied embeddings") {
    auto const ck = checkpoint::open(models + "/stories260K");
    CHECK_FALSE(ck.sharded());
    CHECK(ck.size() == 47);
    CHECK(ck.names().size() == 47);
    CHECK(ck.has("model.embed_tokens.weight"));
    CHECK_FALSE(ck.has("lm_head.weight")); // tied: nothing to do but ask
    CHECK(ck.config()["tie_word_embeddings"] == true);
    CHECK(ck.config()["hidden_size"] == 64);
    CHECK(ck.shard_files() == std::vector<std::filesystem::path>{"model.safetensors"});
    CHECK(ck.shard_of("model.norm.weight") == "model.safetensors");
    CHECK(ck.other_files() == std::vector<std::filesystem::path>{
                                  "generation_config.json", "special_tokens_map.json",
                                  "tokenizer.json", "tokenizer.model", "tokenizer_config.json"});
    CHECK(ck.total_size() == 1040128);
    CHECK_FALSE(ck.index_total_size());
    for (auto const& n : ck.names()) {
        auto const t = ck.tensor(n);
        CHECK(t.type == dtype::float32);
        CHECK(t.bytes.size() == static_cast<std::size_t>(t.numel()) * 4);
    }
    require_error([&] { (void)ck.tensor("lm_head.weight"); }, "checkpoint.missing",
                  {"stories260K", "'lm_head.weight'"});
}

TEST_CASE("checkpoint opens the tiny Llama (bf16, untied)") {
    auto const ck = checkpoint::open(tiny_llama);
    CHECK(ck.size() == 57);
    CHECK(ck.has("lm_head.weight"));
    CHECK_FALSE(ck.config().contains("torch_dtype"));
    CHECK(ck.config()["dtype"] == "bfloat16");
    CHECK(ck.other_files() == std::vector<std::filesystem::path>{"generation_config.json"});
    CHECK(ck.tensor("lm_head.weight").shape == std::vector<std::int64_t>{256, 256});
}

TEST_CASE("checkpoint reads a sharded model through its index") {
    scratch_dir dir;
    write_sharded_model(dir, good_index);
    write_bytes(dir / "tokenizer.json", "{}");
    write_bytes(dir / ".gitattributes", "");
    write_bytes(dir / "pytorch_model.bin", "x");
    auto ck = checkpoint::open(dir.path());
    CHECK(ck.sharded());
    CHECK(ck.names() == std::vector<std::string>{"a.0", "a.1", "b.0"});
    CHECK(ck.shard_files() ==
          std::vector<std::filesystem::path>{"model-00001-of-00002.safetensors",
                                             "model-00002-of-00002.safetensors"});
    CHECK(ck.shard_of("b.0") == "model-00002-of-00002.safetensors");
    CHECK(ck.index_total_size() == 24u);
    CHECK(ck.total_size() == 24);
    CHECK(ck.other_files() == std::vector<std::filesystem::path>{"tokenizer.json"});
    auto const t = ck.tensor("a.1");
    std::int32_t v[2];
    std::memcpy(v, t.bytes.data(), 8);
    CHECK(v[0] == 10);
    CHECK(v[1] == 11);
    checkpoint const moved = std::move(ck);
    CHECK(moved.has("b.0"));
}

TEST_CASE("checkpoint rejects an inconsistent index, naming the shard and tensor") {
    scratch_dir dir;
    auto const shard1 = (dir / "model-00001-of-00002.safetensors").string();
    auto const shard2 = (dir / "model-00002-of-00002.safetensors").string();
    auto const index = (dir / "model.safetensors.index.json").string();
    auto const open = [&] { (void)checkpoint::open(dir.path()); };

    SECTION("a tensor mapped to a shard that lacks it") {
        write_sharded_model(dir, R"({"weight_map": {"a.0": "model-00001-of-00002.safetensors",
            "a.1": "model-00001-of-00002.safetensors", "b.0": "model-00001-of-00002.safetensors",
            "c.0": "model-00002-of-00002.safetensors"}})");
        require_error(open, "checkpoint.index", {shard1, "'b.0'", "does not hold it"});
    }
    SECTION("a shard holding a tensor the index does not map") {
        write_sharded_model(dir, R"({"weight_map": {"a.0": "model-00001-of-00002.safetensors",
            "b.0": "model-00002-of-00002.safetensors"}})");
        require_error(open, "checkpoint.index", {shard1, "'a.1'", "does not map"});
    }
    SECTION("a shard that does not exist") {
        write_sharded_model(dir, R"({"weight_map": {"a.0": "model-00001-of-00002.safetensors",
            "z": "model-00003-of-00003.safetensors"}})");
        require_error(open, "checkpoint.index",
                      {(dir / "model-00003-of-00003.safetensors").string(), "does not exist"});
    }
    SECTION("no weight_map") {
        write_sharded_model(dir, R"({"metadata": {"total_size": 24}})");
        require_error(open, "checkpoint.index", {index, "weight_map"});
    }
    SECTION("a file name outside the directory") {
        write_sharded_model(dir,
                            R"({"weight_map": {"a.0": "../model-00001-of-00002.safetensors"}})");
        require_error(open, "checkpoint.index", {index, "'a.0'"});
    }
    SECTION("a file name that is not a string") {
        write_sharded_model(dir, R"({"weight_map": {"a.0": 1}})");
        require_error(open, "checkpoint.index", {index, "'a.0'"});
    }
    SECTION("an index that is not JSON") {
        write_sharded_model(dir, R"({"weight_map": )");
        require_error(open, "checkpoint.index", {index, "not valid JSON"});
    }
    SECTION("a damaged shard") {
        write_sharded_model(dir, good_index);
        write_bytes(shard2, "garbage!garbage!");
        require_error(open, "safetensors.header_length", {shard2});
    }
}

TEST_CASE("checkpoint rejects directories that are not models") {
    scratch_dir dir;
    auto const open = [&] { (void)checkpoint::open(dir.path()); };
    require_error(open, "checkpoint.config", {(dir / "config.json").string()});
    write_bytes(dir / "config.json", R"({"model_type": "llama"})");
    require_error(open, "checkpoint.weights", {dir.path().string()});
    write_bytes(dir / "config.json", "[1]");
    require_error(open, "checkpoint.config", {"array"});
    write_bytes(dir / "config.json", "{\"a\": NaN}");
    require_error(open, "checkpoint.config", {"not valid JSON"});
    require_error([&] { (void)checkpoint::open(dir / "config.json"); }, "checkpoint.open",
                  {"not a directory"});
}

TEST_CASE("checkpoint prefers model.safetensors over an index, as transformers does") {
    scratch_dir dir;
    write_sharded_model(dir, good_index);
    write_shard(dir / "model.safetensors", {"only"});
    auto const ck = checkpoint::open(dir.path());
    CHECK_FALSE(ck.sharded());
    CHECK(ck.names() == std::vector<std::string>{"only"});
}
