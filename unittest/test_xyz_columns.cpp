// Extended-XYZ reader: every declared column is checked against its type (R a
// finite decimal real, I an integer, L a logical), every byte is text (no
// control character, valid UTF-8), and whatever the reader accepts, the writer
// writes back as a file the reader (and so ASE and OVITO) accepts again.
#include "symgnn_xyz.h"
#include "temp_dir_test.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

class XyzColumns : public symgnn_test::TempDirTest {
protected:
  // Read `text`; returns the message ("" when it was accepted).
  std::string read(const std::string &text, symgnn_xyz **out = nullptr) const {
    const std::string p = write("in.extxyz", text);
    symgnn_xyz *x = nullptr;
    char msg[512] = "";
    const int rc = symgnn_xyz_read(p.c_str(), "eb", &x, msg, sizeof msg);
    if (rc == 0) EXPECT_NE(x, nullptr);
    if (out)
      *out = x;
    else
      symgnn_xyz_free(x);
    return rc == 0 ? "" : msg;
  }
};

// Three atoms with an unused real column (charge), an integer id, a logical
// flag and a free string column (note).
const char *kHeader = "Lattice=\"10 0 0 0 11 0 0 0 12\" "
                      "Properties=id:I:1:species:S:1:pos:R:3:charge:R:1:fixed:L:1:note:S:1:eb:R:1 "
                      "pbc=\"T T T\"";

std::string config(const std::string &charge2 = "0.25", const std::string &id2 = "2",
                   const std::string &fixed2 = "F", const std::string &note2 = "ok") {
  return std::string("3\n") + kHeader + "\n1 Cu 1.0 2.0 3.0 -0.5 T a 1.5\n" + id2 +
         " Zr 4.5 5.25 6.125 " + charge2 + " " + fixed2 + " " + note2 + " 2.25\n" +
         "3 Cu 7 8 9.5 1e-3 False c 0.75\n";
}

#define EXPECT_HAS(haystack, needle)                                                               \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "message: " << (haystack)

TEST_F(XyzColumns, ValidColumnsOfEveryTypeAreAccepted) {
  EXPECT_EQ(read(config("+.5", "-7", "True", "\xc3\xa9t\xc3\xa9")), "");
  EXPECT_EQ(read(config("3.", "+0", "T", "x")), "");
  EXPECT_EQ(read(config("-1.25E+02", "12", "false", "y")), "");
}

TEST_F(XyzColumns, GarbageInAnUnusedRealColumnNamesLineAndColumn) {
  EXPECT_HAS(read(config("0.2x5")),
             "line 4 (atom 2), column 6 (charge:R:1): '0.2x5' is not a real number");
  EXPECT_HAS(read(config("0x1p3")), "column 6 (charge:R:1): '0x1p3' is not a real number");
  EXPECT_HAS(read(config("inf")), "column 6 (charge:R:1): 'inf' is not a real number");
  EXPECT_HAS(read(config("NaN")), "column 6 (charge:R:1): 'NaN' is not a real number");
  EXPECT_HAS(read(config("1e")), "column 6 (charge:R:1): '1e' is not a real number");
  EXPECT_HAS(read(config(".")), "column 6 (charge:R:1): '.' is not a real number");
  EXPECT_HAS(read(config("1e999")),
             "line 4 (atom 2), column 6 (charge:R:1): '1e999' is not finite");
}

TEST_F(XyzColumns, IntegerAndLogicalColumnsAreChecked) {
  EXPECT_HAS(read(config("0.25", "2.0")),
             "line 4 (atom 2), column 1 (id:I:1): '2.0' is not an integer");
  EXPECT_HAS(read(config("0.25", "12345678901234567890")), "is not an integer");
  EXPECT_HAS(read(config("0.25", "2", "yes")),
             "line 4 (atom 2), column 7 (fixed:L:1): 'yes' is not a logical (T, F, True or False)");
}

TEST_F(XyzColumns, ControlCharactersAndInvalidUtf8AreRefused) {
  EXPECT_HAS(read(config("0.25", "2", "F", "a\x01z")),
             "line 4: byte 29 is the control character 0x01");
  EXPECT_HAS(read(config("0.25", "2", "F", "a\xff")), "line 4: byte 29 (0xff) is not valid UTF-8");
  EXPECT_HAS(read(config("0.25", "2", "F", "\xc3")), "line 4: byte 28 (0xc3) is not valid UTF-8");
  // Overlong encoding of '/' and a UTF-16 surrogate.
  EXPECT_HAS(read(config("0.25", "2", "F", "\xe0\x80\xaf")), "is not valid UTF-8");
  EXPECT_HAS(read(config("0.25", "2", "F", "\xed\xa0\x80")), "is not valid UTF-8");
  std::string nul = config();
  nul.insert(nul.find(" Zr"), 1, '\0');
  EXPECT_HAS(read(nul), "line 4: byte 2 is the control character 0x00");
  std::string header = config();
  header.insert(header.find("pbc"), "\x7f");
  EXPECT_HAS(read(header), "line 2: byte ");
  EXPECT_HAS(read(header), "is the control character 0x7f");
  // A tab separates columns like a blank.
  std::string tabs = config();
  tabs.replace(tabs.find(" Zr"), 1, "\t");
  EXPECT_EQ(read(tabs), "");
}

// Random bytes in the unused real column: each file is refused, or what is
// accepted is written back as a file that is accepted again with the same
// atoms, and whose charge column is a decimal real on every line.
TEST_F(XyzColumns, RandomGarbageInRealColumnNeverReachesTheOutput) {
  std::mt19937_64 rng(14);
  std::uniform_int_distribution<int> byte(1, 255), len(1, 6);
  int refused = 0, accepted = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::string g;
    const int n = len(rng);
    const std::string number_chars = "0123456789.eE+-";
    for (int k = 0; k < n; ++k) {
      // One trial in four from the characters of numbers, so many are accepted.
      char c = trial % 4 ? (char)byte(rng) : number_chars[byte(rng) % number_chars.size()];
      if (c == '\n' || c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f') c = '7';
      g += c;
    }
    symgnn_xyz *x = nullptr;
    const std::string msg = read(config(g), &x);
    if (!msg.empty()) {
      ++refused;
      EXPECT_NE(msg.find("line 4"), std::string::npos) << msg;
      continue;
    }
    ++accepted;
    const double v[3] = {1, 2, 3};
    char wmsg[512] = "";
    ASSERT_EQ(symgnn_xyz_write_with_column(x, path("out.extxyz").c_str(), "eb_pred", v, wmsg,
                                           sizeof wmsg),
              0)
        << wmsg;
    symgnn_xyz_free(x);
    symgnn_xyz *y = nullptr;
    ASSERT_EQ(symgnn_xyz_read(path("out.extxyz").c_str(), "eb_pred", &y, wmsg, sizeof wmsg), 0)
        << "garbage '" << g << "' accepted, output refused: " << wmsg;
    EXPECT_EQ(symgnn_xyz_natoms(y), 3);
    symgnn_xyz_free(y);
    std::ifstream out(path("out.extxyz"));
    std::string line;
    for (int l = 0; l < 3; ++l) std::getline(out, line);
    std::getline(out, line); // atom 2: the garbled one
    std::istringstream cols(line);
    std::vector<std::string> tok;
    for (std::string t; cols >> t;) tok.push_back(t);
    ASSERT_EQ(tok.size(), 10u) << line;
    char *end = nullptr;
    std::strtod(tok[5].c_str(), &end);
    EXPECT_EQ(*end, '\0') << "charge column '" << tok[5] << "'";
  }
  // Both paths ran: random bytes are refused, some number-like strings pass.
  EXPECT_GT(refused, 300);
  EXPECT_GT(accepted, 10);
}

} // namespace
