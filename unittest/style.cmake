# Style gate run by CTest: clang-format (dry run) and cppcheck must be clean on
# the C core and the tools. Invoked as: cmake -DSRC=<repo> -DCHECK=format|cppcheck -P style.cmake
file(GLOB_RECURSE files
  ${SRC}/src/USER-SYMGNN/*.c ${SRC}/src/USER-SYMGNN/*.h
  ${SRC}/tools/*.c ${SRC}/tools/*.h)
if(CHECK STREQUAL "format")
  find_program(CLANG_FORMAT NAMES clang-format clang-format-14 REQUIRED)
  execute_process(COMMAND ${CLANG_FORMAT} --dry-run -Werror --style=file ${files}
    RESULT_VARIABLE rc)
else()
  find_program(CPPCHECK cppcheck REQUIRED)
  execute_process(COMMAND ${CPPCHECK} --quiet --error-exitcode=1 --std=c11
    --enable=warning,style,performance,portability --inline-suppr
    --suppress=missingIncludeSystem -I ${SRC}/src/USER-SYMGNN -I ${SRC}/tools/common ${files}
    RESULT_VARIABLE rc)
endif()
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${CHECK} check failed (see the messages above)")
endif()
