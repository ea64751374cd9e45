#pragma once
// weights: a Llama-family checkpoint's parameters as fp32 arrays, one decoder layer at a time,
// so that a model larger than memory in fp32 runs layer by layer. Compressed modules are
// dequantized on load by decompress's per-module path, into the dtype the reference
// decompresses to (bf16 for bf16 models) and then widened, as the golden perplexities were
// computed; dense weights (bf16, f16, f32) are widened exactly.
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "nuq/error.hpp"
#include "nuq/format/scale_codec.hpp"
#include "nuq/io/checkpoint.hpp"
#include "nuq/model/config.hpp"
#include "nuq/reader/checkpoint_layout.hpp"
#include "nuq/reader/dequantize_module.hpp"

namespace nuq::model {

/// y = x·Wᵀ (+ b); `bias` is empty when the module has none.
struct linear {
    xt::xtensor<float, 2> weight; ///< [out, in]
    xt::xtensor<float, 1> bias;
};

struct layer_weights {
    xt::xtensor<float, 1> input_norm, post_attention_norm;
    xt::xtensor<float, 1> q_norm, k_norm; ///< Qwen3 only, else empty
    linear q, k, v, o, gate, up, down;
};

class weights {
public:
    /// Reads the config and the quantization layout; `ck` must outlive this object.
    explicit weights(io::checkpoint const& ck)
        : ck_(ck), config_(parse_config(ck.config())), layout_(reader::read_layout(ck)) {
        for (std::size_t i = 0; i < layout_.modules.size(); ++i)
            module_.emplace(layout_.modules[i].name, i);
    }

    [[nodiscard]] config const& cfg() const noexcept { return config_; }
    [[nodiscard]] io::checkpoint const& checkpoint() const noexcept { return ck_; }

    /// Decoder layer `i`, dequantized.
    [[nodiscard]] layer_weights layer(std::int64_t i) const {
        auto const& c = config_;
        auto const p = "model.layers." + std::to_string(i) + ".";
        auto const hd = c.head_dim;
        layer_weights w;
        w.input_norm = vector(p + "input_layernorm.weight", c.hidden_size);
        w.post_attention_norm = vector(p + "post_attention_layernorm.weight", c.hidden_size);
        if (c.qk_norm) {
            w.q_norm = vector(p + "self_attn.q_norm.weight", hd);
            w.k_norm = vector(p + "self_attn.k_norm.weight", hd);
        }
        w.q = module(p + "self_attn.q_proj", c.num_attention_heads * hd, c.hidden_size);
        w.k = module(p + "self_attn.k_proj", c.num_key_value_heads * hd, c.hidden_size);
        w.v = module(p + "self_attn.v_proj", c.num_key_value_heads * hd, c.hidden_size);
        w.o = module(p + "self_attn.o_proj", c.hidden_size, c.num_attention_heads * hd);
        w.gate = module(p + "mlp.gate_proj", c.intermediate_size, c.hidden_size);
        w.up = module(p + "mlp.up_proj", c.intermediate_size, c.hidden_size);
        w.down = module(p + "mlp.down_proj", c.hidden_size, c.intermediate_size);
        return w;
    }

    [[nodiscard]] xt::xtensor<float, 2> embed_tokens() const {
        return matrix("model.embed_tokens", config_.vocab_size, config_.hidden_size);
    }
    [[nodiscard]] xt::xtensor<float, 1> final_norm() const {
        return vector("model.norm.weight", config_.hidden_size);
    }
    /// The output projection: the embeddings when tied (or when lm_head is not stored).
    [[nodiscard]] xt::xtensor<float, 2> lm_head() const {
        bool const own = !config_.tie_word_embeddings &&
                         (ck_.has("lm_head.weight") || module_.contains("lm_head"));
        return own ? matrix("lm_head", config_.vocab_size, config_.hidden_size) : embed_tokens();
    }

    /// The weight of `name` as [rows, cols] fp32, dequantized if stored compressed.
    [[nodiscard]] xt::xtensor<float, 2> matrix(std::string const& name, std::int64_t rows,
                                               std::int64_t cols) const {
        std::vector<float> values;
        auto const it = module_.find(name);
        if (it != module_.end() &&
            layout_.modules[it->second].format != compression_format::dense) {
            auto const& m = layout_.modules[it->second];
            check_shape(name + ".weight", m.shape, {rows, cols});
            auto const dense = reader::dequantize_module(
                ck_, m, reader::reference_output_type(ck_, name));
            values = format::decode_floats(dense, name + ".weight");
        } else {
            values = dense(name + ".weight", {rows, cols});
        }
        xt::xtensor<float, 2> out = xt::empty<float>({static_cast<std::size_t>(rows),
                                                      static_cast<std::size_t>(cols)});
        std::copy(values.begin(), values.end(), out.begin());
        return out;
    }

private:
    [[nodiscard]] linear module(std::string const& name, std::int64_t rows,
                                std::int64_t cols) const {
        linear l{matrix(name, rows, cols), {}};
        if (ck_.has(name + ".bias")) l.bias = vector(name + ".bias", rows);
        return l;
    }

    [[nodiscard]] xt::xtensor<float, 1> vector(std::string const& name, std::int64_t n) const {
        auto const values = dense(name, {n});
        xt::xtensor<float, 1> out = xt::empty<float>({static_cast<std::size_t>(n)});
        std::copy(values.begin(), values.end(), out.begin());
        return out;
    }

    [[nodiscard]] std::vector<float> dense(std::string const& name,
                                           std::vector<std::int64_t> const& shape) const {
        if (!ck_.has(name))
            throw error("model.weights", ck_.directory().string() + ", tensor '" + name + "'",
                        "is missing", "a Llama-family checkpoint's tensor",
                        "check that config.json's model_type matches the weights");
        auto const v = ck_.tensor(name);
        check_shape(name, v.shape, shape);
        return format::decode_floats(reader::ref_of(v), name);
    }

    void check_shape(std::string const& name, std::vector<std::int64_t> const& found,
                     std::vector<std::int64_t> const& expected) const {
        if (found == expected) return;
        auto const str = [](std::vector<std::int64_t> const& s) {
            std::string o = "[";
            for (std::size_t i = 0; i < s.size(); ++i) o += (i ? ", " : "") + std::to_string(s[i]);
            return o + "]";
        };
        throw error("model.weights", ck_.directory().string() + ", tensor '" + name + "'",
                    "has shape " + str(found), str(expected) + " from config.json",
                    "config.json and the weights disagree; copy them again from the model");
    }

    io::checkpoint const& ck_;
    config config_;
    reader::checkpoint_layout layout_;
    std::map<std::string, std::size_t, std::less<>> module_; ///< name → layout_.modules index
};

} // namespace nuq::model
