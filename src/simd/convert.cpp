// Per-arch instantiations of the array kernels of nuq/numeric/simd_convert.hpp. Compiled once
// per arch of nuq::simd::dispatch_archs by cmake/nuq_simd.cmake.
#include "nuq/detail/simd_dispatch.hpp"
#include "nuq/numeric/simd_convert.hpp"

namespace nuq::simd {
template struct kernel_entry<f32_to_bf16_kernel, compiled_arch>;
template struct kernel_entry<bf16_to_f32_kernel, compiled_arch>;
template struct kernel_entry<f32_to_f16_kernel, compiled_arch>;
template struct kernel_entry<f16_to_f32_kernel, compiled_arch>;
template struct kernel_entry<f32_to_e4m3_kernel, compiled_arch>;
template struct kernel_entry<bf16_to_e4m3_kernel, compiled_arch>;
template struct kernel_entry<round_bf16_kernel, compiled_arch>;
template struct kernel_entry<round_f16_kernel, compiled_arch>;
} // namespace nuq::simd
