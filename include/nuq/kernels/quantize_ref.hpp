#pragma once
// The two inner loops of quantization, on one contiguous run of elements that share a unit:
// their min and max, and their codes. These scalar versions are the reference.
#include <cstdint>
#include <utility>

#include "nuq/numeric/rounding.hpp"
#include "nuq/numeric/unit_params.hpp"

namespace nuq::kernels {

/// NaN-propagating min and max of n elements, folded into (mn, mx).
template <weight_element D>
void minmax_ref(D const* x, std::int64_t n, float& mn, float& mx) {
    for (std::int64_t i = 0; i < n; ++i) {
        float const f = to_float(x[i]);
        mn = nan_min(mn, f);
        mx = nan_max(mx, f);
    }
}

/// Codes of n elements that share the qparams p.
template <class Scheme, weight_element D>
void quantize_ref(D const* x, std::int64_t n, unit_params const& p, std::uint8_t* out) {
    for (std::int64_t i = 0; i < n; ++i)
        out[i] = Scheme::template quantize<D>(to_float(x[i]), p);
}

} // namespace nuq::kernels
