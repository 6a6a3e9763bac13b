# Run EXE with the |-separated ARGS; require exit status EXPECT_RC and stderr
# matching the regular expression EXPECT_ERR. Used by the symgnn-model CTests.
string(REPLACE "|" ";" args "${ARGS}")
execute_process(COMMAND ${EXE} ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL EXPECT_RC)
  message(FATAL_ERROR "exit status ${rc}, expected ${EXPECT_RC}; stderr: ${err}")
endif()
if(NOT err MATCHES "${EXPECT_ERR}")
  message(FATAL_ERROR "stderr does not match '${EXPECT_ERR}': ${err}")
endif()
