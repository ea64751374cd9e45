// decompress: the golden compressed-tensors checkpoints back to the reference's dense weights
// (sha256 of every decompressed weight in golden_meta.json), other dtypes, sharding, and inputs
// that must be refused without writing anything.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "nuq/detail/sha256.hpp"
#include "nuq/format/scale_codec.hpp"
#include "nuq/io/safetensors_reader.hpp"
#include "nuq/pipeline/decompress.hpp"
#include "pipeline/pipeline_test_util.hpp"

namespace fs = std::filesystem;
using nuq_test::golden_checkpoint;
using nuq_test::require_error;
using nuq_test::scratch_dir;

namespace {

nlohmann::json golden_meta(std::string const& name) {
    return nlohmann::json::parse(std::ifstream(golden_checkpoint(name) / "golden_meta.json"));
}

std::string sha_of(nuq::io::tensor_view const& t) { return nuq::detail::sha256_hex(t.bytes); }

/// sha256 of every file directly inside `dir`, by name.
std::map<std::string, std::string> file_hashes(fs::path const& dir) {
    std::map<std::string, std::string> out;
    for (auto const& e : fs::directory_iterator(dir)) {
        auto const bytes = nuq_test::read_bytes(e.path());
        out[e.path().filename().string()] =
            nuq::detail::sha256_hex(std::as_bytes(std::span(bytes.data(), bytes.size())));
    }
    return out;
}

/// Checks `out` (decompressed from golden checkpoint `name`) against golden_meta.json: every
/// decompressed weight's sha256, and every other tensor copied from the input unchanged.
/// Returns how many weights matched their sha256.
int check_against_golden(std::string const& name, fs::path const& out) {
    auto const meta = golden_meta(name);
    auto const& want = meta.at("decompressed_weight_sha256");
    nuq::io::checkpoint const in(golden_checkpoint(name)), dense(out);
    int matched = 0;
    for (auto const& [tensor, sha] : want.items()) {
        INFO(name << ": " << tensor);
        REQUIRE(dense.has(tensor));
        CHECK(sha_of(dense.tensor(tensor)) == sha.get<std::string>());
        matched += sha_of(dense.tensor(tensor)) == sha.get<std::string>();
    }
    for (auto const& n : dense.names()) {
        if (want.contains(n)) continue;
        INFO(name << ": " << n << " is not in golden_meta.json, so it must be copied");
        REQUIRE(in.has(n));
        CHECK(sha_of(dense.tensor(n)) == sha_of(in.tensor(n)));
    }
    // nothing compressed or runtime-only survives
    for (auto const& n : dense.names())
        for (std::string_view bad : {"weight_packed", "weight_scale", "weight_shape",
                                     "weight_zero_point", "weight_global_scale", "input_scale"})
            CHECK(!std::string_view(n).ends_with(bad));
    return matched;
}

/// A one-case checkpoint from a golden formats/ case: its modules' stored tensors (with the
/// `legacy017.` pre-0.18 packing instead when `legacy`) and its quantization_config.
void write_case_checkpoint(nlohmann::json const& c, fs::path const& golden, fs::path const& dir,
                           bool legacy, std::optional<std::string> version) {
    nuq::io::safetensors_file const g(golden);
    nuq::io::checkpoint_writer w(dir);
    std::vector<std::pair<std::string, std::string>> tensors; // {output name, golden name}
    for (auto const& [m, dims] : c["modules"].items())
        for (auto const& n : g.names()) {
            if (n.rfind(m + ".", 0) != 0) continue;
            auto const legacy_name = "legacy017." + n;
            tensors.emplace_back(n, legacy && g.contains(legacy_name) ? legacy_name : n);
        }
    for (auto const& [n, from] : tensors) {
        auto const t = g.tensor(from);
        w.add(n, t.type, t.shape);
    }
    nlohmann::json config = {{"architectures", {"TestForCausalLM"}},
                             {"quantization_config", c["quantization_config"]}};
    if (version) config["quantization_config"]["version"] = *version;
    else config["quantization_config"].erase("version");
    w.set_config(config);
    w.begin();
    for (auto const& [n, from] : tensors) w.write(n, g.tensor(from).bytes);
    w.commit();
}

} // namespace

TEST_CASE("sha256 of known messages", "[decompress]") {
    auto const hex = [](std::string const& s) {
        return nuq::detail::sha256_hex(std::as_bytes(std::span(s.data(), s.size())));
    };
    CHECK(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(hex(std::string(1000, 'a')).substr(0, 16) == "41edece42d63e8d9");
}

TEST_CASE("decompress reproduces the reference's dense weights of every golden checkpoint",
          "[decompress][golden]") {
    // quantized modules per checkpoint: 6 layers x 7 Linear modules, lm_head ignored
    int total = 0;
    for (std::string const name : nuq_test::golden_checkpoint_names) {
        INFO(name);
        scratch_dir tmp;
        auto const before = file_hashes(golden_checkpoint(name));
        std::ostringstream log;
        nuq::pipeline::decompress_options o;
        o.model = golden_checkpoint(name);
        o.output = tmp / "dense";
        o.log = &log;
        auto const r = nuq::pipeline::decompress(o);
        CHECK(r.decompressed == 42);
        CHECK(r.shards == 1);
        CHECK(r.copied == 15); // embeddings, lm_head, 13 norms
        CHECK(log.str().find("[42/42] model.layers.5.mlp.down_proj: ") != std::string::npos);

        int const matched = check_against_golden(name, o.output);
        CHECK(matched == 56);
        total += matched;

        nuq::io::checkpoint const dense(o.output);
        CHECK(dense.size() == 57);
        CHECK(!dense.config().contains("quantization_config"));
        auto expected_config = nuq::io::checkpoint(golden_checkpoint(name)).config();
        expected_config.erase("quantization_config");
        CHECK(dense.config() == expected_config);
        CHECK(dense.other_files() == nuq::io::checkpoint(golden_checkpoint(name)).other_files());
        CHECK(file_hashes(golden_checkpoint(name)) == before); // the input is untouched
        CHECK(nuq_test::read_bytes(o.output / "generation_config.json") ==
              nuq_test::read_bytes(golden_checkpoint(name) / "generation_config.json"));
    }
    WARN("decompressed weights matching golden_meta.json sha256: " << total);
    CHECK(total == 4 * 56);
}

TEST_CASE("decompress --dtype rounds the exact values to nearest even", "[decompress]") {
    scratch_dir tmp;
    nuq::pipeline::decompress_options o;
    o.model = golden_checkpoint("nvfp4a16_fp8");
    o.output = tmp / "ref";
    nuq::pipeline::decompress(o);
    nuq::io::checkpoint const ref(o.output);

    for (auto type : {nuq::dtype::float32, nuq::dtype::float16, nuq::dtype::bfloat16}) {
        INFO(nuq::torch_name(type));
        o.output = tmp / std::string(nuq::torch_name(type));
        o.output_type = type;
        auto const r = nuq::pipeline::decompress(o);
        CHECK(r.decompressed == 42);
        nuq::io::checkpoint const out(o.output);
        int checked = 0;
        for (auto const& n : ref.names()) {
            auto const a = ref.tensor(n), b = out.tensor(n);
            if (n.find("_proj.") == std::string::npos) { // copied as it was
                CHECK(sha_of(a) == sha_of(b));
                continue;
            }
            REQUIRE(b.type == type);
            CHECK(b.shape == a.shape);
            // bf16 reference values (exact) rounded to `type` once
            auto const exact = nuq::format::decode_floats({a.type, a.shape, a.bytes}, n);
            auto const want = nuq::format::encode_floats("w", type, a.shape, exact);
            CHECK(nuq::detail::sha256_hex(want.data) == sha_of(b));
            ++checked;
        }
        CHECK(checked == 42);
    }
}

TEST_CASE("decompress writes shards: the input's shard size, or max_shard_size", "[decompress]") {
    scratch_dir tmp;
    // a sharded compressed input, resharded from the golden file at 1 MB
    nuq_test::rewrite_checkpoint(golden_checkpoint("int4_int8"), tmp / "sharded", {}, {},
                                 1'000'000);
    nuq::io::checkpoint const in(tmp / "sharded");
    REQUIRE(in.sharded());
    REQUIRE(in.shard_files().size() > 2);

    nuq::pipeline::decompress_options o;
    o.model = tmp / "sharded";
    o.output = tmp / "dense";
    auto const r = nuq::pipeline::decompress(o);
    CHECK(check_against_golden("int4_int8", o.output) == 56);
    nuq::io::checkpoint const out(o.output);
    CHECK(out.sharded());
    CHECK(r.shards == out.shard_files().size());
    // the dense weights are larger, so at the input's shard size there are more shards
    CHECK(r.shards > in.shard_files().size());
    CHECK(fs::exists(o.output / "model.safetensors.index.json"));

    o.output = tmp / "one";
    o.max_shard_size = 100'000'000;
    CHECK(nuq::pipeline::decompress(o).shards == 1);
    CHECK(fs::exists(o.output / "model.safetensors"));
    CHECK(check_against_golden("int4_int8", o.output) == 56);
}

TEST_CASE("decompress refuses bad input and writes nothing", "[decompress][errors]") {
    scratch_dir tmp;
    auto const in = golden_checkpoint("int4_int8");
    nuq::pipeline::decompress_options o;
    o.output = tmp / "out";
    auto const run = [&] { nuq::pipeline::decompress(o); };
    auto const nothing_written = [&] {
        CHECK(!fs::exists(o.output));
        for (auto const& e : tmp.entries()) CHECK(e.find("nuq-tmp") == std::string::npos);
    };

    SECTION("a missing weight_scale") {
        nuq_test::rewrite_checkpoint(in, tmp / "broken", [](std::string const& n) {
            return n != "model.layers.3.mlp.up_proj.weight_scale";
        });
        o.model = tmp / "broken";
        require_error(run, "format.missing_tensor", {"model.layers.3.mlp.up_proj.weight_scale"});
        nothing_written();
    }
    SECTION("a missing weight_packed") {
        nuq_test::rewrite_checkpoint(in, tmp / "broken", [](std::string const& n) {
            return n != "model.layers.0.self_attn.k_proj.weight_packed";
        });
        o.model = tmp / "broken";
        require_error(run, "format.missing_tensor",
                      {"model.layers.0.self_attn.k_proj.weight_packed"});
        nothing_written();
    }
    SECTION("a missing weight, with `Linear` targets") {
        nuq_test::rewrite_checkpoint(golden_checkpoint("w8a8_int8"), tmp / "broken",
                                     [](std::string const& n) {
                                         return n != "model.layers.2.mlp.gate_proj.weight";
                                     });
        o.model = tmp / "broken";
        require_error(run, "format.missing_tensor", {"model.layers.2.mlp.gate_proj.weight"});
        nothing_written();
    }
    SECTION("an unknown format") {
        nuq_test::rewrite_checkpoint(in, tmp / "broken", {}, [](nlohmann::json& c) {
            c["quantization_config"]["config_groups"]["group_1"]["format"] = "pack-quantized-v2";
        });
        o.model = tmp / "broken";
        require_error(run, "format.unknown", {"pack-quantized-v2", "group_1.format"});
        nothing_written();
    }
    SECTION("a legacy sparse format") {
        nuq_test::rewrite_checkpoint(in, tmp / "broken", {}, [](nlohmann::json& c) {
            c["quantization_config"]["config_groups"]["group_0"]["format"] = "marlin-24";
        });
        o.model = tmp / "broken";
        require_error(run, "layout.format", {"marlin-24", "model.layers.0.self_attn.q_proj"});
        nothing_written();
    }
    SECTION("compressed tensors that the config ignores") {
        nuq_test::rewrite_checkpoint(in, tmp / "broken", {}, [](nlohmann::json& c) {
            c["quantization_config"]["ignore"].push_back("model.layers.2.mlp.down_proj");
        });
        o.model = tmp / "broken";
        require_error(run, "layout.unmatched", {"model.layers.2.mlp.down_proj", "ignore"});
        nothing_written();
    }
    SECTION("a status other than compressed") {
        nuq_test::rewrite_checkpoint(in, tmp / "frozen", {}, [](nlohmann::json& c) {
            c["quantization_config"]["quantization_status"] = "frozen";
        });
        o.model = tmp / "frozen";
        require_error(run, "decompress.status", {"frozen"});
        nothing_written();
    }
    SECTION("an unquantized model") {
        o.model = fs::path(NUQ_TEST_DATA) / "models" / "stories260K";
        require_error(run, "decompress.not_quantized", {"quantization_config"});
        nothing_written();
    }
    SECTION("an existing output without overwrite; then with it") {
        auto const before = file_hashes(in);
        fs::create_directories(o.output);
        nuq_test::write_bytes(o.output / "keep.txt", "mine");
        o.model = in;
        require_error(run, "checkpoint_writer.exists", {o.output.string()});
        CHECK(tmp.entries() == std::vector<std::string>{"out"});
        CHECK(nuq_test::read_bytes(o.output / "keep.txt") == "mine");
        CHECK(std::distance(fs::directory_iterator(o.output), fs::directory_iterator()) == 1);
        CHECK(file_hashes(in) == before);

        o.overwrite = true;
        nuq::pipeline::decompress(o);
        CHECK(!fs::exists(o.output / "keep.txt"));
        CHECK(check_against_golden("int4_int8", o.output) == 56);
        CHECK(file_hashes(in) == before);
    }
    SECTION("the input as output, even with overwrite") {
        nuq_test::rewrite_checkpoint(in, tmp / "copy");
        auto const before = file_hashes(tmp / "copy");
        o.model = tmp / "copy";
        o.output = tmp / "copy";
        o.overwrite = true;
        require_error(run, "decompress.output", {"input"});
        CHECK(file_hashes(tmp / "copy") == before);
    }
    SECTION("an unsupported --dtype") {
        require_error([] { nuq::pipeline::parse_decompress_dtype("float8_e4m3fn"); },
                      "decompress.dtype", {"float8_e4m3fn"});
        CHECK(nuq::pipeline::parse_decompress_dtype("torch.float16") == nuq::dtype::float16);
    }
}

TEST_CASE("decompress every golden format case, in both pack layouts", "[decompress][golden]") {
    auto const dir = fs::path(NUQ_TEST_DATA) / "formats";
    auto const index = nlohmann::json::parse(std::ifstream(dir / "index.json"));
    int weights = 0, legacy = 0, cases = 0;
    for (auto const& [name, entry] : index["cases"].items()) {
        (void)entry;
        auto const c = nlohmann::json::parse(std::ifstream(dir / (name + ".json")));
        if (c["platform_defined"].get<bool>()) continue; // NaN/Inf codes differ by platform
        INFO(name);
        auto const golden = dir / (name + ".safetensors");
        nuq::io::safetensors_file const g(golden);
        bool const has_legacy = g.contains("legacy017.layer.weight_packed");
        // (legacy packing, version): as written; pre-0.18 layout by version; by row length
        std::vector<std::pair<bool, std::optional<std::string>>> variants{{false, "0.18.0"}};
        if (has_legacy) {
            variants.push_back({true, "0.17.1"});
            variants.push_back({true, std::nullopt});
            variants.push_back({false, std::nullopt});
        }
        for (auto const& [use_legacy, version] : variants) {
            INFO("legacy packing " << use_legacy << ", version " << version.value_or("none"));
            scratch_dir tmp;
            write_case_checkpoint(c, golden, tmp / "in", use_legacy, version);
            nuq::pipeline::decompress_options o;
            o.model = tmp / "in";
            o.output = tmp / "out";
            auto const r = nuq::pipeline::decompress(o);
            CHECK(r.decompressed == static_cast<int>(c["modules"].size()));
            nuq::io::checkpoint const out(o.output);
            for (auto const& [m, dims] : c["modules"].items()) {
                INFO(m);
                auto const mine = out.tensor(m + ".weight");
                CHECK(mine.shape == dims.get<std::vector<std::int64_t>>());
                // the reference's output; where it raised or is wrong (ragged blocks), the
                // fake-quantized weight, equal up to the sign of zero
                bool const reference_right = name != "fp8_block128_ragged2_f32";
                if (reference_right && g.contains("decompressed." + m + ".weight")) {
                    CHECK(sha_of(mine) == sha_of(g.tensor("decompressed." + m + ".weight")));
                } else {
                    auto const fq = g.tensor("fake_quant." + m + ".weight");
                    auto const want = nuq::format::decode_floats({fq.type, fq.shape, fq.bytes}, m);
                    auto const got =
                        nuq::format::decode_floats({mine.type, mine.shape, mine.bytes}, m);
                    REQUIRE(want.size() == got.size());
                    std::size_t same = 0;
                    for (std::size_t i = 0; i < want.size(); ++i) same += want[i] == got[i];
                    CHECK(same == want.size());
                }
                ++weights;
                legacy += use_legacy;
            }
        }
        ++cases;
    }
    WARN("format cases decompressed: " << cases << ", weights checked: " << weights
                                       << " (of them from pre-0.18 packing: " << legacy << ")");
    CHECK(cases >= 40);
    CHECK(legacy == 12); // 6 odd-bit cases, with and without a version
}
