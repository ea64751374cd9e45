#pragma once
// The alternatives of quantizer_variant in NUQ_SLICES slices, as X-macros, for explicit
// instantiations spread over translation units: each *.slices.cpp is compiled once per slice
// (CMakeLists.txt defines NUQ_SLICE), so that no translation unit instantiates a body for all
// 71 quantizers. Keep in step with all_quantizers (nuq/quant/make_quantizer.hpp): a missing
// alternative fails the link.
#include "nuq/quant/make_quantizer.hpp"

namespace nuq::slices {
template <class S> using per_tensor = quantizer<S, strategy::tensor>;
template <class S> using per_channel = quantizer<S, strategy::channel>;
template <class S> using per_group = quantizer<S, strategy::group>;
template <class S> using per_block = quantizer<S, strategy::block>;
template <class S> using per_tensor_group = quantizer<S, strategy::tensor_group>;
template <int B> using sym = scheme::int_<B, true>;
template <int B> using asym = scheme::int_<B, false>;
using fp8 = scheme::float8_e4m3;
} // namespace nuq::slices

#define NUQ_PLAIN_STRATEGIES(X, S)                                                                 \
    X(::nuq::slices::per_tensor<S>)                                                                \
    X(::nuq::slices::per_channel<S>)                                                               \
    X(::nuq::slices::per_group<S>)                                                                 \
    X(::nuq::slices::per_block<S>)
#define NUQ_INT_BITS(X, B)                                                                         \
    NUQ_PLAIN_STRATEGIES(X, ::nuq::slices::sym<B>) NUQ_PLAIN_STRATEGIES(X, ::nuq::slices::asym<B>)

#define NUQ_SLICES 6
#define NUQ_SLICE_0(X) NUQ_INT_BITS(X, 1) NUQ_INT_BITS(X, 2)
#define NUQ_SLICE_1(X) NUQ_INT_BITS(X, 3)
#define NUQ_SLICE_2(X) NUQ_INT_BITS(X, 4) NUQ_INT_BITS(X, 5)
#define NUQ_SLICE_3(X) NUQ_INT_BITS(X, 6) NUQ_INT_BITS(X, 7)
#define NUQ_SLICE_4(X) NUQ_INT_BITS(X, 8)
#define NUQ_SLICE_5(X)                                                                             \
    NUQ_PLAIN_STRATEGIES(X, ::nuq::slices::fp8)                                                    \
    X(::nuq::slices::per_tensor_group<::nuq::scheme::nvfp4>)                                       \
    X(::nuq::slices::per_group<::nuq::scheme::mxfp4>)                                              \
    X(::nuq::slices::per_group<::nuq::scheme::mxfp8>)

#define NUQ_SLICE_CAT(a, b) a##b
#define NUQ_SLICE_OF(k) NUQ_SLICE_CAT(NUQ_SLICE_, k)
/// X(Q) for every quantizer Q of slice NUQ_SLICE.
#define NUQ_FOR_EACH_QUANTIZER_OF_SLICE(X) NUQ_SLICE_OF(NUQ_SLICE)(X)
