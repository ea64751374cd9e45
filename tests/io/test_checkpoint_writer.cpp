#include <catch2/catch.hpp>

#include <charconv>
#include <cstdint>
#include <fstream>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io_test_util.hpp"
#include "nuq/io/checkpoint.hpp"
#include "nuq/io/checkpoint_writer.hpp"

using nuq::dtype;
using nuq::io::checkpoint;
using nuq::io::checkpoint_writer;
using nuq::io::parse_size;
using nuq_test::as_bytes_of;
using nuq_test::read_bytes;
using nuq_test::require_error;
using nuq_test::scratch_dir;
using nuq_test::write_bytes;

namespace {

std::string const models = NUQ_TEST_DATA "/models";
std::string const io_data = NUQ_TEST_DATA "/io";
std::string const tiny_llama = NUQ_TEST_DATA "/../../examples/data/tiny-llama-sotu";

/// Copies a checkpoint through checkpoint_writer, streaming tensors in `source.names()` order.
void copy_model(checkpoint const& source, std::filesystem::path const& out,
                nuq::io::checkpoint_writer_options options) {
    checkpoint_writer w(out, options);
    for (auto const& n : source.names()) {
        auto const t = source.tensor(n);
        w.add(n, t.type, t.shape);
    }
    w.set_config(source.config());
    w.copy_files_from(source);
    w.begin();
    for (auto const& n : source.names()) w.write(n, source.tensor(n).bytes);
    w.commit();
}

void require_same_tensors(checkpoint const& a, checkpoint const& b) {
    REQUIRE(a.size() == b.size());
    for (auto const& n : a.names()) {
        INFO(n);
        REQUIRE(b.has(n));
        auto const x = a.tensor(n);
        auto const y = b.tensor(n);
        CHECK(x.type == y.type);
        CHECK(x.shape == y.shape);
        REQUIRE(x.bytes.size() == y.bytes.size());
        CHECK(std::memcmp(x.bytes.data(), y.bytes.data(), x.bytes.size()) == 0);
    }
}

/// "t<i>" (built with +=: g++ 12 warns falsely on "t" + std::to_string(i)).
std::string tname(std::size_t i) {
    std::string s = "t";
    s += std::to_string(i);
    return s;
}

/// int8 tensors t0..t{n-1} of the given byte sizes, each filled with its index.
checkpoint_writer small_writer(std::filesystem::path const& out, std::vector<int> const& sizes,
                               std::uint64_t max_shard_size, bool overwrite = false) {
    checkpoint_writer w(out, {max_shard_size, overwrite});
    for (std::size_t i = 0; i < sizes.size(); ++i) w.add(tname(i), dtype::int8, {sizes[i]});
    w.set_config({{"model_type", "test"}});
    return w;
}
void write_small(checkpoint_writer& w, std::vector<int> const& sizes) {
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        std::vector<std::int8_t> const v(static_cast<std::size_t>(sizes[i]),
                                         static_cast<std::int8_t>(i));
        w.write(tname(i), as_bytes_of(v));
    }
}

} // namespace

TEST_CASE("parse_size follows huggingface_hub's units") {
    CHECK(parse_size("5GB") == 5'000'000'000u);
    CHECK(parse_size("500MB") == 500'000'000u);
    CHECK(parse_size("10KB") == 10'000u);
    CHECK(parse_size("2GiB") == 2ull << 30);
    CHECK(parse_size("3MiB") == 3ull << 20);
    CHECK(parse_size("1KiB") == 1024u);
    CHECK(parse_size("1kib") == 1024u);
    CHECK(parse_size("5gB") == 5'000'000'000u);
    CHECK(parse_size("5Gb") == 625'000'000u); // a lowercase final b counts bits
    CHECK(parse_size("12345") == 12345u);
    require_error([] { (void)parse_size("5 GB"); }, "size.format", {"\"5 GB\"", "5GB"});
    require_error([] { (void)parse_size("1.5GB"); }, "size.format", {"1.5GB"});
    require_error([] { (void)parse_size("GB"); }, "size.format", {"number"});
    require_error([] { (void)parse_size(""); }, "size.format", {});
    require_error([] { (void)parse_size("5TB"); }, "size.format", {"unknown unit \"TB\""});
    require_error([] { (void)parse_size("0MB"); }, "size.format", {"zero"});
    require_error([] { (void)parse_size("99999999999999999999"); }, "size.format", {"too large"});
    require_error([] { (void)parse_size("99999999999GiB"); }, "size.format", {"too large"});
}

TEST_CASE("to_transformers_json writes floats as Python's repr()") {
    std::ifstream in(io_data + "/python_float_repr.txt");
    REQUIRE(in.good());
    std::string line;
    int checked = 0;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        double v = 0;
        auto const r = std::from_chars(line.data(), line.data() + line.size(), v);
        REQUIRE(r.ec == std::errc{});
        CHECK(nuq::io::detail::python_float_repr(v) == line);
        ++checked;
    }
    CHECK(checked > 300);
    CHECK(nuq::io::to_transformers_json(nlohmann::json::object()) == "{}\n");
    CHECK(nuq::io::to_transformers_json({{"b", {1, 2}}, {"a", nlohmann::json::array()}}) ==
          "{\n  \"a\": [],\n  \"b\": [\n    1,\n    2\n  ]\n}\n");
}

TEST_CASE("checkpoint_writer copies stories260K into one model.safetensors, byte for byte") {
    scratch_dir dir;
    auto const source = checkpoint::open(models + "/stories260K");
    copy_model(source, dir / "out", {});
    CHECK(dir.entries() == std::vector<std::string>{"out"});
    auto const out = checkpoint::open(dir / "out");
    CHECK_FALSE(out.sharded());
    CHECK_FALSE(std::filesystem::exists(dir / "out" / "model.safetensors.index.json"));
    CHECK(read_bytes(dir / "out" / "model.safetensors") ==
          read_bytes(models + "/stories260K/model.safetensors"));
    CHECK(out.other_files() == source.other_files());
    for (auto const& f : source.other_files())
        CHECK(read_bytes(dir / "out" / f.string()) == read_bytes(source.directory() / f));
    CHECK(out.config() == source.config());
    require_same_tensors(source, out);
}

TEST_CASE("checkpoint_writer writes config.json like transformers") {
    scratch_dir dir;
    SECTION("the tiny Llama's config.json comes back byte for byte") {
        auto const source = checkpoint::open(tiny_llama);
        copy_model(source, dir / "out", {});
        CHECK(read_bytes(dir / "out" / "config.json") == read_bytes(tiny_llama + "/config.json"));
        CHECK(read_bytes(dir / "out" / "model.safetensors") ==
              read_bytes(tiny_llama + "/model.safetensors"));
    }
    SECTION("floats, escapes, nesting and empty containers as Python's json.dumps writes them") {
        // The file was written by json.dumps(config, indent=2, sort_keys=True) + "\n".
        auto const expected = read_bytes(io_data + "/config_transformers_style.json");
        checkpoint_writer w(dir / "out");
        w.set_config(nlohmann::json::parse(expected));
        w.begin();
        w.commit();
        CHECK(read_bytes(dir / "out" / "config.json") == expected);
    }
}

TEST_CASE("checkpoint_writer shards like transformers' save_pretrained") {
    scratch_dir dir;
    // max 8: t2 (10 bytes) gets its own shard ahead of the one being filled; then [t0 t1],
    // [t3 t4], [t5].
    std::vector<int> const sizes{4, 4, 10, 4, 4, 4};
    auto w = small_writer(dir / "out", sizes, 8);
    w.begin();
    REQUIRE(w.shards().size() == 4);
    CHECK(w.shards()[0].tensors == std::vector<std::string>{"t2"});
    CHECK(w.shards()[1].tensors == std::vector<std::string>{"t0", "t1"});
    CHECK(w.shards()[2].tensors == std::vector<std::string>{"t3", "t4"});
    CHECK(w.shards()[3].tensors == std::vector<std::string>{"t5"});
    CHECK(w.shards()[0].file == "model-00001-of-00004.safetensors");
    CHECK(w.shards()[3].file == "model-00004-of-00004.safetensors");
    CHECK(w.shards()[1].bytes == 8);
    CHECK(w.shard_of("t4") == "model-00003-of-00004.safetensors");
    CHECK(w.total_size() == 30);
    write_small(w, sizes);
    w.commit();

    CHECK(read_bytes(dir / "out" / "model.safetensors.index.json") == R"({
  "metadata": {
    "total_size": 30
  },
  "weight_map": {
    "t0": "model-00002-of-00004.safetensors",
    "t1": "model-00002-of-00004.safetensors",
    "t2": "model-00001-of-00004.safetensors",
    "t3": "model-00003-of-00004.safetensors",
    "t4": "model-00003-of-00004.safetensors",
    "t5": "model-00004-of-00004.safetensors"
  }
}
)");
    CHECK(read_bytes(dir / "out" / "config.json") == "{\n  \"model_type\": \"test\"\n}\n");
    auto const ck = checkpoint::open(dir / "out");
    CHECK(ck.sharded());
    CHECK(ck.index_total_size() == 30u);
    CHECK(ck.shard_of("t2") == "model-00001-of-00004.safetensors");
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        auto const t = ck.tensor(tname(i));
        REQUIRE(t.bytes.size() == static_cast<std::size_t>(sizes[i]));
        CHECK(std::to_integer<int>(t.bytes.back()) == static_cast<int>(i));
    }
}

TEST_CASE("checkpoint_writer splits stories260K into many shards and reads them back") {
    scratch_dir dir;
    auto const source = checkpoint::open(models + "/stories260K");
    copy_model(source, dir / "out", {nuq::io::parse_size("100KB"), false});
    auto const out = checkpoint::open(dir / "out");
    CHECK(out.sharded());
    auto const shards = out.shard_files();
    REQUIRE(shards.size() > 5);
    auto const n = std::to_string(shards.size());
    CHECK(shards.back() == "model-000" + std::string(2 - n.size(), '0') + n + "-of-000" +
                               std::string(2 - n.size(), '0') + n + ".safetensors");
    for (auto const& s : shards) {
        auto const f = nuq::io::safetensors_file::open(dir / "out" / s.string());
        // Over the limit only when a single tensor is (the 128 KiB embedding).
        CHECK((f.data_size() <= 100'000 || f.size() == 1));
    }
    CHECK(out.index_total_size() == source.total_size());
    require_same_tensors(source, out);
}

TEST_CASE("checkpoint_writer handles a hundred shards") {
    scratch_dir dir;
    std::vector<int> const sizes(120, 8);
    auto w = small_writer(dir / "out", sizes, 16);
    w.begin();
    REQUIRE(w.shards().size() == 60);
    CHECK(w.shards()[59].file == "model-00060-of-00060.safetensors");
    write_small(w, sizes);
    w.commit();
    auto const ck = checkpoint::open(dir / "out");
    CHECK(ck.shard_files().size() == 60);
    CHECK(ck.size() == 120);
    CHECK(ck.shard_of("t119") == "model-00060-of-00060.safetensors");
}

TEST_CASE("checkpoint_writer publishes only at commit()") {
    scratch_dir dir;
    std::vector<int> const sizes{4, 4};
    auto const out = dir / "out";

    SECTION("nothing is left behind when the writer is dropped") {
        {
            auto w = small_writer(out, sizes, 4);
            w.begin();
            CHECK(w.temp_directory().filename().string().starts_with("out.nuq-tmp-"));
            CHECK(std::filesystem::is_directory(w.temp_directory()));
            w.write("t0", as_bytes_of(std::vector<std::int8_t>{1, 2, 3, 4}));
        }
        CHECK(dir.entries().empty());
    }
    SECTION("an exception while writing leaves nothing behind") {
        try {
            auto w = small_writer(out, sizes, 4);
            w.begin();
            write_small(w, sizes);
            w.write("t0", as_bytes_of(std::vector<std::int8_t>{1}));
            FAIL("writing past a complete tensor must throw");
        } catch (nuq::error const& e) {
            CHECK(e.id() == "checkpoint_writer.size");
        }
        CHECK(dir.entries().empty());
    }
    SECTION("an incomplete tensor fails commit(), naming it") {
        auto w = small_writer(out, sizes, 4);
        w.begin();
        w.write("t0", as_bytes_of(std::vector<std::int8_t>{1, 2, 3, 4}));
        w.write("t1", as_bytes_of(std::vector<std::int8_t>{1, 2}));
        require_error([&] { w.commit(); }, "safetensors_writer.incomplete",
                      {"model-00002-of-00002.safetensors", "'t1'", "2 of 4"});
        CHECK_FALSE(std::filesystem::exists(out));
    }
    SECTION("an existing output is refused without overwrite") {
        std::filesystem::create_directory(out);
        auto w = small_writer(out, sizes, 4);
        require_error([&] { w.begin(); }, "checkpoint_writer.exists", {out.string()});
    }
    SECTION("an existing output is replaced at commit() with overwrite") {
        std::filesystem::create_directory(out);
        write_bytes(out / "old.txt", "old");
        auto w = small_writer(out, sizes, 100, true);
        w.begin();
        write_small(w, sizes);
        CHECK(std::filesystem::exists(out / "old.txt"));
        w.commit();
        CHECK_FALSE(std::filesystem::exists(out / "old.txt"));
        CHECK(dir.entries() == std::vector<std::string>{"out"});
        CHECK(checkpoint::open(out).names() == std::vector<std::string>{"t0", "t1"});
    }
    SECTION("a missing parent directory is reported") {
        auto w = small_writer(dir / "no" / "out", sizes, 4);
        require_error([&] { w.begin(); }, "checkpoint_writer.parent", {"no"});
    }
}

TEST_CASE("checkpoint_writer handles empty models and empty tensors") {
    scratch_dir dir;
    SECTION("no tensors: one empty model.safetensors") {
        checkpoint_writer w(dir / "out");
        w.set_config({{"a", 1}});
        w.begin();
        w.commit();
        CHECK(checkpoint::open(dir / "out").size() == 0);
    }
    SECTION("zero-byte tensors need no write()") {
        checkpoint_writer w(dir / "out", {8, false});
        w.add("empty", dtype::float32, {0, 4});
        w.add("full", dtype::float32, {2});
        w.add("empty2", dtype::bfloat16, {0});
        w.set_config({{"a", 1}});
        w.begin();
        w.write("full", as_bytes_of(std::vector<float>{1, 2}));
        w.commit();
        auto const ck = checkpoint::open(dir / "out");
        CHECK(ck.size() == 3);
        CHECK(ck.tensor("empty").shape == std::vector<std::int64_t>{0, 4});
    }
}

TEST_CASE("checkpoint_writer rejects misuse with nuq::error") {
    scratch_dir dir;
    write_bytes(dir / "tok.json", "{}");
    checkpoint_writer w(dir / "out");
    w.add("a", dtype::float32, {1});
    require_error([&] { w.add("a", dtype::float32, {1}); }, "checkpoint_writer.duplicate", {"'a'"});
    require_error([&] { w.add("b", dtype::float32, {-1}); }, "safetensors_writer.shape", {"'b'"});
    require_error([&] { w.set_config(nlohmann::json::array()); }, "checkpoint_writer.config", {});
    require_error([&] { w.copy_file(dir / "none.json"); }, "checkpoint_writer.copy", {"none.json"});
    require_error([&] { w.copy_file(dir / "tok.json", "config.json"); }, "checkpoint_writer.copy",
                  {"config.json"});
    require_error([&] { w.copy_file(dir / "tok.json", "model.safetensors"); },
                  "checkpoint_writer.copy", {});
    w.copy_file(dir / "tok.json");
    require_error([&] { w.copy_file(dir / "tok.json"); }, "checkpoint_writer.copy", {"once"});
    require_error([&] { w.write("a", {}); }, "checkpoint_writer.order", {"write()"});
    require_error(
        [] {
            checkpoint_writer bad("x", {0, false});
        },
        "checkpoint_writer.max_shard_size", {});
    w.begin();
    require_error([&] { w.add("c", dtype::float32, {1}); }, "checkpoint_writer.order", {"add()"});
    require_error([&] { w.write("c", {}); }, "checkpoint_writer.unknown", {"'c'"});
    w.write("a", as_bytes_of(std::vector<float>{1}));
    w.commit();
    CHECK(read_bytes(dir / "out" / "tok.json") == "{}");
    CHECK_FALSE(std::filesystem::exists(dir / "out" / "config.json")); // none was given
    require_error([&] { w.commit(); }, "checkpoint_writer.order", {"commit()"});
}
