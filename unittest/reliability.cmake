# Reliability tests: hostile data files, coincident atoms, trainer
# faults. Included from unittest/CMakeLists.txt.

# Every declared extended-XYZ column checked against its type; garbage never
# reaches the written output.
add_executable(test_xyz_columns test_xyz_columns.cpp)
target_link_libraries(test_xyz_columns PRIVATE symgnn_tools_common GTest::gtest_main)
gtest_discover_tests(test_xyz_columns)

# symgnn-train killed with SIGKILL at random moments, restarted, compared with
# an uninterrupted run; stale temporaries; a full disk (tmpfs, skipped when
# mounting is not permitted).
if(SYMGNN_BUILD_TRAINER)
  add_executable(test_trainer_faults test_trainer_faults.cpp)
  target_link_libraries(test_trainer_faults PRIVATE symgnn_core GTest::gtest_main)
  target_compile_definitions(test_trainer_faults PRIVATE
    SYMGNN_TRAIN_EXE="$<TARGET_FILE:symgnn-train>")
  add_dependencies(test_trainer_faults symgnn-train)
  gtest_discover_tests(test_trainer_faults DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)
endif()

# The graph builder's input rules: coincident atoms, the coordinate range.
add_executable(test_graph_limits test_graph_limits.cpp)
target_link_libraries(test_graph_limits PRIVATE symgnn_core GTest::gtest_main)
target_include_directories(test_graph_limits PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
gtest_discover_tests(test_graph_limits)

# Fuzz smoke runs (tools/fuzz, built only by clang with libFuzzer, e.g. by
# scripts/sanitize.sh): each harness over its seed corpus, then a few seconds
# of mutations. New inputs go to a scratch directory listed first, never into
# the committed corpus; a crash is written next to it.
set(SYMGNN_FUZZ_SECONDS 3 CACHE STRING "Mutation time of each fuzz smoke test (seconds)")
foreach(h model xyz config)
  if(TARGET fuzz_${h})
    set(scratch ${CMAKE_CURRENT_BINARY_DIR}/fuzz_scratch_${h})
    file(MAKE_DIRECTORY ${scratch})
    add_test(NAME fuzz_smoke_${h}
      COMMAND fuzz_${h} -max_total_time=${SYMGNN_FUZZ_SECONDS} -timeout=20 -rss_limit_mb=2048
              -artifact_prefix=${CMAKE_CURRENT_BINARY_DIR}/fuzz_crash_${h}_ ${scratch}
              ${CMAKE_SOURCE_DIR}/tools/fuzz/corpus/${h})
    set_tests_properties(fuzz_smoke_${h} PROPERTIES TIMEOUT 120)
  endif()
endforeach()
