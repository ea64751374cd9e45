# cmake -P script: PROGRAM [ARG] must exit 0 and print a line matching EXPECT. CLEAN, if given,
# is removed first, so that nothing an earlier run left can make the test pass, and its
# parent directory made.
if(DEFINED CLEAN)
  file(REMOVE_RECURSE ${CLEAN})
  get_filename_component(parent ${CLEAN} DIRECTORY)
  file(MAKE_DIRECTORY ${parent})
endif()
set(args)
if(DEFINED ARG)
  set(args ${ARG})
endif()
execute_process(COMMAND ${PROGRAM} ${args}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} ${args} exited with ${rc}:\n${out}\n${err}")
endif()
if(NOT out MATCHES "${EXPECT}")
  message(FATAL_ERROR "${PROGRAM} printed no line matching \"${EXPECT}\":\n${out}\n${err}")
endif()
message("${out}")
