# Style gate run by CTest: clang-format (dry run) and cppcheck must be clean on
# the C core, the LAMMPS glue and the tools. Invoked as:
#   cmake -DSRC=<repo> -DCHECK=format|cppcheck -P style.cmake
file(GLOB_RECURSE c_files
  ${SRC}/src/USER-SYMGNN/symgnn*.c ${SRC}/src/USER-SYMGNN/symgnn*.h
  ${SRC}/tools/*.c ${SRC}/tools/*.h)
file(GLOB cxx_files ${SRC}/src/USER-SYMGNN/*.cpp ${SRC}/src/USER-SYMGNN/compute_*.h)
if(CHECK STREQUAL "format")
  find_program(CLANG_FORMAT NAMES clang-format clang-format-14 REQUIRED)
  # The C++ glue follows LAMMPS' own style instead: style_lammps.cmake checks it.
  execute_process(COMMAND ${CLANG_FORMAT} --dry-run -Werror --style=file ${c_files}
    RESULT_VARIABLE rc)
else()
  find_program(CPPCHECK cppcheck REQUIRED)
  set(common --quiet --error-exitcode=1 --enable=warning,style,performance,portability
    --inline-suppr --suppress=missingIncludeSystem --suppress=missingInclude)
  execute_process(COMMAND ${CPPCHECK} ${common} --std=c11
    -I ${SRC}/src/USER-SYMGNN -I ${SRC}/tools/common -I ${SRC}/tools/train/kernels ${c_files}
    RESULT_VARIABLE rc)
  if(rc EQUAL 0 AND cxx_files)
    execute_process(COMMAND ${CPPCHECK} ${common} --language=c++ --std=c++17
      -I ${SRC}/src/USER-SYMGNN ${cxx_files}
      RESULT_VARIABLE rc)
  endif()
endif()
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${CHECK} check failed (see the messages above)")
endif()
