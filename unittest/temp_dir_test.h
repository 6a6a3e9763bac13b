// The tests' scratch-directory fixture: every test gets a fresh directory of its own, removed
// afterwards, so tests never see each other's files and can run in parallel; command-line
// tools run with their output captured there.
#ifndef SYMGNN_TEMP_DIR_TEST_H
#define SYMGNN_TEMP_DIR_TEST_H

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <stdlib.h>
#include <sys/wait.h>

namespace symgnn_test {

// Whole contents of a file ("" when it cannot be read).
inline std::string slurp(const std::string &p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A command-line tool's run: exit status (-1 when it did not exit normally), its
// output, and the "key: value" lines of its stdout.
struct ToolRun {
  int status = -1;
  std::string out, err;
  std::map<std::string, std::string> keys;
};

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

  // Run `exe` with shell-quoted arguments and stdin from /dev/null, capturing stdout and
  // stderr in the directory.
  ToolRun run_tool(const std::string &exe, const std::vector<std::string> &args) const {
    std::string cmd = "'" + exe + "'";
    for (const std::string &a : args) cmd += " '" + a + "'";
    cmd += " >'" + path("stdout") + "' 2>'" + path("stderr") + "' </dev/null";
    ToolRun r;
    const int ws = std::system(cmd.c_str());
    if (ws != -1 && WIFEXITED(ws)) r.status = WEXITSTATUS(ws);
    r.out = slurp(path("stdout"));
    r.err = slurp(path("stderr"));
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      const size_t c = line.find(": ");
      if (c != std::string::npos) r.keys[line.substr(0, c)] = line.substr(c + 2);
    }
    return r;
  }

  std::string dir_;
};

} // namespace symgnn_test

#endif
