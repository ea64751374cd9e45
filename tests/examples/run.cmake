# cmake -P script: PROGRAM --output OUTPUT --overwrite must exit 0 and print "perplexity: X".
execute_process(COMMAND ${PROGRAM} --output ${OUTPUT} --overwrite
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} exited with ${rc}:\n${out}\n${err}")
endif()
if(NOT out MATCHES "perplexity: [0-9]")
  message(FATAL_ERROR "${PROGRAM} printed no perplexity:\n${out}\n${err}")
endif()
message("${out}")
