# nuq's SIMD kernels compiled once per architecture, for run-time dispatch
# (include/nuq/detail/simd_dispatch.hpp explains the mechanism): NUQ_SIMD_OBJECTS lists the
# objects that nuq_library.cmake puts into the nuq library, and nuq_simd_check(<target>) checks
# their symbols after <target> is built.
#
# Every src/simd/*.cpp is compiled once per arch below, with that arch's flags and
# NUQ_SIMD_ARCH_INDEX=<index>. The index order, and the xsimd type each index names, must be
# those of nuq::simd::dispatch_archs (a mismatch fails the static_assert in the header, the link,
# or the symbol check).
#
# This file is also a script: `cmake -DNUQ_SIMD_CHECK_INDEX=<i> -P nuq_simd.cmake -- <nm>
# <objects>...` fails if an object defines an external symbol that does not name arch <i>
# (see "ODR" in simd_dispatch.hpp).

if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$" OR CMAKE_SCRIPT_MODE_FILE)
  set(_nuq_simd_arch_count 3)
  set(_nuq_simd_arch0_name "xsimd::avx512bw")
  # -Wno-*uninitialized: GCC 12's avx512fintrin.h trips them (`__Y = __Y`, GCC PR 105593).
  set(_nuq_simd_arch0_flags -mavx512f -mavx512cd -mavx512dq -mavx512bw -mavx2 -mfma
      -Wno-maybe-uninitialized -Wno-uninitialized)
  set(_nuq_simd_arch1_name "xsimd::fma3<xsimd::avx2>")
  set(_nuq_simd_arch1_flags -mavx2 -mfma)
  set(_nuq_simd_arch2_name "xsimd::sse2") # the x86-64 baseline: no flags
  set(_nuq_simd_arch2_flags)
else()
  set(_nuq_simd_arch_count 1) # xsimd::default_arch of the target
  set(_nuq_simd_arch0_flags)
endif()

if(CMAKE_SCRIPT_MODE_FILE)
  # CMAKE_ARGV0..: cmake -D... -P <file> -- <nm> <objects>...
  math(EXPR _last "${CMAKE_ARGC} - 1")
  set(_args)
  foreach(_i RANGE 0 ${_last})
    list(APPEND _args "${CMAKE_ARGV${_i}}")
  endforeach()
  list(FIND _args "--" _sep)
  math(EXPR _nm_at "${_sep} + 1")
  math(EXPR _first "${_sep} + 2")
  list(GET _args ${_nm_at} _nm)
  set(_tag "${_nuq_simd_arch${NUQ_SIMD_CHECK_INDEX}_name}")
  foreach(_i RANGE ${_first} ${_last})
    list(GET _args ${_i} _obj)
    execute_process(COMMAND "${_nm}" -C --defined-only "${_obj}"
      OUTPUT_VARIABLE _out RESULT_VARIABLE _rc)
    if(NOT _rc EQUAL 0)
      message(FATAL_ERROR "nuq_simd: ${_nm} failed on ${_obj}")
    endif()
    string(REPLACE "\n" ";" _lines "${_out}")
    foreach(_line IN LISTS _lines)
      # Code run at start-up (dynamic initialization) runs on every CPU.
      if(_line MATCHES "_GLOBAL__sub_I")
        message(FATAL_ERROR "nuq_simd: ${_obj} has a static initializer, which would run "
          "${_tag} code on every CPU at start-up: keep variables with dynamic "
          "initialization out of the per-arch units.\n  ${_line}")
      endif()
      # Only external code (T, W, i) can be shared; data is the same on every arch.
      string(FIND "${_line}" "${_tag}" _at)
      if(_line MATCHES "^[0-9a-fA-F]* [TWi] " AND _at EQUAL -1)
        message(FATAL_ERROR "nuq_simd: ${_obj} defines a symbol that does not name ${_tag}, "
          "so code for other CPUs may link to its ${_tag} copy:\n  ${_line}\n"
          "Inline it into the kernel or make it a template on the arch.")
      endif()
    endforeach()
  endforeach()
  return()
endif()

file(GLOB _nuq_simd_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/../src/simd/*.cpp)
set(_nuq_simd_objects)
math(EXPR _nuq_simd_last "${_nuq_simd_arch_count} - 1")
foreach(_i RANGE ${_nuq_simd_last})
  add_library(nuq_simd_arch${_i} OBJECT ${_nuq_simd_sources})
  target_link_libraries(nuq_simd_arch${_i} PRIVATE nuq_headers nuq_warnings)
  target_compile_definitions(nuq_simd_arch${_i} PRIVATE NUQ_SIMD_ARCH_INDEX=${_i})
  # No a*b+c contraction into FMA: kernels then round the same way on every arch. Always
  # optimized: at -O0 GCC emits xsimd's helpers out of line even under [[gnu::flatten]], and
  # the symbol check would (rightly) reject them.
  target_compile_options(nuq_simd_arch${_i} PRIVATE ${_nuq_simd_arch${_i}_flags} -ffp-contract=off
    $<$<CONFIG:Debug>:-O2>)
  list(APPEND _nuq_simd_objects $<TARGET_OBJECTS:nuq_simd_arch${_i}>)
endforeach()

set(NUQ_SIMD_OBJECTS ${_nuq_simd_objects})

function(nuq_simd_check target)
  foreach(_i RANGE ${_nuq_simd_last})
    if(_nuq_simd_arch${_i}_flags)
      add_custom_command(TARGET ${target} POST_BUILD
        COMMAND ${CMAKE_COMMAND} -DNUQ_SIMD_CHECK_INDEX=${_i} -P ${_nuq_simd_file}
                -- ${CMAKE_NM} $<TARGET_OBJECTS:nuq_simd_arch${_i}>
        COMMAND_EXPAND_LISTS VERBATIM)
    endif()
  endforeach()
endfunction()
set(_nuq_simd_file ${CMAKE_CURRENT_LIST_FILE})
