#pragma once
// The bodies of perplexity.hpp compiled once in the nuq library (nuq/detail/library.hpp).
#include "nuq/detail/library.hpp"
#include "nuq/model/perplexity.hpp"

namespace nuq::model {

NUQ_INLINE perplexity_result perplexity(weights const& w, std::span<std::int64_t const> ids,
                                    perplexity_options const& o) {
    if (o.seq_len < 2 || o.stride < 1 || o.max_windows < 1)
        throw error("eval.options", "--seq-len/--stride/--max-windows",
                    std::to_string(o.seq_len) + "/" + std::to_string(o.stride) + "/" +
                        std::to_string(o.max_windows),
                    "seq-len ≥ 2, stride ≥ 1, max-windows ≥ 1", "pass sensible values");
    auto const total = static_cast<std::int64_t>(ids.size());
    if (total < o.seq_len)
        throw error("eval.dataset", "the dataset", std::to_string(total) + " tokens",
                    "at least one window of " + std::to_string(o.seq_len),
                    "use a longer text or a smaller --seq-len");
    auto const windows = std::min(o.max_windows, (total - o.seq_len) / o.stride + 1);
    auto const L = o.seq_len;
    xt::xtensor<std::int64_t, 2> tokens = xt::empty<std::int64_t>(
        {static_cast<std::size_t>(windows), static_cast<std::size_t>(L)});
    for (std::int64_t i = 0; i < windows; ++i)
        std::copy_n(ids.begin() + i * o.stride, L, tokens.data() + i * L);

    auto const& c = w.cfg();
    auto const hidden = last_hidden(w, tokens, o.progress);
    auto const norm = w.final_norm();
    auto const lm_head = w.lm_head();
    std::vector<double> window_loss(static_cast<std::size_t>(windows));
    detail::over_parts(windows, 1, [&](std::int64_t i, std::int64_t) {
        auto const logits = head(c, norm, lm_head, hidden.data() + i * L * c.hidden_size, L);
        double sum = 0;
        for (std::int64_t p = 0; p + 1 < L; ++p) {
            float const* row = logits.data() + p * c.vocab_size;
            float const top = *std::max_element(row, row + c.vocab_size);
            double z = 0;
            for (std::int64_t v = 0; v < c.vocab_size; ++v) z += std::exp(double(row[v]) - top);
            sum += std::log(z) + top - row[tokens(i, p + 1)];
        }
        window_loss[static_cast<std::size_t>(i)] = sum;
    });
    double sum = 0; // in window order, whatever thread computed each
    for (double l : window_loss) sum += l;
    if (o.progress) o.progress(c.num_hidden_layers + 1, c.num_hidden_layers + 1);
    perplexity_result r;
    r.windows = windows;
    r.predictions = windows * (L - 1);
    r.loss = sum / static_cast<double>(r.predictions);
    r.perplexity = std::exp(r.loss);
    return r;
}

} // namespace nuq::model
