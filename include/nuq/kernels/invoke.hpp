#pragma once
// kernels::invoke<Kernel>(args...): the one place that picks how nuq's SIMD kernels run. A
// program that links nuq::simd gets NUQ_SIMD_DISPATCH from it and runs the best arch this CPU
// has (run-time dispatch); otherwise the kernel is compiled for the calling translation unit's
// flags (header-only). See nuq/detail/simd_dispatch.hpp.
#include <utility>

#include "nuq/detail/simd_dispatch.hpp"

namespace nuq::kernels {

template <class Kernel, class... Args> decltype(auto) invoke(Args&&... args) {
#if defined(NUQ_SIMD_DISPATCH) && NUQ_SIMD_DISPATCH
    return simd::dispatch<Kernel>(std::forward<Args>(args)...);
#else
    return simd::run_native<Kernel>(std::forward<Args>(args)...);
#endif
}

} // namespace nuq::kernels
