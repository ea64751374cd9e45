#pragma once
// input_qparams: the activation qparams a calibrated Linear stores, from its input observer's
// statistics (golden/calibrated README, docs/ALGORITHMS.md §3.4), with A = max(−min(m,0), max(M,0)):
//   static tensor inputs   input_scale = the scheme's weight-style scale of [min(m,0), max(M,0)]
//                          in the model dtype: R(A/448) for fp8, R(A/127.5) for symmetric
//                          int8; asymmetric int also an input_zero_point;
//   NVFP4 "local" inputs   input_global_scale = R(R(1/A)·2688) in the model dtype, stored f32.
#include <optional>
#include <string>
#include <variant>

#include "nuq/calib/activation_observer.hpp"
#include "nuq/error.hpp"
#include "nuq/quant/make_quantizer.hpp"

namespace nuq::calib {

struct input_qparams {
    std::optional<float> scale, zero_point, global_scale;
};

namespace detail {
template <class Fn> decltype(auto) with_float_type(dtype t, Fn&& fn) {
    switch (t) {
    case dtype::bfloat16: return fn(bfloat16_t{});
    case dtype::float16: return fn(float16_t{});
    default: return fn(float{});
    }
}
} // namespace detail

/// The qparams of input args `a` (static or "local") from `obs`, in model dtype `type`.
inline input_qparams input_qparams_of(quant_args const& a, activation_observer const& obs,
                                      dtype type, std::string const& where) {
    if (obs.empty())
        throw error("calib.no_statistics", where,
                    "the input observer saw no calibration data",
                    "every calibrated Linear to receive calibration tokens",
                    "give more calibration samples (--num-calibration-samples)");
    input_qparams out;
    if (a.dynamic == dynamic_mode::local) {
        out.global_scale = detail::with_float_type(type, [&](auto d) {
            return scheme::nvfp4::global_scale<decltype(d)>(obs.absmax());
        });
        return out;
    }
    if (a.strategy_or_tensor() != quant_strategy::tensor)
        throw error("calib.input_strategy", where + ".strategy",
                    "static input activations with strategy \"" +
                        std::string(to_string(a.strategy_or_tensor())) + "\"",
                    "strategy tensor (one scale per Linear)",
                    "use strategy tensor, or dynamic: true for per-token scales");
    float mn = nan_min(obs.min().front(), 0.0f), mx = nan_max(obs.max().front(), 0.0f);
    if (a.symmetric) { // the symmetric view, as the weight quantizer takes it
        float const abs = nan_max(-mn, mx);
        mn = -abs, mx = abs;
    }
    auto const p = std::visit(
        [&](auto const& q) {
            using Q = std::remove_cvref_t<decltype(q)>;
            return detail::with_float_type(type, [&](auto d) {
                return Q::scheme_type::template params<decltype(d)>(mn, mx, 1.0f);
            });
        },
        make_quantizer(a, where));
    out.scale = p.scale;
    if (!a.symmetric) out.zero_point = p.zero_point;
    return out;
}

} // namespace nuq::calib
