#pragma once
// decoder: the Llama-family forward as transformers computes it (eager attention), in fp32:
// RMSNorm, rotary embeddings (rotate_half convention), grouped-query attention with a causal
// mask, SiLU-gated MLP, final norm, lm_head or tied embeddings. Hidden states are
// [batch, seq, hidden] row-major; every sequence starts at position 0 and has no padding.
// With `config::activations` bf16/f16 it rounds every op's result to that dtype, as torch does
// for a model loaded in it (attention as torch's CPU sdpa kernel computes it), still computing
// each op in fp32: the forward llm-compressor calibrates with.
//
// Matrix products go through xtensor-blas's cxxblas over OpenBLAS and read the head slices of
// q/k/v in place through leading dimensions. Several sequences are spread over the cores (BLAS
// single-threaded); a single sequence uses OpenBLAS's threads.
// Whole-model runs are layer-major (all sequences through layer 0, then layer 1, ...) so that
// only one layer's weights are resident, as the sequential calibration pipeline needs.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numbers>
#include <string>
#include <vector>

#include <xtensor-blas/xblas.hpp>
#include <xtensor/xtensor.hpp>

#include "nuq/detail/parallel.hpp"
#include "nuq/numeric/bfloat16.hpp"
#include "nuq/numeric/float16.hpp"
#include "nuq/error.hpp"
#include "nuq/model/config.hpp"
#include "nuq/model/weights.hpp"

extern "C" { // OpenBLAS's own (cblas.h of libopenblas), which nuq links
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
}

namespace nuq::model {

/// The Linear inputs of a decoder layer, by the modules that share one input.
enum class linear_input {
    qkv,     ///< q_proj, k_proj, v_proj: input_layernorm's output
    o,       ///< o_proj: the attention heads' output
    gate_up, ///< gate_proj, up_proj: post_attention_layernorm's output
    down,    ///< down_proj: silu(gate)·up
};

/// Sees the input rows [batch·seq, cols] of one Linear group, `batch` whole sequences of `seq`
/// positions: how calibration observes activations without storing them.
using input_tap = std::function<void(linear_input, float const* x, std::int64_t batch,
                                     std::int64_t seq, std::int64_t cols)>;

namespace detail {

/// OpenBLAS single-threaded for the guard's lifetime: while the cores each run their own
/// sequences, BLAS threads on top of them only spin (measured 2.5× slower on tiny-llama-sotu).
/// The count is process-wide: nuq makes no other BLAS calls meanwhile.
class blas_single_thread {
public:
    blas_single_thread() : saved_(openblas_get_num_threads()) { openblas_set_num_threads(1); }
    ~blas_single_thread() { openblas_set_num_threads(saved_); }
    blas_single_thread(blas_single_thread const&) = delete;
    blas_single_thread& operator=(blas_single_thread const&) = delete;

private:
    int saved_;
};

/// Runs fn(first, count) over [0, n) in parts of at most `part`: on all cores with
/// single-threaded BLAS when there are several parts, else once with BLAS's own threads.
template <class Fn> void over_parts(std::int64_t n, std::int64_t part, Fn&& fn) {
    if (n <= 0) return;
    auto const workers = std::min<std::int64_t>(nuq::detail::default_threads(), n);
    part = std::min(part, (n + workers - 1) / workers);
    auto const parts = (n + part - 1) / part;
    if (parts <= 1) return fn(std::int64_t{0}, n);
    blas_single_thread const guard;
    nuq::detail::parallel_for(parts, static_cast<int>(workers), [&](std::int64_t i) {
        fn(i * part, std::min(part, n - i * part));
    });
}

/// Rounds x to the activation dtype, as a torch op in that dtype rounds its fp32 result.
inline float rounded(act_dtype t, float x) {
    if (t == act_dtype::bf16) return float(bfloat16_t(x));
    if (t == act_dtype::f16) return float(float16_t(x));
    return x;
}

inline void round_all(act_dtype t, float* x, std::int64_t n) {
    if (t == act_dtype::f32) return;
    for (std::int64_t i = 0; i < n; ++i) x[i] = rounded(t, x[i]);
}

/// C[m,n] = A[m,k]·op(B) + beta·C, row-major with leading dimensions; op(B) = Bᵀ (B [n,k])
/// when `b_transposed`, else B [k,n].
inline void gemm(bool b_transposed, std::int64_t m, std::int64_t n, std::int64_t k,
                 float const* a, std::int64_t lda, float const* b, std::int64_t ldb, float* c,
                 std::int64_t ldc, float beta = 0.0f) {
    using idx = xt::blas_index_t;
    cxxblas::gemm<idx>(cxxblas::StorageOrder::RowMajor, cxxblas::Transpose::NoTrans,
                       b_transposed ? cxxblas::Transpose::Trans : cxxblas::Transpose::NoTrans,
                       static_cast<idx>(m), static_cast<idx>(n), static_cast<idx>(k), 1.0f, a,
                       static_cast<idx>(lda), b, static_cast<idx>(ldb), beta, c,
                       static_cast<idx>(ldc));
}

/// y[rows, out] = x[rows, in]·Wᵀ + b rounded to `t`.
inline void apply(linear const& l, float const* x, std::int64_t rows, float* y,
                  act_dtype t = act_dtype::f32) {
    auto const out = static_cast<std::int64_t>(l.weight.shape(0));
    auto const in = static_cast<std::int64_t>(l.weight.shape(1));
    gemm(true, rows, out, in, x, in, l.weight.data(), in, y, out);
    if (l.bias.size() != 0)
        for (std::int64_t r = 0; r < rows; ++r)
            for (std::int64_t j = 0; j < out; ++j) y[r * out + j] += l.bias(j);
    round_all(t, y, rows * out);
}

/// y = x·Wᵀ + b, or the residual y += x·Wᵀ + b when `accumulate` (in fp32 one GEMM; in a
/// narrower dtype the product is rounded before the sum, as two torch ops are).
inline void apply_block_output(linear const& l, float const* x, std::int64_t rows, float* y,
                               bool accumulate, act_dtype t) {
    auto const n = rows * static_cast<std::int64_t>(l.weight.shape(0));
    if (!accumulate) return apply(l, x, rows, y, t);
    if (t == act_dtype::f32 && l.bias.size() == 0) {
        auto const in = static_cast<std::int64_t>(l.weight.shape(1));
        auto const out = static_cast<std::int64_t>(l.weight.shape(0));
        return gemm(true, rows, out, in, x, in, l.weight.data(), in, y, out, 1.0f);
    }
    std::vector<float> product(static_cast<std::size_t>(n));
    apply(l, x, rows, product.data(), t);
    for (std::int64_t i = 0; i < n; ++i) y[i] = rounded(t, y[i] + product[i]);
}

/// transformers' LlamaRMSNorm: x / sqrt(mean(x²) + eps) · w over rows of `dim` (stride `ld`);
/// the normalised x is rounded to `t` before the product with w, as transformers casts it.
inline void rms_norm(float const* x, float* y, std::int64_t rows, std::int64_t dim,
                     std::int64_t ld, float const* w, double eps, act_dtype t = act_dtype::f32) {
    for (std::int64_t r = 0; r < rows; ++r) {
        float const* xr = x + r * ld;
        float* yr = y + r * ld;
        float sum = 0.0f;
        for (std::int64_t i = 0; i < dim; ++i) sum += xr[i] * xr[i];
        float const inv =
            1.0f / std::sqrt(sum / static_cast<float>(dim) + static_cast<float>(eps));
        for (std::int64_t i = 0; i < dim; ++i) yr[i] = rounded(t, w[i] * rounded(t, xr[i] * inv));
    }
}

} // namespace detail

/// cos and sin of the rotary angles, [seq, head_dim], positions 0..seq-1, in fp32 as
/// transformers computes them (angles duplicated over both halves), rounded to the activation
/// dtype.
struct rotary {
    xt::xtensor<float, 2> cos, sin;
};

inline rotary make_rotary(config const& c, std::int64_t seq) {
    auto const half = c.head_dim / 2;
    std::vector<float> inv(static_cast<std::size_t>(half));
    for (std::int64_t i = 0; i < half; ++i)
        inv[i] = 1.0f / std::pow(static_cast<float>(c.rope_theta),
                                 static_cast<float>(2 * i) / static_cast<float>(c.head_dim));
    auto const& r = c.rope;
    if (r.type == "linear") {
        for (auto& f : inv) f /= static_cast<float>(r.factor);
    } else if (r.type == "llama3") {
        // Long wavelengths are slowed by `factor`, short ones kept, the band between blended.
        auto const old_len = static_cast<float>(r.original_max_position_embeddings);
        auto const lo = static_cast<float>(r.low_freq_factor);
        auto const hi = static_cast<float>(r.high_freq_factor);
        auto const factor = static_cast<float>(r.factor);
        for (auto& f : inv) {
            float const wavelen = 2.0f * std::numbers::pi_v<float> / f;
            float const scaled = wavelen > old_len / lo ? f / factor : f;
            if (wavelen < old_len / hi || wavelen > old_len / lo) {
                f = scaled;
                continue;
            }
            float const smooth = (old_len / wavelen - lo) / (hi - lo);
            f = (1 - smooth) * scaled / factor + smooth * scaled;
        }
    }
    // The fp32 forward reproduces the reference's fp32 logits (tests/data/model), whose
    // inv_freq was rounded to the checkpoint's dtype; transformers 5 running a model in bf16
    // keeps inv_freq in fp32 (tests/data/model/tiny-llama-sotu.bf16.safetensors).
    if (c.activations == act_dtype::f32 && c.dtype == "bfloat16")
        for (auto& f : inv) f = float(bfloat16_t(f));
    else if (c.activations == act_dtype::f32 && c.dtype == "float16")
        for (auto& f : inv) f = float(float16_t(f));
    auto const n = static_cast<std::size_t>(seq), d = static_cast<std::size_t>(c.head_dim);
    rotary out{xt::empty<float>({n, d}), xt::empty<float>({n, d})};
    for (std::size_t p = 0; p < n; ++p)
        for (std::size_t i = 0; i < d; ++i) {
            float const angle = static_cast<float>(p) * inv[i % static_cast<std::size_t>(half)];
            out.cos(p, i) = detail::rounded(c.activations, std::cos(angle));
            out.sin(p, i) = detail::rounded(c.activations, std::sin(angle));
        }
    return out;
}

namespace detail {

/// In place on `heads` head vectors of each of `rows` rows (row r at position r % seq):
/// x·cos + rotate_half(x)·sin, rotate_half(x) = [-x₂, x₁], each op rounded to `t`.
inline void apply_rotary(float* x, std::int64_t rows, std::int64_t seq, std::int64_t heads,
                         std::int64_t head_dim, rotary const& rot, act_dtype t) {
    auto const half = head_dim / 2;
    for (std::int64_t r = 0; r < rows; ++r) {
        float const* cs = &rot.cos(static_cast<std::size_t>(r % seq), 0);
        float const* sn = &rot.sin(static_cast<std::size_t>(r % seq), 0);
        for (std::int64_t h = 0; h < heads; ++h) {
            float* v = x + (r * heads + h) * head_dim;
            for (std::int64_t i = 0; i < half; ++i) {
                float const x1 = v[i], x2 = v[i + half];
                v[i] = rounded(t, rounded(t, x1 * cs[i]) - rounded(t, x2 * sn[i]));
                v[i + half] =
                    rounded(t, rounded(t, x2 * cs[i + half]) + rounded(t, x1 * sn[i + half]));
            }
        }
    }
}

/// Self-attention of `batch` sequences of `seq` positions on their normed hidden states:
/// out = o_proj(attention(q, k, v)), or out += that when `accumulate` (the residual).
/// In bf16/f16 as torch's CPU sdpa kernel: scores and softmax in fp32, the unnormalised
/// probabilities rounded for P·V, the division by their fp32 sum last.
inline void attention(config const& c, layer_weights const& w, rotary const& rot,
                      float const* normed, std::int64_t batch, std::int64_t seq, float* out,
                      bool accumulate, input_tap const& tap) {
    auto const t = c.activations;
    auto const rows = batch * seq;
    auto const H = c.hidden_size, hd = c.head_dim, nh = c.num_attention_heads,
               nkv = c.num_key_value_heads;
    auto const q_dim = nh * hd, kv_dim = nkv * hd;
    auto const buffer = [](std::int64_t n) {
        return std::vector<float>(static_cast<std::size_t>(n));
    };
    if (tap) tap(linear_input::qkv, normed, batch, seq, H);
    auto q = buffer(rows * q_dim), k = buffer(rows * kv_dim), v = buffer(rows * kv_dim);
    apply(w.q, normed, rows, q.data(), t);
    apply(w.k, normed, rows, k.data(), t);
    apply(w.v, normed, rows, v.data(), t);
    if (c.qk_norm) {
        rms_norm(q.data(), q.data(), rows * nh, hd, hd, w.q_norm.data(), c.rms_norm_eps, t);
        rms_norm(k.data(), k.data(), rows * nkv, hd, hd, w.k_norm.data(), c.rms_norm_eps, t);
    }
    apply_rotary(q.data(), rows, seq, nh, hd, rot, t);
    apply_rotary(k.data(), rows, seq, nkv, hd, rot, t);

    auto attn = buffer(rows * q_dim);
    auto scores = buffer(seq * seq), sums = buffer(seq);
    float const scale = 1.0f / std::sqrt(static_cast<float>(hd));
    auto const group = nh / nkv;
    for (std::int64_t b = 0; b < batch; ++b)
        for (std::int64_t h = 0; h < nh; ++h) {
            auto const* qh = q.data() + b * seq * q_dim + h * hd;
            auto const kv_off = b * seq * kv_dim + (h / group) * hd;
            gemm(true, seq, seq, hd, qh, q_dim, k.data() + kv_off, kv_dim, scores.data(), seq);
            // causal softmax: position i attends to 0..i
            for (std::int64_t i = 0; i < seq; ++i) {
                float* s = scores.data() + i * seq;
                float top = -INFINITY;
                for (std::int64_t j = 0; j <= i; ++j) top = std::max(top, s[j] * scale);
                float sum = 0.0f;
                for (std::int64_t j = 0; j <= i; ++j) sum += s[j] = std::exp(s[j] * scale - top);
                if (t == act_dtype::f32)
                    for (std::int64_t j = 0; j <= i; ++j) s[j] /= sum;
                else
                    for (std::int64_t j = 0; j <= i; ++j) s[j] = rounded(t, s[j]);
                sums[i] = sum;
                std::fill(s + i + 1, s + seq, 0.0f);
            }
            auto* oh = attn.data() + b * seq * q_dim + h * hd;
            gemm(false, seq, hd, seq, scores.data(), seq, v.data() + kv_off, kv_dim, oh, q_dim);
            if (t != act_dtype::f32)
                for (std::int64_t i = 0; i < seq; ++i)
                    for (std::int64_t d = 0; d < hd; ++d)
                        oh[i * q_dim + d] = rounded(t, oh[i * q_dim + d] / sums[i]);
        }
    if (tap) tap(linear_input::o, attn.data(), batch, seq, q_dim);
    apply_block_output(w.o, attn.data(), rows, out, accumulate, t);
}

/// SiLU-gated MLP on normed hidden states: out = down(silu(gate(x)) · up(x)), or out += that.
inline void mlp(config const& c, layer_weights const& w, float const* normed, std::int64_t batch,
                std::int64_t seq, float* out, bool accumulate, input_tap const& tap) {
    auto const t = c.activations;
    auto const rows = batch * seq;
    auto const I = c.intermediate_size;
    if (tap) tap(linear_input::gate_up, normed, batch, seq, c.hidden_size);
    std::vector<float> gate(static_cast<std::size_t>(rows * I)), up(gate.size());
    apply(w.gate, normed, rows, gate.data(), t);
    apply(w.up, normed, rows, up.data(), t);
    for (std::int64_t j = 0; j < rows * I; ++j)
        gate[j] = rounded(t, rounded(t, gate[j] / (1.0f + std::exp(-gate[j]))) * up[j]);
    if (tap) tap(linear_input::down, gate.data(), batch, seq, I);
    apply_block_output(w.down, gate.data(), rows, out, accumulate, t);
}

/// One decoder layer on `batch` sequences of `seq` positions, hidden [batch·seq, hidden].
inline void decoder_layer_chunk(config const& c, layer_weights const& w, rotary const& rot,
                                float* hidden, std::int64_t batch, std::int64_t seq,
                                input_tap const& tap) {
    auto const rows = batch * seq;
    auto const H = c.hidden_size;
    std::vector<float> normed(static_cast<std::size_t>(rows * H));
    rms_norm(hidden, normed.data(), rows, H, H, w.input_norm.data(), c.rms_norm_eps,
             c.activations);
    attention(c, w, rot, normed.data(), batch, seq, hidden, true, tap);
    rms_norm(hidden, normed.data(), rows, H, H, w.post_attention_norm.data(), c.rms_norm_eps,
             c.activations);
    mlp(c, w, normed.data(), batch, seq, hidden, true, tap);
}

/// Sequences per chunk so that a chunk holds about `tokens` positions (bounds the buffers).
inline std::int64_t chunk_sequences(std::int64_t seq, std::int64_t tokens = 4096) {
    return std::max<std::int64_t>(1, tokens / std::max<std::int64_t>(seq, 1));
}

} // namespace detail

namespace detail {
inline void check_hidden(config const& c, rotary const& rot, std::int64_t width, std::int64_t seq,
                         char const* where) {
    if (width != c.hidden_size || static_cast<std::int64_t>(rot.cos.shape(0)) < seq)
        throw error("model.forward", where,
                    "hidden states of width " + std::to_string(width) + " over " +
                        std::to_string(seq) + " positions",
                    "width " + std::to_string(c.hidden_size) + ", rotary tables that long",
                    "pass the config and rotary tables of the same model");
}

/// fn(first, count) over the sequences: in fixed chunks, in order, when `ordered` (so a tap
/// sees every input in the same order whatever the thread count; BLAS brings the threads),
/// else spread over the cores.
template <class Fn>
void over_sequences(std::int64_t batch, std::int64_t seq, bool ordered, Fn&& fn) {
    auto const part = chunk_sequences(seq);
    if (!ordered) return over_parts(batch, part, fn);
    for (std::int64_t b = 0; b < batch; b += part) fn(b, std::min(part, batch - b));
}
} // namespace detail

/// Runs decoder layer `w` in place on cached hidden states [batch, seq, hidden]: the step of a
/// sequential (layer-by-layer) pipeline. `rot` must cover at least `seq` positions. A `tap`
/// sees each Linear group's inputs, sequences in order.
inline void run_layer(config const& c, layer_weights const& w, rotary const& rot,
                      xt::xtensor<float, 3>& hidden, input_tap const& tap = {}) {
    auto const batch = static_cast<std::int64_t>(hidden.shape(0));
    auto const seq = static_cast<std::int64_t>(hidden.shape(1));
    detail::check_hidden(c, rot, static_cast<std::int64_t>(hidden.shape(2)), seq, "run_layer");
    detail::over_sequences(batch, seq, bool(tap), [&](std::int64_t b, std::int64_t n) {
        detail::decoder_layer_chunk(c, w, rot, hidden.data() + b * seq * c.hidden_size, n, seq,
                                    tap);
    });
}

/// input_layernorm's output for hidden states [batch, seq, hidden]: what q/k/v (and AWQ's
/// attention parent) see.
inline xt::xtensor<float, 3> attention_input(config const& c, layer_weights const& w,
                                             xt::xtensor<float, 3> const& hidden) {
    xt::xtensor<float, 3> out = xt::empty<float>(hidden.shape());
    auto const rows = static_cast<std::int64_t>(hidden.size()) / c.hidden_size;
    detail::rms_norm(hidden.data(), out.data(), rows, c.hidden_size, c.hidden_size,
                     w.input_norm.data(), c.rms_norm_eps, c.activations);
    return out;
}

/// The self-attention block's output (o_proj's, before the residual) for its normed inputs
/// [batch, seq, hidden].
inline xt::xtensor<float, 3> attention_output(config const& c, layer_weights const& w,
                                              rotary const& rot,
                                              xt::xtensor<float, 3> const& normed) {
    auto const batch = static_cast<std::int64_t>(normed.shape(0));
    auto const seq = static_cast<std::int64_t>(normed.shape(1));
    detail::check_hidden(c, rot, static_cast<std::int64_t>(normed.shape(2)), seq,
                         "attention_output");
    xt::xtensor<float, 3> out = xt::empty<float>(normed.shape());
    detail::over_sequences(batch, seq, false, [&](std::int64_t b, std::int64_t n) {
        auto const off = b * seq * c.hidden_size;
        detail::attention(c, w, rot, normed.data() + off, n, seq, out.data() + off, false, {});
    });
    return out;
}

/// The MLP block's output (down_proj's, before the residual) for its normed inputs
/// [batch, seq, hidden].
inline xt::xtensor<float, 3> mlp_output(config const& c, layer_weights const& w,
                                        xt::xtensor<float, 3> const& normed) {
    auto const batch = static_cast<std::int64_t>(normed.shape(0));
    auto const seq = static_cast<std::int64_t>(normed.shape(1));
    xt::xtensor<float, 3> out = xt::empty<float>(normed.shape());
    detail::over_sequences(batch, seq, false, [&](std::int64_t b, std::int64_t n) {
        auto const off = b * seq * c.hidden_size;
        detail::mlp(c, w, normed.data() + off, n, seq, out.data() + off, false, {});
    });
    return out;
}

/// One Linear's output x·Wᵀ + b for inputs [rows, in] (AWQ's parent when it is the Linear),
/// rounded to the activation dtype `t`.
inline std::vector<float> linear_output(linear const& l, float const* x, std::int64_t rows,
                                        act_dtype t = act_dtype::f32) {
    std::vector<float> y(static_cast<std::size_t>(rows) * l.weight.shape(0));
    detail::over_parts(rows, 4096, [&](std::int64_t r, std::int64_t n) {
        detail::apply(l, x + r * static_cast<std::int64_t>(l.weight.shape(1)), n,
                      y.data() + r * static_cast<std::int64_t>(l.weight.shape(0)), t);
    });
    return y;
}

/// Embedding rows of `tokens` [batch, seq] → hidden states [batch, seq, hidden].
inline xt::xtensor<float, 3> embed(xt::xtensor<float, 2> const& table,
                                   xt::xtensor<std::int64_t, 2> const& tokens) {
    auto const vocab = static_cast<std::int64_t>(table.shape(0));
    auto const dim = table.shape(1);
    xt::xtensor<float, 3> out = xt::empty<float>({tokens.shape(0), tokens.shape(1), dim});
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        auto const t = tokens.data()[i];
        if (t < 0 || t >= vocab)
            throw error("model.tokens", "token " + std::to_string(i),
                        "id " + std::to_string(t), "0.." + std::to_string(vocab - 1),
                        "tokenize with the model's own tokenizer");
        std::copy_n(&table(static_cast<std::size_t>(t), 0), dim, out.data() + i * dim);
    }
    return out;
}

/// Reports (steps done, steps in all) as a whole-model run goes: one step per layer, one for
/// the head.
using progress_fn = std::function<void(std::int64_t, std::int64_t)>;

/// Hidden states after the last decoder layer (before the final norm), layer-major: each
/// layer is loaded, run on every sequence and released before the next.
inline xt::xtensor<float, 3> last_hidden(weights const& w,
                                         xt::xtensor<std::int64_t, 2> const& tokens,
                                         progress_fn const& progress = {}) {
    auto const& c = w.cfg();
    auto hidden = embed(w.embed_tokens(), tokens);
    auto const rot = make_rotary(c, static_cast<std::int64_t>(tokens.shape(1)));
    for (std::int64_t i = 0; i < c.num_hidden_layers; ++i) {
        run_layer(c, w.layer(i), rot, hidden);
        if (progress) progress(i + 1, c.num_hidden_layers + 1);
    }
    return hidden;
}

/// Logits [rows, vocab] of `rows` hidden states: final norm, then lm_head.
inline std::vector<float> head(config const& c, xt::xtensor<float, 1> const& norm,
                               xt::xtensor<float, 2> const& lm_head, float const* hidden,
                               std::int64_t rows) {
    std::vector<float> normed(static_cast<std::size_t>(rows * c.hidden_size));
    detail::rms_norm(hidden, normed.data(), rows, c.hidden_size, c.hidden_size, norm.data(),
                     c.rms_norm_eps);
    std::vector<float> logits(static_cast<std::size_t>(rows * c.vocab_size));
    detail::gemm(true, rows, c.vocab_size, c.hidden_size, normed.data(), c.hidden_size,
                 lm_head.data(), c.hidden_size, logits.data(), c.vocab_size);
    return logits;
}

/// The model's logits [batch, seq, vocab] for `tokens` [batch, seq].
inline xt::xtensor<float, 3> forward(weights const& w, xt::xtensor<std::int64_t, 2> const& tokens,
                                     progress_fn const& progress = {}) {
    auto const& c = w.cfg();
    auto const hidden = last_hidden(w, tokens, progress);
    auto const logits = head(c, w.final_norm(), w.lm_head(), hidden.data(),
                             static_cast<std::int64_t>(tokens.size()));
    xt::xtensor<float, 3> out = xt::empty<float>(
        {tokens.shape(0), tokens.shape(1), static_cast<std::size_t>(c.vocab_size)});
    std::copy(logits.begin(), logits.end(), out.begin());
    if (progress) progress(c.num_hidden_layers + 1, c.num_hidden_layers + 1);
    return out;
}

} // namespace nuq::model
