#pragma once
// Run-time SIMD dispatch for a header-only library.
//
// A kernel is a stateless functor with `using signature = R(Args...)` and a member template
// `template <class A> R operator()(A, Args...) const` written with xsimd::batch<T, A>
// (nuq/numeric/simd_convert.hpp has examples). It runs in one of two ways:
//  - run_native<Kernel>(args...): compile time, header-only. Uses xsimd::default_arch, the
//    widest SIMD the calling translation unit's flags allow (SSE2 on plain x86-64). Nothing to
//    link.
//  - dispatch<Kernel>(args...): run time. xsimd::dispatch picks the best arch of
//    dispatch_archs that the CPU has and calls kernel_entry<Kernel, Arch>::run. `run` is only
//    declared here: xsimd chooses batch types from compile flags, so each arch's definition is
//    compiled in its own translation unit with that arch's flags, in the nuq_simd library
//    (cmake/nuq_simd.cmake compiles every src/simd/*.cpp once per arch with
//    NUQ_SIMD_ARCH_INDEX set, and such a file explicitly instantiates
//    `template struct nuq::simd::kernel_entry<Kernel, nuq::simd::compiled_arch>;`). Link
//    nuq::simd.
//
// ODR: a program keeps one copy of each inline function, and if the linker kept the copy from
// an AVX2 translation unit for code that also runs on older CPUs, those would fault. So every
// symbol a per-arch unit defines must name its arch: kernel_entry<K, Arch>::run,
// K::operator()<Arch>, xsimd's kernels on Arch. No other arch's code can refer to those.
// `run` is [[gnu::flatten]] so that everything without the arch in its name (std::, scalar
// helpers) is inlined into it rather than emitted, and the build lists each per-arch object's
// symbols with nm and fails on any code symbol that does not name the arch, and on any static
// initializer, which would run that arch's code at start-up on every CPU (nuq_simd.cmake).
#include <cstddef>
#include <utility>

#include <xsimd/xsimd.hpp>

namespace nuq::simd {

/// Architectures nuq_simd is compiled for, best first (xsimd::dispatch takes the first one
/// the CPU supports). cmake/nuq_simd.cmake lists the same ones with their flags, by index.
/// fma3<avx2> (not plain avx2): every AVX2 CPU has FMA3, and xsimd::fma is fused only there.
#if defined(__x86_64__) || defined(_M_X64)
using dispatch_archs = xsimd::arch_list<xsimd::avx512bw, xsimd::fma3<xsimd::avx2>, xsimd::sse2>;
#else
using dispatch_archs = xsimd::arch_list<xsimd::default_arch>;
#endif

namespace detail {
template <std::size_t I, class L> struct arch_at;
template <class H, class... T> struct arch_at<0, xsimd::arch_list<H, T...>> { using type = H; };
template <std::size_t I, class H, class... T> struct arch_at<I, xsimd::arch_list<H, T...>>
    : arch_at<I - 1, xsimd::arch_list<T...>> {};
} // namespace detail

/// True when the CPU running this can execute code compiled for Arch (xsimd::dispatch's rule).
template <class Arch> bool cpu_has() {
    return Arch::version() <= xsimd::available_architectures().best;
}

/// The entry point of Kernel compiled for Arch; defined only in nuq_simd's per-arch units.
template <class Kernel, class Arch, class Signature = typename Kernel::signature>
struct kernel_entry;
template <class Kernel, class Arch, class R, class... Args>
struct kernel_entry<Kernel, Arch, R(Args...)> {
    static R run(Args... args);
};

#ifdef NUQ_SIMD_ARCH_INDEX
/// The arch of this per-arch translation unit.
using compiled_arch = typename detail::arch_at<NUQ_SIMD_ARCH_INDEX, dispatch_archs>::type;
static_assert(compiled_arch::supported(),
              "this unit must be compiled with the flags of its arch in cmake/nuq_simd.cmake");

template <class Kernel, class Arch, class R, class... Args>
[[gnu::flatten]] R kernel_entry<Kernel, Arch, R(Args...)>::run(Args... args) {
    return Kernel{}(Arch{}, args...);
}
#endif

namespace detail {
template <class Kernel, class Signature = typename Kernel::signature> struct entry_caller;
template <class Kernel, class R, class... Args> struct entry_caller<Kernel, R(Args...)> {
    template <class Arch> R operator()(Arch, Args... args) const {
        return kernel_entry<Kernel, Arch>::run(args...);
    }
};
} // namespace detail

/// Runs Kernel for the best arch of dispatch_archs this CPU has (needs nuq::simd linked).
template <class Kernel, class... Args> decltype(auto) dispatch(Args&&... args) {
    return xsimd::dispatch<dispatch_archs>(detail::entry_caller<Kernel>{})(
        std::forward<Args>(args)...);
}

/// Runs Kernel for the arch this translation unit is compiled for; header-only.
template <class Kernel, class... Args> decltype(auto) run_native(Args&&... args) {
    return Kernel{}(xsimd::default_arch{}, std::forward<Args>(args)...);
}

} // namespace nuq::simd
