// The tests' scratch-directory fixture: every test gets a fresh directory of its own, removed
// afterwards, so tests never see each other's files and can run in parallel.
#ifndef SYMGNN_TEMP_DIR_TEST_H
#define SYMGNN_TEMP_DIR_TEST_H

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <stdlib.h>

namespace symgnn_test {

class TempDirTest : public ::testing::Test {
protected:
  // Derived fixtures that do more call this first (and stop on a fatal failure).
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "symgnn_test_XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    ASSERT_NE(mkdtemp(buf.data()), nullptr);
    dir_ = buf.data();
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // A file name inside the directory.
  std::string path(const std::string &name) const { return dir_ + "/" + name; }
  // Write `text` (bytes as given) to a file of the directory; returns its path.
  std::string write(const std::string &name, const std::string &text) const {
    std::ofstream(path(name), std::ios::binary) << text;
    return path(name);
  }

  std::string dir_;
};

} // namespace symgnn_test

#endif
