#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "io_test_util.hpp"
#include "nuq/io/safetensors_reader.hpp"
#include "nuq/io/safetensors_writer.hpp"

using nuq::dtype;
using nuq::io::safetensors_file;
using nuq::io::safetensors_writer;
using nuq_test::as_bytes_of;
using nuq_test::read_bytes;
using nuq_test::require_error;
using nuq_test::scratch_dir;

namespace {

std::string const models = NUQ_TEST_DATA "/models";
std::string const tiny_llama = NUQ_TEST_DATA "/../../examples/data/tiny-llama-sotu";

/// Rewrites every tensor of `source` through safetensors_writer, in reverse file order.
void rewrite(safetensors_file const& source, std::filesystem::path const& out) {
    safetensors_writer w;
    w.set_metadata(source.metadata());
    auto names = source.names();
    for (auto const& n : names) {
        auto const t = source.tensor(n);
        w.add(n, t.type, t.shape);
    }
    w.begin(out);
    for (auto it = names.rbegin(); it != names.rend(); ++it) w.write(*it, source.tensor(*it).bytes);
    w.finish();
}

} // namespace

TEST_CASE("safetensors_writer reproduces files written by the Python library byte for byte") {
    scratch_dir dir;
    for (auto const& src :
         {models + "/stories260K/model.safetensors", tiny_llama + "/model.safetensors"}) {
        INFO(src);
        auto const source = safetensors_file::open(src);
        rewrite(source, dir / "copy.safetensors");
        CHECK(read_bytes(dir / "copy.safetensors") == read_bytes(src));
    }
}

TEST_CASE("safetensors_writer matches safetensors' own serialization examples") {
    // From the Rust crate's tests: one F32 [1,2,3] tensor "attn.0", no metadata.
    scratch_dir dir;
    std::vector<float> const data{0, 1, 2, 3, 4, 5};
    safetensors_writer w;
    w.set_metadata({});
    w.add("attn.0", dtype::float32, {1, 2, 3});
    w.begin(dir / "a.safetensors");
    w.write("attn.0", as_bytes_of(data));
    w.finish();
    std::string const header =
        R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})";
    REQUIRE(header.size() == 64);
    std::string expected("\x40\0\0\0\0\0\0\0", 8);
    expected += header;
    expected.append(reinterpret_cast<char const*>(data.data()), 24);
    CHECK(read_bytes(dir / "a.safetensors") == expected);

    // An empty file with metadata {"framework": "pt"}: header padded with spaces to 40 bytes.
    safetensors_writer e;
    e.set_metadata({{"framework", "pt"}});
    e.begin(dir / "e.safetensors");
    e.finish();
    CHECK(read_bytes(dir / "e.safetensors") == std::string("\x28\0\0\0\0\0\0\0", 8) +
                                                   R"({"__metadata__":{"framework":"pt"}})" +
                                                   "     ");
}

TEST_CASE("safetensors_writer orders tensors by dtype alignment, then name, and pads the header") {
    scratch_dir dir;
    safetensors_writer w;
    w.add("z.bool", dtype::boolean, {3});
    w.add("b.bf16", dtype::bfloat16, {3});
    w.add("a.bf16", dtype::bfloat16, {1});
    w.add("f8", dtype::float8_e4m3fn, {5});
    w.add("i64", dtype::int64, {1});
    w.add("f64", dtype::float64, {1});
    w.add("u8", dtype::uint8, {2});
    w.add("f32", dtype::float32, {2, 2});
    w.add("i32", dtype::int32, {});
    auto const order = std::vector<std::string>{"i64",    "f64", "f32", "i32",   "a.bf16",
                                                "b.bf16", "f8",  "u8",  "z.bool"};
    CHECK(w.names() == order);
    CHECK(w.data_size() == 8 + 8 + 16 + 4 + 2 + 6 + 5 + 2 + 3);
    w.begin(dir / "o.safetensors");
    // Write every tensor byte by byte, interleaving tensors.
    std::map<std::string, std::vector<std::uint8_t>> written;
    std::uint8_t next = 1;
    std::map<std::string, std::uint64_t> sizes{{"i64", 8}, {"f64", 8},    {"f32", 16},
                                               {"i32", 4}, {"a.bf16", 2}, {"b.bf16", 6},
                                               {"f8", 5},  {"u8", 2},     {"z.bool", 3}};
    for (std::uint64_t i = 0; i < 16; ++i)
        for (auto const& [n, s] : sizes)
            if (i < s) {
                std::byte const b{next};
                written[n].push_back(next++);
                w.write(n, std::span(&b, 1));
            }
    w.finish();

    auto const raw = read_bytes(dir / "o.safetensors");
    std::uint64_t n = 0;
    std::memcpy(&n, raw.data(), 8);
    CHECK(n % 8 == 0);
    CHECK(raw[8 + n - 1] == ' ');
    CHECK(raw.substr(8, 32) == R"({"__metadata__":{"format":"pt"},)");
    auto const f = safetensors_file::open(dir / "o.safetensors");
    CHECK(f.names() == order);
    CHECK(f.tensor("i32").shape.empty());
    CHECK(f.tensor("i32").numel() == 1);
    for (auto const& name : order) {
        auto const t = f.tensor(name);
        REQUIRE(t.bytes.size() == written[name].size());
        CHECK(std::memcmp(t.bytes.data(), written[name].data(), t.bytes.size()) == 0);
        CHECK(reinterpret_cast<std::uintptr_t>(t.bytes.data()) % nuq::size_of(t.type) == 0);
    }
}

TEST_CASE("safetensors_writer writes through a temporary file") {
    scratch_dir dir;
    std::vector<std::int32_t> const v{1, 2, 3, 4};
    SECTION("renamed into place at finish()") {
        safetensors_writer w;
        w.add("t", dtype::int32, {4});
        w.begin(dir / "t.safetensors");
        auto const entries = dir.entries();
        REQUIRE(entries.size() == 1);
        CHECK(entries[0].starts_with("t.safetensors.nuq-tmp-"));
        w.write("t", as_bytes_of(v));
        w.finish();
        CHECK(dir.entries() == std::vector<std::string>{"t.safetensors"});
    }
    SECTION("removed when the writer is destroyed unfinished") {
        {
            safetensors_writer w;
            w.add("t", dtype::int32, {4});
            w.begin(dir / "t.safetensors");
            w.write("t", as_bytes_of(v).first(8));
        }
        CHECK(dir.entries().empty());
    }
    SECTION("removed when a moved-to writer is destroyed") {
        {
            safetensors_writer w;
            w.add("t", dtype::int32, {4});
            w.begin(dir / "t.safetensors");
            safetensors_writer m = std::move(w);
            CHECK(dir.entries().size() == 1);
        }
        CHECK(dir.entries().empty());
    }
    SECTION("an existing file is replaced only at finish()") {
        nuq_test::write_bytes(dir / "t.safetensors", "old");
        safetensors_writer w;
        w.add("t", dtype::int32, {4});
        w.begin(dir / "t.safetensors");
        w.write("t", as_bytes_of(v));
        CHECK(read_bytes(dir / "t.safetensors") == "old");
        w.finish();
        CHECK(safetensors_file::open(dir / "t.safetensors").size() == 1);
    }
}

TEST_CASE("safetensors_writer rejects misuse with nuq::error") {
    scratch_dir dir;
    std::vector<std::int32_t> const v{1, 2, 3, 4};
    safetensors_writer w;
    w.add("t", dtype::int32, {4});
    require_error([&] { w.add("t", dtype::int32, {4}); }, "safetensors_writer.duplicate", {"'t'"});
    require_error(
        [&] {
            w.add("n", dtype::int32, {2, -1});
        },
        "safetensors_writer.shape", {"'n'", "-1"});
    require_error([&] { w.add("x", dtype::invalid, {1}); }, "safetensors_writer.dtype", {"'x'"});
    require_error([&] { w.add("__metadata__", dtype::int32, {1}); }, "safetensors_writer.name", {});
    require_error([&] { w.add("", dtype::int32, {1}); }, "safetensors_writer.name", {});
    require_error([&] { w.add("bad\xff", dtype::int32, {1}); }, "safetensors_writer.name",
                  {"UTF-8"});
    require_error([&] { w.write("t", as_bytes_of(v)); }, "safetensors_writer.order", {"write()"});
    w.begin(dir / "w.safetensors");
    require_error([&] { w.add("u", dtype::int32, {1}); }, "safetensors_writer.order", {"add()"});
    require_error([&] { w.write("u", as_bytes_of(v)); }, "safetensors_writer.unknown", {"'u'"});
    w.write("t", as_bytes_of(v).first(12));
    require_error([&] { w.write("t", as_bytes_of(v).first(8)); }, "safetensors_writer.size",
                  {(dir / "w.safetensors").string(), "'t'", "12 already", "16 bytes"});
    require_error([&] { w.finish(); }, "safetensors_writer.incomplete",
                  {(dir / "w.safetensors").string(), "'t'", "12 of 16"});
    w.write("t", as_bytes_of(v).subspan(12));
    w.finish();
    require_error([&] { w.finish(); }, "safetensors_writer.order", {"finish()"});
    CHECK(dir.entries() == std::vector<std::string>{"w.safetensors"});
}

TEST_CASE("safetensors_writer round-trips names that need JSON escapes") {
    scratch_dir dir;
    std::string const odd = "quote\" back\\slash tab\t caf\xc3\xa9";
    std::vector<std::uint8_t> const v{7};
    safetensors_writer w;
    w.set_metadata({{"format", "pt"}, {"note", "line\nbreak"}});
    w.add(odd, dtype::uint8, {1});
    w.begin(dir / "x.safetensors");
    w.write(odd, as_bytes_of(v));
    w.finish();
    auto const f = safetensors_file::open(dir / "x.safetensors");
    CHECK(f.names() == std::vector<std::string>{odd});
    CHECK(f.metadata().at("note") == "line\nbreak");
    CHECK(read_bytes(dir / "x.safetensors").find("caf\xc3\xa9") != std::string::npos);
}
