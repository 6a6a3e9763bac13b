# Built-in USER-SYMGNN without patching the LAMMPS tree. Pass to LAMMPS' CMake as
#   cmake -S <lammps>/cmake -DCMAKE_PROJECT_lammps_INCLUDE=<repo>/src/USER-SYMGNN/lammps-hook.cmake
# CMake includes this file right after LAMMPS' project(lammps CXX); the real work is deferred to
# the end of LAMMPS' top-level CMakeLists.txt (lammps-builtin.cmake), when the lammps target and
# the style-header machinery exist.
cmake_minimum_required(VERSION 3.19)
set(SYMGNN_PKG_DIR ${CMAKE_CURRENT_LIST_DIR} CACHE INTERNAL "USER-SYMGNN package directory")
# LAMMPS' project is C++ only; the SymGNN core is C11.
enable_language(C)
# Deferred-call arguments are evaluated when the call runs, so use the cached directory.
cmake_language(DEFER CALL include ${SYMGNN_PKG_DIR}/lammps-builtin.cmake)
