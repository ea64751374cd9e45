#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "io_test_util.hpp"
#include "nuq/io/safetensors_reader.hpp"
#include "nuq/numeric/bfloat16.hpp"

using nuq::dtype;
using nuq::io::safetensors_file;
using nuq_test::require_error;
using nuq_test::safetensors_bytes;
using nuq_test::scratch_dir;
using nuq_test::write_bytes;

namespace {

std::string const models = NUQ_TEST_DATA "/models";
std::string const tiny_llama = NUQ_TEST_DATA "/../../examples/data/tiny-llama-sotu";

/// Writes `bytes` as `name` in `dir` and expects opening it to fail with `id`, naming the file
/// and every string of `parts`.
void require_bad(scratch_dir const& dir, std::string const& name, std::string const& bytes,
                 std::string const& id, std::initializer_list<std::string> parts = {}) {
    auto const p = dir / name;
    write_bytes(p, bytes);
    INFO(name);
    require_error([&] { (void)safetensors_file::open(p); }, id, {p.string()});
    if (parts.size()) require_error([&] { (void)safetensors_file::open(p); }, id, parts);
}

} // namespace

TEST_CASE("safetensors_file reads a small hand-made file") {
    scratch_dir dir;
    std::string const header =
        R"({"__metadata__":{"format":"pt","note":"x"},)"
        R"("b":{"dtype":"I16","shape":[2],"data_offsets":[8,12]},)"
        R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
        R"("e":{"dtype":"U8","shape":[0,3],"data_offsets":[12,12]}})";
    auto bytes = safetensors_bytes(header, 12);
    float const f[2] = {1.5f, -2.0f};
    std::memcpy(bytes.data() + 8 + header.size(), f, 8);
    write_bytes(dir / "x.safetensors", bytes);

    auto const file = safetensors_file::open(dir / "x.safetensors");
    CHECK(file.path() == dir / "x.safetensors");
    CHECK(file.names() == std::vector<std::string>{"a", "b", "e"}); // by offset
    CHECK(file.size() == 3);
    CHECK(file.contains("a"));
    CHECK_FALSE(file.contains("c"));
    CHECK(file.metadata() == std::map<std::string, std::string>{{"format", "pt"}, {"note", "x"}});
    CHECK(file.data_size() == 12);

    auto const a = file.tensor("a");
    CHECK(a.name == "a");
    CHECK(a.type == dtype::float32);
    CHECK(a.shape == std::vector<std::int64_t>{2});
    CHECK(a.numel() == 2);
    REQUIRE(a.bytes.size() == 8);
    float g[2];
    std::memcpy(g, a.bytes.data(), 8);
    CHECK(g[0] == 1.5f);
    CHECK(g[1] == -2.0f);

    auto const e = file.tensor("e");
    CHECK(e.numel() == 0);
    CHECK(e.bytes.empty());
    require_error([&] { (void)file.tensor("c"); }, "safetensors.missing",
                  {(dir / "x.safetensors").string(), "'c'"});
}

TEST_CASE("safetensors_file views stay valid when the file object moves") {
    scratch_dir dir;
    write_bytes(dir / "m.safetensors",
                safetensors_bytes(R"({"t":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}})", 3));
    auto first = safetensors_file::open(dir / "m.safetensors");
    auto const view = first.tensor("t");
    safetensors_file moved = std::move(first);
    std::vector<safetensors_file> files;
    files.push_back(std::move(moved));
    CHECK(files[0].tensor("t").bytes.data() == view.bytes.data());
    CHECK(std::to_integer<int>(view.bytes[2]) == 0x5a);
}

TEST_CASE("safetensors_file accepts a header without metadata, and an empty one") {
    scratch_dir dir;
    write_bytes(dir / "e.safetensors", safetensors_bytes("{}      ", 0));
    auto const e = safetensors_file::open(dir / "e.safetensors");
    CHECK(e.size() == 0);
    CHECK(e.metadata().empty());
}

TEST_CASE("safetensors_file rejects malformed files, naming file and tensor") {
    scratch_dir dir;
    auto const ok = [](std::string const& entry) { return "{" + entry + "}"; };

    SECTION("shorter than the length field") {
        require_bad(dir, "short.safetensors", "abc", "safetensors.truncated", {"3 bytes"});
    }
    SECTION("empty file") {
        require_bad(dir, "empty.safetensors", "", "safetensors.truncated", {"0 bytes"});
    }
    SECTION("truncated header") {
        auto bytes =
            safetensors_bytes(ok(R"("w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]})"), 4);
        bytes.resize(8 + 20);
        require_bad(dir, "trunc.safetensors", bytes, "safetensors.header_length", {"runs past"});
    }
    SECTION("header length beyond the file") {
        require_bad(dir, "len.safetensors", safetensors_bytes("{}", 0, 1000),
                    "safetensors.header_length", {"1000"});
        require_bad(dir, "len2.safetensors", safetensors_bytes("{}", 0, UINT64_MAX - 1),
                    "safetensors.header_length");
    }
    SECTION("header that is not JSON") {
        require_bad(dir, "json.safetensors", safetensors_bytes(R"({"w":{"dtype":)", 0),
                    "safetensors.header_json", {"not valid JSON"});
    }
    SECTION("header with invalid UTF-8") {
        require_bad(dir, "utf8.safetensors", safetensors_bytes("{\"\xff\":1}", 0),
                    "safetensors.header_json");
    }
    SECTION("header that is not an object") {
        require_bad(dir, "array.safetensors", safetensors_bytes("[1,2]   ", 0),
                    "safetensors.header_json", {"array", "a JSON object"});
    }
    SECTION("unknown dtype") {
        require_bad(dir, "dtype.safetensors",
                    safetensors_bytes(
                        ok(R"("layer.w":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]})"), 1),
                    "safetensors.dtype", {"'layer.w'", "\"Q4\"", "BF16"});
    }
    SECTION("size that does not match shape x dtype") {
        require_bad(dir, "size.safetensors",
                    safetensors_bytes(
                        ok(R"("w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,10]})"), 10),
                    "safetensors.size", {"'w'", "needs 12 bytes", "hold 10"});
    }
    SECTION("shape whose size overflows") {
        require_bad(
            dir, "overflow.safetensors",
            safetensors_bytes(
                ok(R"("w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]})"),
                0),
            "safetensors.size", {"'w'", "2^63"});
    }
    SECTION("overlapping tensors") {
        require_bad(
            dir, "overlap.safetensors",
            safetensors_bytes(ok(R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                 R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]})"),
                              12),
            "safetensors.overlap", {"tensor 'b'", "'a'"});
    }
    SECTION("a tensor inside another one") {
        require_bad(dir, "inside.safetensors",
                    safetensors_bytes(ok(R"("a":{"dtype":"U8","shape":[16],"data_offsets":[0,16]},)"
                                         R"("b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]})"),
                                      16),
                    "safetensors.overlap", {"tensor 'b'", "'a'"});
    }
    SECTION("offsets past the end of the data") {
        require_bad(
            dir, "past.safetensors",
            safetensors_bytes(ok(R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})"), 4),
            "safetensors.offsets", {"'w'", "4 bytes"});
    }
    SECTION("offsets in the wrong order") {
        require_bad(
            dir, "order.safetensors",
            safetensors_bytes(ok(R"("w":{"dtype":"U8","shape":[0],"data_offsets":[4,0]})"), 4),
            "safetensors.offsets", {"'w'"});
    }
    SECTION("malformed offsets") {
        require_bad(
            dir, "offs.safetensors",
            safetensors_bytes(ok(R"("w":{"dtype":"U8","shape":[1],"data_offsets":[0]})"), 4),
            "safetensors.offsets", {"'w'"});
        require_bad(
            dir, "offs2.safetensors",
            safetensors_bytes(ok(R"("w":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]})"), 4),
            "safetensors.offsets", {"'w'"});
    }
    SECTION("negative dimension") {
        require_bad(
            dir, "neg.safetensors",
            safetensors_bytes(ok(R"("w":{"dtype":"F32","shape":[2,-3],"data_offsets":[0,0]})"), 0),
            "safetensors.shape", {"'w'", "-3", "index 1"});
    }
    SECTION("non-integer dimension") {
        require_bad(
            dir, "float.safetensors",
            safetensors_bytes(ok(R"("w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,0]})"), 0),
            "safetensors.shape", {"'w'"});
        require_bad(
            dir, "str.safetensors",
            safetensors_bytes(ok(R"("w":{"dtype":"F32","shape":"2","data_offsets":[0,0]})"), 0),
            "safetensors.shape", {"'w'"});
    }
    SECTION("missing field") {
        require_bad(dir, "field.safetensors",
                    safetensors_bytes(ok(R"("w":{"dtype":"F32","data_offsets":[0,0]})"), 0),
                    "safetensors.entry", {"'w'", "shape"});
    }
    SECTION("entry that is not an object") {
        require_bad(dir, "entry.safetensors", safetensors_bytes(ok(R"("w":[1,2])"), 0),
                    "safetensors.entry", {"'w'"});
    }
    SECTION("metadata that is not an object") {
        require_bad(dir, "meta.safetensors", safetensors_bytes(ok(R"("__metadata__":"pt")"), 0),
                    "safetensors.metadata", {"__metadata__", "string"});
    }
    SECTION("metadata with a non-string value") {
        require_bad(dir, "meta2.safetensors",
                    safetensors_bytes(ok(R"("__metadata__":{"format":"pt","step":3})"), 0),
                    "safetensors.metadata", {"'step'"});
    }
    SECTION("a name given twice") {
        require_bad(dir, "dup.safetensors",
                    safetensors_bytes(ok(R"("w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                                         R"("w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]})"),
                                      2),
                    "safetensors.duplicate", {"tensor 'w'"});
    }
}

TEST_CASE("safetensors_file reports a missing file") {
    scratch_dir dir;
    require_error([&] { (void)safetensors_file::open(dir / "none.safetensors"); }, "io.open",
                  {(dir / "none.safetensors").string()});
    require_error([&] { (void)safetensors_file::open(dir.path()); }, "io.open",
                  {"not a regular file"});
}

TEST_CASE("safetensors_file reads stories260K (f32, tied embeddings)") {
    auto const file = safetensors_file::open(models + "/stories260K/model.safetensors");
    auto const names = file.names();
    REQUIRE(names.size() == 47); // embed + norm + 5 layers x 9
    CHECK(file.metadata().at("format") == "pt");
    CHECK_FALSE(file.contains("lm_head.weight"));
    std::uint64_t total = 0;
    for (auto const& n : names) {
        auto const t = file.tensor(n);
        CHECK(t.type == dtype::float32);
        CHECK(t.bytes.size() == static_cast<std::size_t>(t.numel()) * 4);
        CHECK(reinterpret_cast<std::uintptr_t>(t.bytes.data()) % 4 == 0);
        total += t.bytes.size();
    }
    CHECK(total == file.data_size());
    CHECK(total == 1040128);
    auto const emb = file.tensor("model.embed_tokens.weight");
    CHECK(emb.shape == std::vector<std::int64_t>{512, 64});
    CHECK(file.tensor("model.layers.4.mlp.down_proj.weight").shape ==
          std::vector<std::int64_t>{64, 172});
    // Norm weights of a trained model are finite and not all zero.
    auto const norm = file.tensor("model.norm.weight");
    std::vector<float> v(64);
    std::memcpy(v.data(), norm.bytes.data(), 256);
    bool nonzero = false;
    for (float x : v) {
        CHECK(std::isfinite(x));
        nonzero = nonzero || x != 0.0f;
    }
    CHECK(nonzero);
}

TEST_CASE("safetensors_file reads the tiny Llama (bf16)") {
    auto const file = safetensors_file::open(tiny_llama + "/model.safetensors");
    CHECK(file.size() == 57);
    CHECK(file.contains("lm_head.weight"));
    for (auto const& n : file.names()) CHECK(file.tensor(n).type == dtype::bfloat16);
    auto const q = file.tensor("model.layers.0.self_attn.q_proj.weight");
    CHECK(q.shape == std::vector<std::int64_t>{256, 256});
    CHECK(file.data_size() == 12065280);
}
