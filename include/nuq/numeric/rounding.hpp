#pragma once
// Emulation of PyTorch's per-operation rounding. A PyTorch op on bf16/f16 tensors computes in
// f32 and rounds the result to the tensor's dtype; nuq does the same with round_to<D>: every
// intermediate is a float holding a value exactly representable in D.
#include <bit>
#include <cmath>
#include <concepts>
#include <cstdint>

#include "nuq/numeric/bfloat16.hpp"
#include "nuq/numeric/dtype.hpp"
#include "nuq/numeric/float16.hpp"

namespace nuq {

/// The floating-point element types a weight can have (PyTorch's bf16, f16, f32).
template <class D>
concept weight_element =
    std::same_as<D, bfloat16_t> || std::same_as<D, float16_t> || std::same_as<D, float>;

/// R_D(x): x rounded to the nearest value of D (ties to even), as a float.
template <weight_element D>
constexpr float round_to(float x) {
    if constexpr (std::same_as<D, float>) return x;
    else return float(D(x));
}

template <weight_element D>
constexpr float to_float(D v) {
    if constexpr (std::same_as<D, float>) return v;
    else return float(v);
}

template <weight_element D>
constexpr D from_float(float x) {
    if constexpr (std::same_as<D, float>) return x;
    else return D(x);
}

template <weight_element D>
constexpr dtype dtype_of() {
    if constexpr (std::same_as<D, bfloat16_t>) return dtype::bfloat16;
    else if constexpr (std::same_as<D, float16_t>) return dtype::float16;
    else return dtype::float32;
}

/// torch.finfo(D).eps: the scale compressed-tensors puts in place of a zero scale.
template <weight_element D>
constexpr float epsilon() {
    if constexpr (std::same_as<D, bfloat16_t>) return 0.0078125f;      // 2^-7
    else if constexpr (std::same_as<D, float16_t>) return 0.0009765625f; // 2^-10
    else return 1.1920928955078125e-07f;                                 // 2^-23
}

/// torch.finfo(D).tiny: the smallest normal value.
template <weight_element D>
constexpr float smallest_normal() {
    if constexpr (std::same_as<D, float16_t>) return 6.103515625e-05f;  // 2^-14
    else return std::bit_cast<float>(0x00800000u);                      // 2^-126
}

/// NaN-propagating max/min, as torch.max/torch.min of two tensors.
constexpr float nan_max(float a, float b) { return (a != a || b != b) ? a + b : (a < b ? b : a); }
constexpr float nan_min(float a, float b) { return (a != a || b != b) ? a + b : (a < b ? a : b); }
/// torch.clamp: NaN passes through.
constexpr float clamp_nan(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }
/// Round half to even (torch.round) under the default rounding mode.
inline float round_half_even(float x) { return std::nearbyint(x); }
/// Float → int8 cast as on x86-64 CPUs after clamping: NaN becomes 0.
inline std::int8_t to_int8(float x) { return x == x ? static_cast<std::int8_t>(x) : 0; }

static_assert(round_to<bfloat16_t>(1.00390625f) == 1.0f);
static_assert(nan_max(1.0f, 2.0f) == 2.0f && nan_min(-0.5f, 0.0f) == -0.5f);

} // namespace nuq
