// Per-arch instantiations of the quantization row kernels (nuq/kernels/): min/max per run, codes
// per scheme family and weight dtype, and the 4-/8-bit packers. Compiled once per arch of
// nuq::simd::dispatch_archs by cmake/nuq_simd.cmake.
#include "nuq/detail/simd_dispatch.hpp"
#include "nuq/kernels/minmax_row.hpp"
#include "nuq/kernels/pack_codes.hpp"
#include "nuq/kernels/quantize_row.hpp"

namespace nuq::simd {

#define NUQ_ROW_KERNELS(D)                                                                          \
    template struct kernel_entry<kernels::minmax_row<D>, compiled_arch>;                            \
    template struct kernel_entry<kernels::quantize_row<kernels::detail::int_op<D>, D>,             \
                                 compiled_arch>;                                                    \
    template struct kernel_entry<kernels::quantize_row<kernels::detail::e4m3_op<D>, D>,            \
                                 compiled_arch>;                                                    \
    template struct kernel_entry<kernels::quantize_row<kernels::detail::mx_e2m1_op<D>, D>,         \
                                 compiled_arch>;                                                    \
    template struct kernel_entry<kernels::quantize_row<kernels::detail::nvfp4_op, D>, compiled_arch>;

NUQ_ROW_KERNELS(bfloat16_t)
NUQ_ROW_KERNELS(float16_t)
NUQ_ROW_KERNELS(float)
#undef NUQ_ROW_KERNELS

template struct kernel_entry<kernels::pack_nibbles, compiled_arch>;
template struct kernel_entry<kernels::flip_bytes, compiled_arch>;

} // namespace nuq::simd
