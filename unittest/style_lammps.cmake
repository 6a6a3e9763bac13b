# Style gate of the LAMMPS glue, run by CTest: the C++ files of src/USER-SYMGNN (the compute and
# the plugin entry) must be formatted by LAMMPS' own src/.clang-format, as LAMMPS requires of
# contributed code (the C core follows the project's .clang-format, checked by style.cmake).
# Invoked as:
#   cmake -DSRC=<repo> -DSTYLE=<LAMMPS src/.clang-format> -P style_lammps.cmake
if(NOT EXISTS "${STYLE}")
  message(FATAL_ERROR "LAMMPS clang-format file not found: '${STYLE}' (set LAMMPS_SOURCE_DIR)")
endif()
file(GLOB glue ${SRC}/src/USER-SYMGNN/*.cpp ${SRC}/src/USER-SYMGNN/compute_*.h)
if(NOT glue)
  message(FATAL_ERROR "no LAMMPS glue files found under ${SRC}/src/USER-SYMGNN")
endif()
find_program(CLANG_FORMAT NAMES clang-format clang-format-14 REQUIRED)
execute_process(COMMAND ${CLANG_FORMAT} --dry-run -Werror --style=file:${STYLE} ${glue}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the LAMMPS glue is not formatted with ${STYLE}; fix it with\n"
    "  clang-format -i --style=file:${STYLE} <file>")
endif()
list(LENGTH glue n)
message(STATUS "${n} LAMMPS glue files formatted with ${STYLE}")
