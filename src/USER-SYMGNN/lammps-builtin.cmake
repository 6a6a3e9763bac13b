# Runs at the end of LAMMPS' top-level CMakeLists.txt (deferred from lammps-hook.cmake): compiles
# compute symgnn/eb into liblammps, links the C core and OpenBLAS, regenerates the style headers
# and lists USER-SYMGNN among the installed packages (lmp -h).

# C core: every C source of the package, as a PIC static library linked into liblammps.
file(GLOB SYMGNN_CORE_SOURCES CONFIGURE_DEPENDS ${SYMGNN_PKG_DIR}/*.c)
add_library(symgnn_core_builtin STATIC ${SYMGNN_CORE_SOURCES})
set_target_properties(symgnn_core_builtin PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON
  POSITION_INDEPENDENT_CODE ON)
set(BLA_VENDOR OpenBLAS)
find_package(BLAS REQUIRED)
find_path(SYMGNN_CBLAS_INCLUDE cblas.h
  PATHS /usr/include/x86_64-linux-gnu/openblas-pthread /usr/include/openblas NO_DEFAULT_PATH)
if(NOT SYMGNN_CBLAS_INCLUDE)
  find_path(SYMGNN_CBLAS_INCLUDE cblas.h REQUIRED)
endif()
target_include_directories(symgnn_core_builtin PUBLIC ${SYMGNN_PKG_DIR}
  PRIVATE ${SYMGNN_CBLAS_INCLUDE})
target_link_libraries(symgnn_core_builtin PUBLIC ${BLAS_LIBRARIES} m)
# Same code generation as the project's symgnn_core (src/USER-SYMGNN/CMakeLists.txt).
find_package(OpenMP COMPONENTS C)
if(OpenMP_C_FOUND)
  target_link_libraries(symgnn_core_builtin PUBLIC OpenMP::OpenMP_C)
endif()
target_compile_options(symgnn_core_builtin PRIVATE -fopenmp-simd)

# The LAMMPS glue: compute_*.cpp only (symgnnplugin.cpp belongs to the plugin build).
file(GLOB SYMGNN_LAMMPS_SOURCES CONFIGURE_DEPENDS ${SYMGNN_PKG_DIR}/compute_*.cpp)
target_sources(lammps PRIVATE ${SYMGNN_LAMMPS_SOURCES})
target_include_directories(lammps PRIVATE ${SYMGNN_PKG_DIR})
target_link_libraries(lammps PRIVATE symgnn_core_builtin)

# The list of what LAMMPS compiled of the package, installed beside it so a test can check that
# the built-in route compiles the inference core and the glue and nothing else.
set(SYMGNN_BUILTIN_LIST ${SYMGNN_CORE_SOURCES} ${SYMGNN_LAMMPS_SOURCES})
list(JOIN SYMGNN_BUILTIN_LIST "\n" SYMGNN_BUILTIN_TEXT)
file(WRITE ${CMAKE_BINARY_DIR}/symgnn-builtin-sources.txt "${SYMGNN_BUILTIN_TEXT}\n")
install(FILES ${CMAKE_BINARY_DIR}/symgnn-builtin-sources.txt DESTINATION share/symgnn)

# Style headers: register the ComputeStyle() of compute_symgnn_eb.h and regenerate.
RegisterStyles(${SYMGNN_PKG_DIR})
GenerateStyleHeaders(${LAMMPS_STYLE_HEADERS_DIR})

# Installed-package list shown by lmp -h and `info config`.
file(READ ${LAMMPS_STYLE_HEADERS_DIR}/lmpinstalledpkgs.h SYMGNN_PKGS)
if(NOT SYMGNN_PKGS MATCHES "\"USER-SYMGNN\"")
  string(REPLACE "  NULL\n" "  \"USER-SYMGNN\",\n  NULL\n" SYMGNN_PKGS "${SYMGNN_PKGS}")
  file(WRITE ${LAMMPS_STYLE_HEADERS_DIR}/lmpinstalledpkgs.h "${SYMGNN_PKGS}")
endif()
message(STATUS "USER-SYMGNN built in from ${SYMGNN_PKG_DIR}")
