#pragma once
// perplexity: issue 5's protocol over token ids: windows of `seq_len` tokens starting every
// `stride` tokens from token 0 (whole windows only), the first `max_windows` of them;
// perplexity = exp(mean cross-entropy over positions 1..L−1 of every window, each token
// predicted from the tokens before it in its window).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "nuq/detail/library.hpp"
#include "nuq/error.hpp"
#include "nuq/model/decoder.hpp"
#include "nuq/model/weights.hpp"

namespace nuq::model {

struct perplexity_options {
    std::int64_t seq_len = 256;
    std::int64_t stride = 256;
    std::int64_t max_windows = 64;
    progress_fn progress; ///< (steps done, steps): one per layer, one for the head
};

struct perplexity_result {
    double loss = 0;          ///< mean cross-entropy, nats per token
    double perplexity = 0;    ///< exp(loss)
    std::int64_t windows = 0;
    std::int64_t predictions = 0; ///< windows · (seq_len − 1)
};

perplexity_result perplexity(weights const& w, std::span<std::int64_t const> ids,
                                    perplexity_options const& o);

} // namespace nuq::model

#ifdef NUQ_HEADER_ONLY
#include "nuq/model/perplexity_impl.hpp"
#endif
