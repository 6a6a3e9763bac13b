# Included by the project's CMakeLists.txt when LAMMPS_SOURCE_DIR is set; the three LAMMPS entry
# points (this plugin build, lammps-hook.cmake and lammps-builtin.cmake) sit together here.
# symgnnplugin.so: compute symgnn/eb as a LAMMPS plugin, compiled against the LAMMPS source tree
# given by LAMMPS_SOURCE_DIR (its src/ directory; the plugin needs headers such as
# neigh_request.h and lammpsplugin.h that an installed LAMMPS does not ship). The C core is
# linked statically. Load it with `plugin load <dir>/symgnnplugin.so` or set
# LAMMPS_PLUGIN_PATH=<dir>.
get_filename_component(LAMMPS_SOURCE_DIR ${LAMMPS_SOURCE_DIR} ABSOLUTE)
if(NOT EXISTS ${LAMMPS_SOURCE_DIR}/lammpsplugin.h)
  message(FATAL_ERROR "LAMMPS_SOURCE_DIR=${LAMMPS_SOURCE_DIR} is not a LAMMPS src/ directory "
    "(no lammpsplugin.h)")
endif()
set(LAMMPS_HEADER_DIR ${LAMMPS_SOURCE_DIR})
# scripts/build-lammps.sh builds lmp without OpenMP; the plugin must agree.
set(BUILD_OMP OFF CACHE BOOL "LAMMPS was built with OpenMP")
list(APPEND CMAKE_MODULE_PATH ${LAMMPS_SOURCE_DIR}/../examples/plugins)
include(CheckIncludeFileCXX)
include(LAMMPSInterfaceCXX)

set(SYMGNN_PKG_DIR ${CMAKE_CURRENT_LIST_DIR})
file(STRINGS ${LAMMPS_SOURCE_DIR}/version.h SYMGNN_LAMMPS_VERSION_LINE
  REGEX "^#define LAMMPS_VERSION ")
message(STATUS "USER-SYMGNN plugin against ${LAMMPS_SOURCE_DIR}: ${SYMGNN_LAMMPS_VERSION_LINE}")

# symgnn_add_plugin(<target> <output dir> [compile definitions...])
function(symgnn_add_plugin target outdir)
  add_library(${target} MODULE ${SYMGNN_PKG_DIR}/symgnnplugin.cpp
    ${SYMGNN_PKG_DIR}/compute_symgnn_eb.cpp)
  target_link_libraries(${target} PRIVATE lammps symgnn_core)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  target_compile_definitions(${target} PRIVATE ${ARGN})
  # -z nodelete: LAMMPS unloads plugins at exit while the OpenMP runtime the plugin brought
  # in may still have idle worker threads; unmapping it under them would crash.
  set_target_properties(${target} PROPERTIES PREFIX "" SUFFIX ".so" OUTPUT_NAME symgnnplugin
    LIBRARY_OUTPUT_DIRECTORY ${outdir} LINK_FLAGS "-rdynamic -Wl,-z,nodelete")
endfunction()

symgnn_add_plugin(symgnnplugin ${CMAKE_BINARY_DIR}/plugin)
set(SYMGNN_PLUGIN_DIR ${CMAKE_BINARY_DIR}/plugin CACHE INTERNAL "directory of symgnnplugin.so")
install(TARGETS symgnnplugin LIBRARY DESTINATION lib/lammps/plugins)

if(SYMGNN_BUILD_TESTS)
  # Same plugin claiming another LAMMPS version: exercises the load-time refusal.
  symgnn_add_plugin(symgnnplugin_fakeversion ${CMAKE_BINARY_DIR}/lammps/fakeversion
    "SYMGNN_PLUGIN_LAMMPS_VERSION=\"1 Jan 2000\"")
  add_subdirectory(${PROJECT_SOURCE_DIR}/unittest/lammps ${CMAKE_BINARY_DIR}/lammps/tests)
  if(LAMMPS_BUILTIN_BINARY)
    # The built-in route compiles the inference core and the glue, nothing else.
    get_target_property(SYMGNN_CORE_SOURCES symgnn_core SOURCES)
    add_test(NAME architecture_builtin_sources
      COMMAND ${CMAKE_COMMAND} -DSRC=${PROJECT_SOURCE_DIR} -DCHECK=builtin
              -DLMP=${LAMMPS_BUILTIN_BINARY} "-DCORE_SOURCES=${SYMGNN_CORE_SOURCES}"
              -P ${PROJECT_SOURCE_DIR}/unittest/architecture.cmake)
  endif()
endif()
