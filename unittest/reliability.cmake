# Reliability tests (issue 14): hostile data files, coincident atoms, trainer
# faults. Included from unittest/CMakeLists.txt.

# Every declared extended-XYZ column checked against its type; garbage never
# reaches the written output.
add_executable(test_xyz_columns test_xyz_columns.cpp)
target_link_libraries(test_xyz_columns PRIVATE symgnn_tools_common GTest::gtest_main)
gtest_discover_tests(test_xyz_columns)
