# cmake -P script: install, configure + build the consumer against the prefix, run it.
file(REMOVE_RECURSE ${PREFIX} ${CONSUMER_BUILD})
foreach(step
    "${CMAKE_COMMAND};--install;${NUQ_BUILD_DIR};--prefix;${PREFIX}"
    "${CMAKE_COMMAND};-S;${CONSUMER_SOURCE};-B;${CONSUMER_BUILD};-DCMAKE_PREFIX_PATH=${PREFIX};-DCMAKE_BUILD_TYPE=Release"
    "${CMAKE_COMMAND};--build;${CONSUMER_BUILD}"
    "${CONSUMER_BUILD}/consumer"
    "${PREFIX}/bin/nuq;--help")
  execute_process(COMMAND ${step} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed (${rc}): ${step}\n${out}\n${err}")
  endif()
endforeach()
message(STATUS "installed nuq found by find_package; consumer ran; bin/nuq runs")
