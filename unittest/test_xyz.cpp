// Extended-XYZ reader/writer and regression metrics of the tools library.
#include "symgnn.h"
#include "symgnn_metrics.h"
#include "symgnn_xyz.h"
#include "temp_dir_test.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

using symgnn_test::identity_model;

using symgnn_test::slurp;

// A fresh directory per test (symgnn_test::TempDirTest).
class XyzTest : public symgnn_test::TempDirTest {
protected:
  // Read a file that must be rejected; returns the error message.
  std::string reject(const std::string &text, const char *label = "eb") const {
    const std::string p = write("bad.extxyz", text);
    symgnn_xyz *x = nullptr;
    char msg[512] = "";
    EXPECT_NE(symgnn_xyz_read(p.c_str(), label, &x, msg, sizeof msg), 0) << text;
    EXPECT_EQ(x, nullptr);
    symgnn_xyz_free(x);
    return msg;
  }
};

const char *kHeader =
    "Lattice=\"10 0 0 0 11 0 0 0 12\" Properties=id:I:1:species:S:1:pos:R:3:eb:R:1 pbc=\"T T T\"";

std::string three_atoms(const std::string &header = kHeader) {
  return "3\n" + header +
         "\n"
         "1 Cu 1.0 2.0 3.0 1.5\n"
         "2 Zr 4.5 5.25 6.125 2.25\n"
         "3 Cu 7 8 9.5 0.75\n";
}

// Properties value of line 2 of a written file.
std::string properties_of(const std::string &text) {
  const size_t l2 = text.find('\n') + 1;
  const std::string line = text.substr(l2, text.find('\n', l2) - l2);
  const size_t p = line.find("Properties=");
  if (p == std::string::npos) return "";
  const size_t b = p + 11;
  return line.substr(b, line.find(' ', b) - b);
}

size_t count(const std::string &hay, const std::string &needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

TEST_F(XyzTest, ReadsSpeciesPositionsLatticeAndLabel) {
  const std::string p = write("a.extxyz", three_atoms());
  symgnn_xyz *x = nullptr;
  char msg[512] = "";
  ASSERT_EQ(symgnn_xyz_read(p.c_str(), "eb", &x, msg, sizeof msg), 0) << msg;
  ASSERT_EQ(symgnn_xyz_natoms(x), 3);
  const double lat[9] = {10, 0, 0, 0, 11, 0, 0, 0, 12};
  for (int k = 0; k < 9; ++k) EXPECT_EQ(symgnn_xyz_lattice(x)[k], lat[k]);
  const double pos[9] = {1, 2, 3, 4.5, 5.25, 6.125, 7, 8, 9.5};
  for (int k = 0; k < 9; ++k) EXPECT_EQ(symgnn_xyz_positions(x)[k], pos[k]);
  EXPECT_STREQ(symgnn_xyz_species(x, 0), "Cu");
  EXPECT_STREQ(symgnn_xyz_species(x, 1), "Zr");
  EXPECT_STREQ(symgnn_xyz_species(x, 2), "Cu");
  ASSERT_TRUE(symgnn_xyz_has_label(x));
  EXPECT_EQ(symgnn_xyz_labels(x)[0], 1.5);
  EXPECT_EQ(symgnn_xyz_labels(x)[1], 2.25);
  EXPECT_EQ(symgnn_xyz_labels(x)[2], 0.75);
  symgnn_xyz_free(x);
}

TEST_F(XyzTest, LabelIsOptional) {
  const std::string p = write("a.extxyz", three_atoms());
  symgnn_xyz *x = nullptr;
  char msg[512] = "";
  ASSERT_EQ(symgnn_xyz_read(p.c_str(), "energy_barrier", &x, msg, sizeof msg), 0) << msg;
  EXPECT_FALSE(symgnn_xyz_has_label(x));
  EXPECT_EQ(symgnn_xyz_labels(x), nullptr);
  symgnn_xyz_free(x);
  ASSERT_EQ(symgnn_xyz_read(p.c_str(), nullptr, &x, msg, sizeof msg), 0) << msg;
  EXPECT_FALSE(symgnn_xyz_has_label(x));
  symgnn_xyz_free(x);
}

TEST_F(XyzTest, TriclinicLatticeRowsAreCellVectors) {
  const std::string p =
      write("tri.extxyz", "2\nProperties=species:S:1:pos:R:3 Lattice=\"10.5 0.0 "
                          "0.0 3.25 9.0 0.0 -1.5 2.0 8.75\"\nCu 0 0 0\nZr 1 1 1\n");
  symgnn_xyz *x = nullptr;
  char msg[512] = "";
  ASSERT_EQ(symgnn_xyz_read(p.c_str(), "eb", &x, msg, sizeof msg), 0) << msg;
  const double lat[9] = {10.5, 0, 0, 3.25, 9.0, 0, -1.5, 2.0, 8.75};
  for (int k = 0; k < 9; ++k) EXPECT_EQ(symgnn_xyz_lattice(x)[k], lat[k]) << k;
  symgnn_xyz_free(x);
}

TEST_F(XyzTest, AcceptsCrlfMissingPbcAndExtraFrames) {
  std::string text = "2\r\nLattice=\"5 0 0 0 5 0 0 0 5\" Properties=species:S:1:pos:R:3\r\n"
                     "Cu 0 0 0\r\nZr 2.5 2.5 2.5\r\n"
                     "1\nLattice=\"5 0 0 0 5 0 0 0 5\" Properties=species:S:1:pos:R:3\nAl 0 0 0\n";
  const std::string p = write("crlf.extxyz", text);
  symgnn_xyz *x = nullptr;
  char msg[512] = "";
  ASSERT_EQ(symgnn_xyz_read(p.c_str(), "eb", &x, msg, sizeof msg), 0) << msg;
  EXPECT_EQ(symgnn_xyz_natoms(x), 2);
  EXPECT_STREQ(symgnn_xyz_species(x, 1), "Zr");
  EXPECT_EQ(symgnn_xyz_positions(x)[5], 2.5);
  symgnn_xyz_free(x);
}

TEST_F(XyzTest, RoundTripAppendsColumnOnceAndKeepsHeader) {
  const std::string header = std::string(kHeader) +
                             " energy=-12.5 config_type=\"glass \\\"quenched\\\"\" "
                             "stress=[1, 2, 3] is_relaxed";
  const std::string in = write("in.extxyz", three_atoms(header));
  symgnn_xyz *x = nullptr;
  char msg[512] = "";
  ASSERT_EQ(symgnn_xyz_read(in.c_str(), "eb", &x, msg, sizeof msg), 0) << msg;
  const std::vector<double> pred = {1.25, -0.003125, 2.5e-7};
  const std::string out = path("out.extxyz");
  ASSERT_EQ(symgnn_xyz_write_with_column(x, out.c_str(), "eb_pred", pred.data(), msg, sizeof msg),
            0)
      << msg;
  const std::string text = slurp(out);
  const std::string props = properties_of(text);
  EXPECT_EQ(props, "id:I:1:species:S:1:pos:R:3:eb:R:1:eb_pred:R:1");
  EXPECT_EQ(count(text, "eb_pred"), 1u);
  // Every other header key is copied byte for byte.
  EXPECT_NE(text.find("energy=-12.5 config_type=\"glass \\\"quenched\\\"\" stress=[1, 2, 3] "
                      "is_relaxed"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Lattice=\"10 0 0 0 11 0 0 0 12\""), std::string::npos);
  EXPECT_NE(text.find("2 Zr 4.5 5.25 6.125 2.25 "), std::string::npos);

  symgnn_xyz *y = nullptr;
  ASSERT_EQ(symgnn_xyz_read(out.c_str(), "eb_pred", &y, msg, sizeof msg), 0) << msg;
  ASSERT_EQ(symgnn_xyz_natoms(y), 3);
  for (int k = 0; k < 9; ++k) {
    EXPECT_EQ(symgnn_xyz_lattice(y)[k], symgnn_xyz_lattice(x)[k]);
    EXPECT_EQ(symgnn_xyz_positions(y)[k], symgnn_xyz_positions(x)[k]);
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_STREQ(symgnn_xyz_species(y, i), symgnn_xyz_species(x, i));
    EXPECT_NEAR(symgnn_xyz_labels(y)[i], pred[i], 1e-7 * std::fabs(pred[i]));
  }
  symgnn_xyz_free(y);
  // The original label is still readable from the output.
  ASSERT_EQ(symgnn_xyz_read(out.c_str(), "eb", &y, msg, sizeof msg), 0) << msg;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(symgnn_xyz_labels(y)[i], symgnn_xyz_labels(x)[i]);
  symgnn_xyz_free(y);
  symgnn_xyz_free(x);
}

TEST_F(XyzTest, RewritingReplacesExistingColumnInPlace) {
  const std::string in = write("in.extxyz", three_atoms());
  symgnn_xyz *x = nullptr;
  char msg[512] = "";
  ASSERT_EQ(symgnn_xyz_read(in.c_str(), "eb", &x, msg, sizeof msg), 0) << msg;
  const std::vector<double> first = {1, 2, 3}, second = {-4.5, 5.5, 6.75};
  const std::string out1 = path("out1.extxyz"), out2 = path("out2.extxyz");
  ASSERT_EQ(symgnn_xyz_write_with_column(x, out1.c_str(), "eb_pred", first.data(), msg, 512), 0);
  symgnn_xyz_free(x);
  ASSERT_EQ(symgnn_xyz_read(out1.c_str(), "eb", &x, msg, sizeof msg), 0) << msg;
  ASSERT_EQ(symgnn_xyz_write_with_column(x, out2.c_str(), "eb_pred", second.data(), msg, 512), 0)
      << msg;
  // Replacing the original label column keeps its position too.
  ASSERT_EQ(symgnn_xyz_write_with_column(x, out1.c_str(), "eb", second.data(), msg, 512), 0);
  symgnn_xyz_free(x);

  const std::string text = slurp(out2);
  EXPECT_EQ(properties_of(text), "id:I:1:species:S:1:pos:R:3:eb:R:1:eb_pred:R:1");
  EXPECT_EQ(count(text, "eb_pred"), 1u);
  EXPECT_NE(text.find("2 Zr 4.5 5.25 6.125 2.25 5.5\n"), std::string::npos) << text;
  symgnn_xyz *y = nullptr;
  ASSERT_EQ(symgnn_xyz_read(out2.c_str(), "eb_pred", &y, msg, sizeof msg), 0) << msg;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(symgnn_xyz_labels(y)[i], second[i]);
  symgnn_xyz_free(y);

  const std::string text1 = slurp(out1);
  EXPECT_EQ(properties_of(text1), "id:I:1:species:S:1:pos:R:3:eb:R:1:eb_pred:R:1");
  EXPECT_NE(text1.find("3 Cu 7 8 9.5 6.75 3\n"), std::string::npos) << text1;
}

TEST_F(XyzTest, WriterRejectsBadColumnNamesAndNonFiniteValues) {
  const std::string in = write("in.extxyz", three_atoms());
  symgnn_xyz *x = nullptr;
  char msg[512] = "";
  ASSERT_EQ(symgnn_xyz_read(in.c_str(), "eb", &x, msg, sizeof msg), 0) << msg;
  const std::string out = path("out.extxyz");
  std::vector<double> v = {1, 2, 3};
  EXPECT_NE(symgnn_xyz_write_with_column(x, out.c_str(), "eb pred", v.data(), msg, 512), 0);
  EXPECT_NE(std::string(msg).find("column name"), std::string::npos) << msg;
  EXPECT_NE(symgnn_xyz_write_with_column(x, out.c_str(), "pos", v.data(), msg, 512), 0);
  EXPECT_NE(std::string(msg).find("'pos' cannot be replaced"), std::string::npos) << msg;
  v[1] = NAN;
  EXPECT_NE(symgnn_xyz_write_with_column(x, out.c_str(), "eb_pred", v.data(), msg, 512), 0);
  EXPECT_NE(std::string(msg).find("atom 2 is not finite"), std::string::npos) << msg;
  EXPECT_FALSE(std::ifstream(out).good()) << "nothing may be written on failure";
  const std::string missing_dir = path("no/such/dir/out.extxyz");
  v[1] = 2;
  EXPECT_NE(symgnn_xyz_write_with_column(x, missing_dir.c_str(), "eb_pred", v.data(), msg, 512), 0);
  EXPECT_NE(std::string(msg).find("temporary file"), std::string::npos) << msg;
  symgnn_xyz_free(x);
}

TEST_F(XyzTest, SeveralColumnsReplaceInPlaceAndAppendInOrder) {
  const std::string in = write("in.extxyz", three_atoms());
  symgnn_xyz *x = nullptr;
  char msg[512] = "";
  ASSERT_EQ(symgnn_xyz_read(in.c_str(), "eb", &x, msg, sizeof msg), 0) << msg;
  const std::vector<double> a = {1, 2, 3}, b = {0.5, 0.25, 0.125}, c = {-1, -2, -3};
  const char *names[3] = {"eb_std", "eb", "eb_pred"};
  const double *cols[3] = {b.data(), c.data(), a.data()};
  const std::string out = path("out.extxyz");
  ASSERT_EQ(symgnn_xyz_write_with_columns(x, out.c_str(), 3, names, cols, msg, 512), 0) << msg;
  const std::string text = slurp(out);
  // eb is replaced where it stands; the new columns follow in the order given.
  EXPECT_EQ(properties_of(text), "id:I:1:species:S:1:pos:R:3:eb:R:1:eb_std:R:1:eb_pred:R:1");
  EXPECT_NE(text.find("2 Zr 4.5 5.25 6.125 -2 0.25 2\n"), std::string::npos) << text;
  const char *twice[2] = {"eb_pred", "eb_pred"};
  EXPECT_NE(symgnn_xyz_write_with_columns(x, out.c_str(), 2, twice, cols, msg, 512), 0);
  EXPECT_NE(std::string(msg).find("'eb_pred' is given twice"), std::string::npos) << msg;
  EXPECT_EQ(slurp(out), text) << "a refused write leaves the previous file";
  symgnn_xyz_free(x);
}

TEST(Metrics, SpearmanRanksWithTies) {
  // Monotone but not linear: rank correlation 1, Pearson below 1.
  const double a[5] = {1, 2, 3, 4, 5}, b[5] = {1, 4, 9, 16, 1000};
  EXPECT_DOUBLE_EQ(symgnn_spearman(a, b, 5), 1.0);
  EXPECT_LT(symgnn_metrics_compute(a, b, 5).pearson, 0.9);
  const double rev[5] = {5, 4, 3, 2, 1};
  EXPECT_DOUBLE_EQ(symgnn_spearman(a, rev, 5), -1.0);
  // Ties share their mean rank: ranks of c are 1.5 1.5 3 4 5.
  const double c[5] = {7, 7, 8, 9, 10};
  const double rc[5] = {1.5, 1.5, 3, 4, 5};
  EXPECT_NEAR(symgnn_spearman(a, c, 5), symgnn_metrics_compute(a, rc, 5).pearson, 1e-15);
  const double flat[3] = {2, 2, 2};
  EXPECT_TRUE(std::isnan(symgnn_spearman(a, flat, 3)));
  EXPECT_TRUE(std::isnan(symgnn_spearman(a, b, 1)));
}

// ---------------------------------------------------------------- bad input

#define EXPECT_HAS(haystack, needle)                                                               \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "message: " << (haystack)

TEST_F(XyzTest, MissingFile) {
  symgnn_xyz *x = nullptr;
  char msg[512] = "";
  EXPECT_NE(symgnn_xyz_read(path("nope.extxyz").c_str(), "eb", &x, msg, 512), 0);
  EXPECT_HAS(msg, "cannot open");
}

TEST_F(XyzTest, EmptyFile) { EXPECT_HAS(reject(""), "file is empty"); }

TEST_F(XyzTest, MessagesStartWithTheFileName) {
  EXPECT_EQ(reject("x\n").rfind(path("bad.extxyz") + ": line 1: ", 0), 0u);
}

TEST_F(XyzTest, GarbledAtomCount) {
  const std::string m = reject("3 atoms\n" + std::string(kHeader) + "\n");
  EXPECT_HAS(m, "line 1: atom count '3 atoms' is not a positive integer");
  EXPECT_HAS(reject("-2\n"), "line 1: atom count");
  EXPECT_HAS(reject("\n"), "line 1: atom count");
}

TEST_F(XyzTest, MissingHeaderLine) { EXPECT_HAS(reject("3\n"), "line 2: file ends"); }

TEST_F(XyzTest, FewerAtomLinesThanDeclared) {
  std::string text = three_atoms();
  text[0] = '5';
  EXPECT_HAS(reject(text), "line 6: file ends after 3 atom lines, but line 1 declares 5 atoms");
}

TEST_F(XyzTest, WrongColumnCountNamesTheLine) {
  std::string text = three_atoms();
  text.replace(text.find("6.125 2.25"), 10, "6.125");
  EXPECT_HAS(reject(text), "line 4 (atom 2): 5 columns, but Properties declares 6");
}

TEST_F(XyzTest, NonNumericCoordinate) {
  std::string text = three_atoms();
  text.replace(text.find("8 9.5"), 1, "8x");
  EXPECT_HAS(reject(text), "line 5 (atom 3), column 4 (pos:R:3): '8x' is not a real number");
}

TEST_F(XyzTest, NanCoordinate) {
  std::string text = three_atoms();
  text.replace(text.find("2.0 3.0"), 3, "nan");
  EXPECT_HAS(reject(text), "line 3 (atom 1), column 4 (pos:R:3): 'nan' is not a real number");
}

TEST_F(XyzTest, InfiniteLabel) {
  std::string text = three_atoms();
  text.replace(text.find("0.75"), 4, "-inf");
  EXPECT_HAS(reject(text), "line 5 (atom 3), column 6 (eb:R:1): '-inf' is not a real number");
}

TEST_F(XyzTest, NonNumericLabel) {
  std::string text = three_atoms();
  text.replace(text.find("2.25"), 4, "high");
  EXPECT_HAS(reject(text), "line 4 (atom 2), column 6 (eb:R:1): 'high' is not a real number");
}

TEST_F(XyzTest, MissingLattice) {
  EXPECT_HAS(reject(three_atoms("Properties=id:I:1:species:S:1:pos:R:3:eb:R:1 pbc=\"T T T\"")),
             "line 2: no Lattice=");
}

TEST_F(XyzTest, LatticeWithWrongCount) {
  EXPECT_HAS(reject(three_atoms("Lattice=\"10 0 0 0 11 0 0 0\" "
                                "Properties=id:I:1:species:S:1:pos:R:3:eb:R:1")),
             "line 2: Lattice has 8 numbers, expected 9");
  EXPECT_HAS(reject(three_atoms("Lattice=\"10 0 0 0 11 0 0 0 z\" "
                                "Properties=id:I:1:species:S:1:pos:R:3:eb:R:1")),
             "line 2: Lattice entry 'z' is not a number");
}

TEST_F(XyzTest, DegenerateLattice) {
  // c = a + b: coplanar vectors, zero volume.
  EXPECT_HAS(reject(three_atoms("Lattice=\"10 0 0 0 11 0 10 11 0\" "
                                "Properties=id:I:1:species:S:1:pos:R:3:eb:R:1")),
             "line 2: Lattice is degenerate");
}

TEST_F(XyzTest, NonPeriodicInputIsNotSupported) {
  EXPECT_HAS(reject(three_atoms("Lattice=\"10 0 0 0 11 0 0 0 12\" "
                                "Properties=id:I:1:species:S:1:pos:R:3:eb:R:1 pbc=\"T T F\"")),
             "non-periodic input is not supported");
  EXPECT_HAS(reject(three_atoms("Lattice=\"10 0 0 0 11 0 0 0 12\" "
                                "Properties=id:I:1:species:S:1:pos:R:3:eb:R:1 pbc=\"T T\"")),
             "must hold three T/F flags");
}

TEST_F(XyzTest, MissingProperties) {
  EXPECT_HAS(reject(three_atoms("Lattice=\"10 0 0 0 11 0 0 0 12\"")), "line 2: no Properties=");
}

TEST_F(XyzTest, MissingPosColumn) {
  EXPECT_HAS(reject(three_atoms("Lattice=\"10 0 0 0 11 0 0 0 12\" "
                                "Properties=id:I:1:species:S:1:p:R:3:eb:R:1")),
             "no pos:R:3 column");
}

TEST_F(XyzTest, MissingSpeciesColumn) {
  EXPECT_HAS(reject(three_atoms("Lattice=\"10 0 0 0 11 0 0 0 12\" "
                                "Properties=id:I:1:type:S:1:pos:R:3:eb:R:1")),
             "no species:S:1 column");
}

TEST_F(XyzTest, MalformedProperties) {
  EXPECT_HAS(reject(three_atoms("Lattice=\"10 0 0 0 11 0 0 0 12\" "
                                "Properties=id:I:1:species:S:1:pos:R")),
             "not a list of name:type:ncols triples");
  EXPECT_HAS(reject(three_atoms("Lattice=\"10 0 0 0 11 0 0 0 12\" "
                                "Properties=id:I:1:species:S:1:pos:X:3:eb:R:1")),
             "property 'pos' has type 'X'");
  EXPECT_HAS(reject(three_atoms("Lattice=\"10 0 0 0 11 0 0 0 12\" "
                                "Properties=id:I:1:species:S:1:pos:R:three:eb:R:1")),
             "property 'pos' has column count 'three'");
  EXPECT_HAS(reject(three_atoms("Lattice=\"10 0 0 0 11 0 0 0 12\" "
                                "Properties=id:I:1:species:S:1:pos:R:2:eb:R:1")),
             "column 'pos' is pos:R:2, expected pos:R:3");
}

TEST_F(XyzTest, LabelColumnOfWrongType) {
  EXPECT_HAS(reject(three_atoms("Lattice=\"10 0 0 0 11 0 0 0 12\" "
                                "Properties=id:I:1:species:S:1:pos:R:3:eb:S:1")),
             "column 'eb' is eb:S:1, expected eb:R:1");
}

TEST_F(XyzTest, UnterminatedQuote) {
  EXPECT_HAS(reject(three_atoms("Lattice=\"10 0 0 0 11 0 0 0 12 "
                                "Properties=id:I:1:species:S:1:pos:R:3:eb:R:1")),
             "value of key 'Lattice' has no closing double quote");
}

TEST_F(XyzTest, DuplicateKey) {
  EXPECT_HAS(reject(three_atoms(std::string(kHeader) + " lattice=\"1 0 0 0 1 0 0 0 1\"")),
             "key 'Lattice' appears twice");
}

// ------------------------------------------------------- species to model

TEST_F(XyzTest, SpeciesMapToModelElements) {
  const char *names[2] = {"Zr", "Cu"};
  symgnn_arch arch;
  symgnn_arch_default(&arch, 2, names);
  symgnn_error err;
  symgnn_model *model = identity_model(arch, 7, &err);
  ASSERT_NE(model, nullptr) << err.message;

  const std::string p = write("a.extxyz", three_atoms());
  symgnn_xyz *x = nullptr;
  char msg[512] = "";
  ASSERT_EQ(symgnn_xyz_read(p.c_str(), "eb", &x, msg, sizeof msg), 0) << msg;
  int idx[3] = {-1, -1, -1};
  ASSERT_EQ(symgnn_xyz_species_indices(x, model, idx, msg, sizeof msg), 0) << msg;
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(idx[i], symgnn_model_element_index(model, symgnn_xyz_species(x, i)));
  EXPECT_EQ(idx[0], 1);
  EXPECT_EQ(idx[1], 0);
  symgnn_xyz_free(x);

  std::string text = three_atoms();
  text.replace(text.find("3 Cu"), 4, "3 Al");
  const std::string q = write("al.extxyz", text);
  ASSERT_EQ(symgnn_xyz_read(q.c_str(), "eb", &x, msg, sizeof msg), 0) << msg;
  EXPECT_NE(symgnn_xyz_species_indices(x, model, idx, msg, sizeof msg), 0);
  EXPECT_HAS(msg, "unknown species 'Al' (atom 3, line 5)");
  EXPECT_HAS(msg, "elements are Zr Cu");
  symgnn_xyz_free(x);
  symgnn_model_free(model);
}

// ------------------------------------------------------------------ metrics

TEST(Metrics, HandComputedSmallVectors) {
  const double pred[4] = {1, 2, 3, 4};
  const double ref[4] = {2, 2, 4, 5};
  const symgnn_metrics m = symgnn_metrics_compute(pred, ref, 4);
  // Errors -1, 0, -1, -1. Deviations from the means 2.5 and 3.25:
  // pred -1.5 -0.5 0.5 1.5 (sum of squares 5), ref -1.25 -1.25 0.75 1.75 (6.75),
  // cross products 1.875 + 0.625 + 0.375 + 2.625 = 5.5.
  EXPECT_EQ(m.n, 4u);
  EXPECT_DOUBLE_EQ(m.mae, 0.75);
  EXPECT_DOUBLE_EQ(m.rmse, std::sqrt(0.75));
  EXPECT_NEAR(m.pearson, 5.5 / std::sqrt(5.0 * 6.75), 1e-14);
  EXPECT_NEAR(m.r2, 1.0 - 3.0 / 6.75, 1e-14);
}

TEST(Metrics, PerfectAndAntiCorrelated) {
  const double a[3] = {0.5, 1.5, 4.0};
  const double neg[3] = {-0.5, -1.5, -4.0};
  symgnn_metrics m = symgnn_metrics_compute(a, a, 3);
  EXPECT_DOUBLE_EQ(m.pearson, 1.0);
  EXPECT_DOUBLE_EQ(m.r2, 1.0);
  EXPECT_EQ(m.mae, 0.0);
  EXPECT_EQ(m.rmse, 0.0);
  m = symgnn_metrics_compute(neg, a, 3);
  EXPECT_DOUBLE_EQ(m.pearson, -1.0);
  EXPECT_LT(m.r2, 0.0);
}

TEST(Metrics, DegenerateInputsGiveNaN) {
  const double c[3] = {2, 2, 2};
  const double v[3] = {1, 2, 3};
  symgnn_metrics m = symgnn_metrics_compute(v, c, 3);
  EXPECT_TRUE(std::isnan(m.pearson));
  EXPECT_TRUE(std::isnan(m.r2));
  EXPECT_DOUBLE_EQ(m.mae, 2.0 / 3.0);
  m = symgnn_metrics_compute(v, v, 0);
  EXPECT_EQ(m.n, 0u);
  EXPECT_TRUE(std::isnan(m.mae) && std::isnan(m.rmse) && std::isnan(m.pearson));
}

TEST(Metrics, MergeEqualsOnePass) {
  std::mt19937_64 gen(3);
  std::normal_distribution<double> nd(1.7, 0.3);
  std::vector<double> p(1001), r(1001);
  for (size_t i = 0; i < p.size(); ++i) {
    r[i] = nd(gen);
    p[i] = 0.6 * r[i] + 0.4 * nd(gen);
  }
  const symgnn_metrics all = symgnn_metrics_compute(p.data(), r.data(), p.size());
  symgnn_metrics_acc a, b, empty;
  symgnn_metrics_init(&a);
  symgnn_metrics_init(&b);
  symgnn_metrics_init(&empty);
  for (size_t i = 0; i < 377; ++i) symgnn_metrics_add(&a, p[i], r[i]);
  for (size_t i = 377; i < p.size(); ++i) symgnn_metrics_add(&b, p[i], r[i]);
  symgnn_metrics_merge(&a, &b);
  symgnn_metrics_merge(&a, &empty);
  const symgnn_metrics merged = symgnn_metrics_finish(&a);
  EXPECT_EQ(merged.n, all.n);
  EXPECT_NEAR(merged.pearson, all.pearson, 1e-12);
  EXPECT_NEAR(merged.r2, all.r2, 1e-12);
  EXPECT_NEAR(merged.mae, all.mae, 1e-12);
  EXPECT_NEAR(merged.rmse, all.rmse, 1e-12);
  // Two-pass reference for the Pearson coefficient.
  double mp = 0, mr = 0;
  for (size_t i = 0; i < p.size(); ++i) mp += p[i], mr += r[i];
  mp /= p.size();
  mr /= r.size();
  double spp = 0, srr = 0, spr = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    spp += (p[i] - mp) * (p[i] - mp);
    srr += (r[i] - mr) * (r[i] - mr);
    spr += (p[i] - mp) * (r[i] - mr);
  }
  EXPECT_NEAR(all.pearson, spr / std::sqrt(spp * srr), 1e-12);
}

TEST(Metrics, Summary) {
  const double v[4] = {3, 1, 4, 2};
  const symgnn_summary s = symgnn_summary_compute(v, 4);
  EXPECT_DOUBLE_EQ(s.mean, 2.5);
  EXPECT_EQ(s.min, 1.0);
  EXPECT_EQ(s.max, 4.0);
  EXPECT_DOUBLE_EQ(s.std, std::sqrt(1.25)); // population std: mean squared deviation 5/4
  EXPECT_TRUE(std::isnan(symgnn_summary_compute(v, 0).mean));
}

} // namespace
