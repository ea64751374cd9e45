# cmake -P script: install, configure + build the consumer (and, given EXAMPLE, that
# examples/library program as consumer_example) against the prefix, run them.
file(REMOVE_RECURSE ${PREFIX} ${CONSUMER_BUILD})
set(example_step)
if(EXAMPLE)
  set(example_step "${CONSUMER_BUILD}/consumer_example;${CONSUMER_BUILD}/example_output")
endif()
foreach(step
    "${CMAKE_COMMAND};--install;${NUQ_BUILD_DIR};--prefix;${PREFIX}"
    "${CMAKE_COMMAND};-S;${CONSUMER_SOURCE};-B;${CONSUMER_BUILD};-DCMAKE_PREFIX_PATH=${PREFIX};-DCMAKE_BUILD_TYPE=Release;-DNUQ_EXAMPLE=${EXAMPLE}"
    "${CMAKE_COMMAND};--build;${CONSUMER_BUILD}"
    "${CONSUMER_BUILD}/consumer"
    "${example_step}"
    "${PREFIX}/bin/nuq;--help")
  if(step STREQUAL "")
    continue()
  endif()
  execute_process(COMMAND ${step} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed (${rc}): ${step}\n${out}\n${err}")
  endif()
endforeach()
message(STATUS "installed nuq found by find_package; consumer ran; ${EXAMPLE} built and ran; "
               "bin/nuq runs")
