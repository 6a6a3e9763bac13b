// symgnn-predict run as a user would: exit codes, the key: value summary on
// stdout, errors on stderr, and the written eb_pred column checked against the
// library's own prediction for the same configuration.
#include "symgnn.h"
#include "symgnn_metrics.h"
#include "symgnn_xyz.h"
#include "temp_dir_test.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#ifndef SYMGNN_PREDICT_EXE
#error "SYMGNN_PREDICT_EXE must name the symgnn-predict executable"
#endif
#ifndef SYMGNN_DATA_DIR
#define SYMGNN_DATA_DIR ""
#endif

namespace {

using symgnn_test::slurp;
using symgnn_test::ToolRun;

class PredictCli : public symgnn_test::TempDirTest {
protected:
  void TearDown() override {
    umount((dir_ + "/tmpfs").c_str()); // FullDiskKeepsThePreviousOutput's, if still mounted
    symgnn_model_free(model_);
    TempDirTest::TearDown();
  }

  // Run symgnn-predict with shell-quoted arguments, capturing stdout and stderr.
  ToolRun invoke(const std::vector<std::string> &args) const {
    return run_tool(SYMGNN_PREDICT_EXE, args);
  }

  // Random Cu/Zr model with three transforms and a label normalization.
  std::string write_model() {
    const char *names[2] = {"Cu", "Zr"};
    symgnn_arch arch;
    symgnn_arch_default(&arch, 2, names);
    const double t[27] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0,  -1, 0,
                          0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, -1, 0};
    symgnn_error err;
    EXPECT_EQ(symgnn_model_create(&arch, 3, t, 11, &model_, &err), SYMGNN_OK) << err.message;
    symgnn_model_set_label_norm(model_, 1.6, 0.3);
    const std::string p = path("model.symgnn");
    EXPECT_EQ(symgnn_model_write(model_, p.c_str(), &err), SYMGNN_OK) << err.message;
    return p;
  }

  // n random atoms at least dmin apart (periodic images included) in a cubic
  // box of side L, 64 % Cu, with a random eb column.
  std::string write_config(const std::string &name, int n, double L, double dmin,
                           const char *other = "Zr") const {
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> u(0.0, L);
    std::vector<double> pos;
    while ((int)pos.size() < 3 * n) {
      const double r[3] = {u(rng), u(rng), u(rng)};
      bool ok = true;
      for (size_t j = 0; ok && j < pos.size(); j += 3) {
        double d2 = 0.0;
        for (int k = 0; k < 3; ++k) {
          double d = r[k] - pos[j + k];
          d -= L * std::round(d / L);
          d2 += d * d;
        }
        ok = d2 >= dmin * dmin;
      }
      if (ok) pos.insert(pos.end(), r, r + 3);
    }
    std::ostringstream s;
    s.precision(10);
    s << n << "\nLattice=\"" << L << " 0 0 0 " << L << " 0 0 0 " << L
      << "\" Properties=species:S:1:pos:R:3:eb:R:1 pbc=\"T T T\" comment=\"made by the test\"\n";
    std::normal_distribution<double> eb(1.6, 0.3);
    for (int i = 0; i < n; ++i)
      s << (i % 25 < 16 ? "Cu" : other) << " " << pos[3 * i] << " " << pos[3 * i + 1] << " "
        << pos[3 * i + 2] << " " << eb(rng) << "\n";
    std::ofstream(path(name)) << s.str();
    return path(name);
  }

  // In-process prediction of the library for a configuration file.
  std::vector<double> library_prediction(const std::string &xyz_path) const {
    symgnn_xyz *x = nullptr;
    char msg[512] = "";
    EXPECT_EQ(symgnn_xyz_read(xyz_path.c_str(), nullptr, &x, msg, sizeof msg), 0) << msg;
    const int n = symgnn_xyz_natoms(x);
    std::vector<int> species(n);
    EXPECT_EQ(symgnn_xyz_species_indices(x, model_, species.data(), msg, sizeof msg), 0) << msg;
    symgnn_graph *g = nullptr;
    symgnn_eval *ev = nullptr;
    symgnn_error err;
    std::vector<double> eb(n, NAN);
    EXPECT_EQ(symgnn_graph_build(n, symgnn_xyz_positions(x), symgnn_xyz_lattice(x), species.data(),
                                 symgnn_model_arch(model_)->cutoff, &g, &err),
              SYMGNN_OK)
        << err.message;
    EXPECT_EQ(symgnn_eval_create(model_, &ev, &err), SYMGNN_OK) << err.message;
    const symgnn_graph_view v = symgnn_graph_get_view(g);
    EXPECT_EQ(symgnn_predict(ev, &v, eb.data(), &err), SYMGNN_OK) << err.message;
    symgnn_eval_free(ev);
    symgnn_graph_free(g);
    symgnn_xyz_free(x);
    return eb;
  }

  symgnn_model *model_ = nullptr;
};

TEST_F(PredictCli, PredictsSmallConfigurationAndWritesEbPred) {
  const std::string model = write_model();
  const std::string in = write_config("in.extxyz", 100, 12.0, 2.0);
  const std::string out = path("out.extxyz");
  const ToolRun r = invoke({model, in, "-o", out});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.keys.at("model"), model);
  EXPECT_EQ(r.keys.at("input"), in);
  EXPECT_EQ(r.keys.at("elements"), "Cu Zr");
  EXPECT_EQ(r.keys.at("atoms"), "100");
  EXPECT_EQ(r.keys.at("label"), "eb");
  EXPECT_EQ(r.keys.at("output"), out);
  EXPECT_GT(std::stoll(r.keys.at("edges")), 100); // self-loops plus neighbours
  EXPECT_GE(std::stod(r.keys.at("forward_seconds")), 0.0);

  // Every atom got a finite eb_pred equal to the library's prediction.
  symgnn_xyz *x = nullptr;
  char msg[512] = "";
  ASSERT_EQ(symgnn_xyz_read(out.c_str(), "eb_pred", &x, msg, sizeof msg), 0) << msg;
  ASSERT_EQ(symgnn_xyz_natoms(x), 100);
  ASSERT_TRUE(symgnn_xyz_has_label(x));
  const std::vector<double> expect = library_prediction(in);
  std::vector<double> pred(symgnn_xyz_labels(x), symgnn_xyz_labels(x) + 100);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(std::isfinite(pred[i])) << i;
    EXPECT_NEAR(pred[i], expect[i], 1e-7 * (1.0 + std::fabs(expect[i]))) << i;
  }
  symgnn_xyz_free(x);
  EXPECT_EQ(slurp(out).find("eb_pred"), slurp(out).rfind("eb_pred")) << "eb_pred appears twice";

  // The printed statistics and metrics describe these predictions and labels.
  ASSERT_EQ(symgnn_xyz_read(in.c_str(), "eb", &x, msg, sizeof msg), 0) << msg;
  const symgnn_metrics m = symgnn_metrics_compute(expect.data(), symgnn_xyz_labels(x), 100);
  symgnn_xyz_free(x);
  const symgnn_summary s = symgnn_summary_compute(expect.data(), 100);
  EXPECT_NEAR(std::stod(r.keys.at("eb_mean")), s.mean, 2e-6);
  EXPECT_NEAR(std::stod(r.keys.at("eb_min")), s.min, 2e-6);
  EXPECT_NEAR(std::stod(r.keys.at("eb_max")), s.max, 2e-6);
  EXPECT_NEAR(std::stod(r.keys.at("eb_std")), s.std, 2e-6);
  EXPECT_NEAR(std::stod(r.keys.at("pearson")), m.pearson, 2e-6);
  EXPECT_NEAR(std::stod(r.keys.at("mae")), m.mae, 2e-6);
  EXPECT_NEAR(std::stod(r.keys.at("rmse")), m.rmse, 2e-6);
  EXPECT_NEAR(std::stod(r.keys.at("r2")), m.r2, 2e-6);

  // Predicting on the output again replaces eb_pred instead of adding a column.
  const std::string again = path("again.extxyz");
  const ToolRun r2 = invoke({model, out, "-o", again});
  ASSERT_EQ(r2.status, 0) << r2.err;
  const std::string text = slurp(again);
  EXPECT_EQ(text.find("eb_pred"), text.rfind("eb_pred"));
  EXPECT_NE(text.find("Properties=species:S:1:pos:R:3:eb:R:1:eb_pred:R:1 "), std::string::npos);
}

// An ensemble file: eb_pred is the members' mean and eb_std their population standard
// deviation, both checked against each member predicted alone; the summary names the members.
TEST_F(PredictCli, EnsembleWritesMeanAndSpread) {
  const std::string in = write_config("in.extxyz", 100, 12.0, 2.0);
  std::vector<std::vector<double>> member;
  std::vector<symgnn_model *> models;
  for (uint64_t seed : {11, 12, 13}) {
    const char *names[2] = {"Cu", "Zr"};
    symgnn_arch arch;
    symgnn_arch_default(&arch, 2, names);
    symgnn_error err;
    symgnn_model_free(model_);
    model_ = nullptr;
    ASSERT_EQ(symgnn_model_create(&arch, 0, nullptr, seed, &model_, &err), SYMGNN_OK);
    symgnn_model_set_label_norm(model_, 1.6, 30.0); // wide: the members differ visibly
    member.push_back(library_prediction(in));
    models.push_back(model_);
    model_ = nullptr;
  }
  const std::string ens = path("ensemble.model");
  symgnn_error err;
  ASSERT_EQ(symgnn_ensemble_write(models.data(), 3, ens.c_str(), &err), SYMGNN_OK) << err.message;
  for (symgnn_model *m : models) symgnn_model_free(m);

  const std::string out = path("out.extxyz");
  const ToolRun r = invoke({ens, in, "-o", out});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.keys.at("members"), "3");
  EXPECT_EQ(r.keys.at("symmetrization"), "haar");
  EXPECT_NE(slurp(out).find("Properties=species:S:1:pos:R:3:eb:R:1:eb_pred:R:1:eb_std:R:1 "),
            std::string::npos);
  std::vector<double> mean(100), sd(100);
  for (int i = 0; i < 100; ++i) {
    for (int k = 0; k < 3; ++k) mean[i] += member[k][i] / 3.0;
    for (int k = 0; k < 3; ++k) sd[i] += (member[k][i] - mean[i]) * (member[k][i] - mean[i]) / 3.0;
    sd[i] = std::sqrt(sd[i]);
  }
  for (const char *col : {"eb_pred", "eb_std"}) {
    symgnn_xyz *x = nullptr;
    char msg[512] = "";
    ASSERT_EQ(symgnn_xyz_read(out.c_str(), col, &x, msg, sizeof msg), 0) << msg;
    const std::vector<double> &expect = std::string(col) == "eb_pred" ? mean : sd;
    for (int i = 0; i < 100; ++i)
      EXPECT_NEAR(symgnn_xyz_labels(x)[i], expect[i], 1e-6 * (1.0 + std::fabs(expect[i])))
          << col << " atom " << i;
    symgnn_xyz_free(x);
  }
  const symgnn_summary u = symgnn_summary_compute(sd.data(), 100);
  EXPECT_GT(u.mean, 0.01); // the members really differ
  EXPECT_NEAR(std::stod(r.keys.at("uncertainty_mean")), u.mean, 2e-6);
  EXPECT_NEAR(std::stod(r.keys.at("uncertainty_max")), u.max, 2e-6);
  // Each member's Pearson against the labels, and the rank correlation of spread and error.
  symgnn_xyz *x = nullptr;
  char msg[512] = "";
  ASSERT_EQ(symgnn_xyz_read(in.c_str(), "eb", &x, msg, sizeof msg), 0) << msg;
  std::istringstream mp(r.keys.at("member_pearson"));
  for (int k = 0; k < 3; ++k) {
    double v = NAN;
    mp >> v;
    EXPECT_NEAR(v, symgnn_metrics_compute(member[k].data(), symgnn_xyz_labels(x), 100).pearson,
                2e-6);
  }
  std::vector<double> abs_err(100);
  for (int i = 0; i < 100; ++i) abs_err[i] = std::fabs(mean[i] - symgnn_xyz_labels(x)[i]);
  EXPECT_NEAR(std::stod(r.keys.at("uncertainty_error_spearman")),
              symgnn_spearman(sd.data(), abs_err.data(), 100), 2e-6);
  symgnn_xyz_free(x);
  // A single model: no spread column, no uncertainty lines.
  const std::string single = write_model();
  const ToolRun r1 = invoke({single, in, "-o", out});
  ASSERT_EQ(r1.status, 0) << r1.err;
  EXPECT_EQ(r1.keys.at("members"), "1");
  EXPECT_EQ(r1.keys.count("uncertainty_mean"), 0u);
  EXPECT_EQ(slurp(out).find("eb_std"), std::string::npos);
}

TEST_F(PredictCli, NoLabelNoMetricsAndNoOutputFile) {
  const std::string model = write_model();
  const std::string in = write_config("in.extxyz", 40, 10.0, 2.0);
  // A label name the file lacks, given by default only: no metrics, no error.
  std::string text = slurp(in);
  text.replace(text.find(":eb:R:1"), 7, ":barrier:R:1");
  std::ofstream(in) << text;
  const ToolRun r = invoke({model, in});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.keys.count("pearson"), 0u);
  EXPECT_EQ(r.keys.count("output"), 0u);
  EXPECT_EQ(r.keys.at("atoms"), "40");
  // The same column chosen with --label gives metrics.
  const ToolRun r2 = invoke({model, in, "--label", "barrier"});
  ASSERT_EQ(r2.status, 0) << r2.err;
  EXPECT_EQ(r2.keys.at("label"), "barrier");
  EXPECT_TRUE(std::isfinite(std::stod(r2.keys.at("pearson"))));
}

TEST_F(PredictCli, ExplicitLabelMustExist) {
  const std::string model = write_model();
  const std::string in = write_config("in.extxyz", 30, 10.0, 2.0);
  const ToolRun r = invoke({model, in, "--label", "dE"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("symgnn-predict: error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no label column 'dE'"), std::string::npos) << r.err;
}

TEST_F(PredictCli, BadModelPathExitsOne) {
  const std::string in = write_config("in.extxyz", 30, 10.0, 2.0);
  const std::string missing = path("no-such-model.symgnn");
  const ToolRun r = invoke({missing, in, "-o", path("out.extxyz")});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err.rfind("symgnn-predict: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
  EXPECT_FALSE(std::ifstream(path("out.extxyz")).good());
  // A file that is not a model is an error too.
  const ToolRun r2 = invoke({in, in});
  EXPECT_EQ(r2.status, 1);
  EXPECT_NE(r2.err.find("cannot read model"), std::string::npos) << r2.err;
}

TEST_F(PredictCli, UnknownSpeciesExitsOneNamingIt) {
  const std::string model = write_model();
  const std::string in = write_config("in.extxyz", 30, 10.0, 2.0, "Al");
  const ToolRun r = invoke({model, in});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("unknown species 'Al'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Cu Zr"), std::string::npos) << r.err;
}

TEST_F(PredictCli, BadInputFileExitsOneWithLine) {
  const std::string model = write_model();
  const std::string in = write_config("in.extxyz", 30, 10.0, 2.0);
  std::string text = slurp(in);
  text.replace(text.find("pbc=\"T T T\""), 11, "pbc=\"T F T\"");
  std::ofstream(in) << text;
  const ToolRun r = invoke({model, in});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("line 2: pbc=\"T F T\": non-periodic input is not supported"),
            std::string::npos)
      << r.err;
}

// Garbage bytes in a real column the model does not use: the input is refused
// with line and column, and no output file is written.
TEST_F(PredictCli, GarbageInUnusedRealColumnIsRefused) {
  const std::string model = write_model();
  const std::string in = write_config("in.extxyz", 30, 10.0, 2.0);
  std::string text = slurp(in);
  text.replace(text.find("eb:R:1"), 6, "eb:R:1:charge:R:1");
  std::string out_text;
  std::istringstream lines(text);
  int l = 0;
  for (std::string line; std::getline(lines, line); ++l)
    out_text += line + (l < 2 ? "" : (l == 9 ? " 0.\xff\x01" : " 0.5")) + "\n";
  std::ofstream(in, std::ios::binary) << out_text;
  const ToolRun r = invoke({model, in, "-o", path("out.extxyz")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("in.extxyz: line 10: byte "), std::string::npos) << r.err;
  EXPECT_FALSE(std::ifstream(path("out.extxyz")).good());
  // Printable garbage: the column check names line and column.
  const size_t at = out_text.find(" 0.\xff\x01");
  out_text.replace(at, 5, " 0.5e+x");
  std::ofstream(in, std::ios::binary) << out_text;
  const ToolRun q = invoke({model, in, "-o", path("out.extxyz")});
  EXPECT_EQ(q.status, 1);
  EXPECT_NE(q.err.find("line 10 (atom 8), column 6 (charge:R:1): '0.5e+x' is not a real number"),
            std::string::npos)
      << q.err;
  EXPECT_FALSE(std::ifstream(path("out.extxyz")).good());
}

// Input rules of the graph: coincident atoms refused with both atom numbers,
// coordinates beyond 1e9 A refused with the line.
TEST_F(PredictCli, CoincidentAndFarAtomsAreRefused) {
  const std::string model = write_model();
  const std::string in = write_config("in.extxyz", 30, 12.0, 2.0);
  const std::string text = slurp(in);
  std::vector<std::string> lines;
  std::istringstream ls(text);
  for (std::string l; std::getline(ls, l);) lines.push_back(l);
  auto write_lines = [&](const std::vector<std::string> &v) {
    std::string t;
    for (const std::string &l : v) t += l + "\n";
    std::ofstream(in) << t;
  };
  // `base` with column c (0 species, 1-3 x y z, 4 eb) of atom i (from 1) replaced.
  auto with = [](std::vector<std::string> base, int atom, int col, const std::string &value) {
    std::istringstream in_line(base[atom + 1]);
    std::vector<std::string> cols;
    for (std::string c; in_line >> c;) cols.push_back(c);
    cols[col] = value;
    base[atom + 1] = cols[0] + " " + cols[1] + " " + cols[2] + " " + cols[3] + " " + cols[4];
    return base;
  };
  // Atom 9 put on atom 4, keeping its species and label.
  std::istringstream atom4(lines[5]);
  std::string sp, x, y, z;
  atom4 >> sp >> x >> y >> z;
  const std::vector<std::string> dup = with(with(with(lines, 9, 1, x), 9, 2, y), 9, 3, z);
  write_lines(dup);
  ToolRun r = invoke({model, in});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("in.extxyz: atoms 4 and 9 are 0 A apart, closer than the minimum distance "
                       "of 0.5 A (coincident or duplicated atoms)"),
            std::string::npos)
      << r.err;
  // A coordinate beyond 1e9 A: refused by the reader with its line.
  write_lines(with(lines, 3, 1, "2e9"));
  r = invoke({model, in});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("line 5 (atom 3), column 2 (pos:R:3): coordinate '2e9' is beyond 1e+09 A "
                       "in magnitude"),
            std::string::npos)
      << r.err;
}

// An atom with no neighbour within the cutoff: a warning naming it, exit 0.
TEST_F(PredictCli, IsolatedAtomIsWarnedAbout) {
  const std::string model = write_model();
  std::ofstream(path("iso.extxyz")) << "3\nLattice=\"30 0 0 0 30 0 0 0 30\" "
                                       "Properties=species:S:1:pos:R:3 pbc=\"T T T\"\n"
                                       "Cu 1 1 1\nZr 3 1 1\nCu 15 15 15\n";
  const ToolRun r = invoke({model, path("iso.extxyz")});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("symgnn-predict: warning: " + path("iso.extxyz") +
                       ": 1 atom has no neighbour within the cutoff of 5 A (atom 3 (line 5)); "
                       "its barrier is an extrapolation"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.keys.at("atoms"), "3");
}

// A full disk while the output is written: a clear error naming the file and
// the system error, the previous output intact, no temporary left. Needs a
// small tmpfs (root, or a container that permits mount); skipped otherwise.
TEST_F(PredictCli, FullDiskKeepsThePreviousOutput) {
  const std::string mnt = path("tmpfs");
  mkdir(mnt.c_str(), 0755);
  if (mount("symgnn-test", mnt.c_str(), "tmpfs", 0, "size=256k") != 0)
    GTEST_SKIP() << "cannot mount a small tmpfs at " << mnt << " (" << std::strerror(errno)
                 << "): needs root or CAP_SYS_ADMIN";
  const std::string model = write_model();
  const std::string in = write_config("in.extxyz", 30, 10.0, 2.0);
  const std::string out = mnt + "/out.extxyz";
  ToolRun r = invoke({model, in, "-o", out});
  EXPECT_EQ(r.status, 0) << r.err;
  const std::string before = slurp(out);
  ASSERT_FALSE(before.empty());
  std::system(("dd if=/dev/zero of='" + mnt + "/filler' bs=4k 2>/dev/null").c_str());
  r = invoke({model, in, "-o", out});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("symgnn-predict: error: cannot write '" + mnt +
                       "/out.extxyz' (via the temporary '" + mnt + "/out.extxyz.tmp"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(out), before) << "the previous output changed";
  const int left = std::system(("ls '" + mnt + "' | grep -q tmp").c_str());
  EXPECT_NE(left, 0) << "a temporary file was left behind";
}

TEST_F(PredictCli, UsageErrorsExitTwo) {
  EXPECT_EQ(invoke({}).status, 2);
  EXPECT_EQ(invoke({"model-only"}).status, 2);
  const ToolRun r = invoke({"a", "b", "--frobnicate"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("unknown option --frobnicate"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("usage: symgnn-predict"), std::string::npos);
  EXPECT_EQ(invoke({"a", "b", "-o"}).status, 2);
  EXPECT_EQ(invoke({"a", "b", "c"}).status, 2);
  const ToolRun h = invoke({"--help"});
  EXPECT_EQ(h.status, 0) << h.err;
  EXPECT_NE(h.out.find("usage: symgnn-predict"), std::string::npos);
}

TEST_F(PredictCli, TrainSampleHas8000Atoms) {
  // The environment variable wins over the directory given at configure time.
  const char *env = std::getenv("SYMGNN_DATA_DIR");
  const std::string data = std::string(env && *env ? env : SYMGNN_DATA_DIR) + "/train6.extxyz";
  if (!std::ifstream(data).good())
    GTEST_SKIP() << "data sample " << data << " is absent (set the environment variable "
                 << "SYMGNN_DATA_DIR to the cuzr-eb directory)";
  const std::string model = write_model();
  const std::string out = path("train6_pred.extxyz");
  const ToolRun r = invoke({model, data, "-o", out});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.keys.at("atoms"), "8000");
  EXPECT_TRUE(std::isfinite(std::stod(r.keys.at("eb_mean"))));
  EXPECT_TRUE(std::isfinite(std::stod(r.keys.at("pearson"))));
  symgnn_xyz *x = nullptr;
  char msg[512] = "";
  ASSERT_EQ(symgnn_xyz_read(out.c_str(), "eb_pred", &x, msg, sizeof msg), 0) << msg;
  ASSERT_EQ(symgnn_xyz_natoms(x), 8000);
  for (int i = 0; i < 8000; ++i) ASSERT_TRUE(std::isfinite(symgnn_xyz_labels(x)[i])) << i;
  symgnn_xyz_free(x);
}

} // namespace
