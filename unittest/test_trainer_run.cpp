// symgnn-train, symgnn-rotcheck and symgnn-baseline-ridge run as commands on a
// synthetic data set written by the test: small periodic Cu/Zr boxes whose
// label depends on the local environment (species-weighted neighbour count
// within 3.2 A plus noise). Checks learning, exact restart, MPI vs serial,
// learned symmetrization, provenance and the specific error messages.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
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

#include "symgnn.h"
#include "symgnn_layout.h"
#include "symgnn_train.h"
#include "test_support.h"

namespace {

using symgnn_test::cuzr_arch;
using symgnn_test::identity_model;

const std::string kTrain = SYMGNN_TRAIN_EXE;
const std::string kRotcheck = SYMGNN_ROTCHECK_EXE;
const std::string kRidge = SYMGNN_RIDGE_EXE;
const std::string kMpirun = SYMGNN_MPIEXEC;

struct Atom {
  std::string species;
  double x[3];
};

// Random packing with a minimum distance, 64 % Cu, in a cubic box of side L.
std::vector<Atom> make_box(int n, double L, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.0, L);
  std::vector<Atom> atoms;
  while ((int)atoms.size() < n) {
    Atom a;
    a.species = (atoms.size() * 100 / n) < 64 ? "Cu" : "Zr";
    for (double &c : a.x) c = u(rng);
    bool ok = true;
    for (const Atom &b : atoms) {
      double d2 = 0;
      for (int k = 0; k < 3; ++k) {
        double d = a.x[k] - b.x[k];
        d -= L * std::round(d / L);
        d2 += d * d;
      }
      if (d2 < 2.0 * 2.0) {
        ok = false;
        break;
      }
    }
    if (ok) atoms.push_back(a);
  }
  return atoms;
}

// The synthetic label: 0.1 * (Cu neighbours + 1.5 Zr neighbours within 3.2 A)
// + 0.3 for a Zr centre + N(0, 0.02) noise.
std::vector<double> make_labels(const std::vector<Atom> &atoms, double L, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.02);
  std::vector<double> y;
  for (const Atom &a : atoms) {
    double s = a.species == "Zr" ? 0.3 : 0.0;
    for (const Atom &b : atoms) {
      if (&a == &b) continue;
      double d2 = 0;
      for (int k = 0; k < 3; ++k) {
        double d = a.x[k] - b.x[k];
        d -= L * std::round(d / L);
        d2 += d * d;
      }
      if (d2 < 3.2 * 3.2) s += b.species == "Zr" ? 0.15 : 0.1;
    }
    y.push_back(s + noise(rng));
  }
  return y;
}

// Extended XYZ with a label column; `label` empty: no label column.
void write_xyz(const std::string &path, const std::vector<Atom> &atoms, double L,
               const std::vector<double> &y, const std::string &label = "eb") {
  std::ofstream f(path);
  f << atoms.size() << "\n";
  f << "Lattice=\"" << L << " 0 0 0 " << L << " 0 0 0 " << L << "\" Properties=species:S:1:pos:R:3"
    << (label.empty() ? "" : ":" + label + ":R:1") << " pbc=\"T T T\"\n";
  f.precision(10);
  for (size_t i = 0; i < atoms.size(); ++i) {
    f << atoms[i].species << " " << atoms[i].x[0] << " " << atoms[i].x[1] << " " << atoms[i].x[2];
    if (!label.empty()) f << " " << y[i];
    f << "\n";
  }
}

struct Result {
  int status;
  std::string out;
};

Result run(const std::string &cmd) {
  Result r;
  FILE *p = popen((cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while (p && (n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = p ? pclose(p) : -1;
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::vector<std::map<std::string, double>> read_curve(const std::string &path,
                                                      std::string *header = nullptr) {
  std::ifstream f(path);
  std::string line;
  std::vector<std::string> cols;
  std::vector<std::map<std::string, double>> rows;
  if (!std::getline(f, line)) return rows;
  if (header) *header = line;
  std::stringstream hs(line);
  for (std::string c; std::getline(hs, c, ',');) cols.push_back(c);
  while (std::getline(f, line)) {
    std::stringstream ls(line);
    std::map<std::string, double> row;
    std::string v;
    for (size_t i = 0; i < cols.size() && std::getline(ls, v, ','); ++i)
      row[cols[i]] = std::stod(v);
    rows.push_back(row);
  }
  return rows;
}

std::string read_text(const std::string &path) {
  std::ifstream f(path);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

const char *kSmallModel = "model: {width: 8, heads: [2, 1], decoder_depth: 2, dropout: 0.0}\n";

class TrainerRun : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = ::testing::TempDir() + "symgnn_trainer_run_" + std::to_string(getpid());
    mkdir(dir_.c_str(), 0755);
    // Six training boxes and one validation box of 128 atoms (density 0.063 / A^3).
    const double L = std::cbrt(128 / 0.063);
    for (int k = 0; k < 7; ++k) {
      const std::vector<Atom> atoms = make_box(128, L, 100 + k);
      write_xyz(dir_ + "/train" + std::to_string(k) + ".extxyz", atoms, L,
                make_labels(atoms, L, 200 + k));
    }
    box_L_ = L;
  }
  static void TearDownTestSuite() { run("rm -rf '" + dir_ + "'"); }

  // A config in its own directory, reading the first ntrain boxes of the
  // shared data set for training and the last one for validation.
  std::string config(const std::string &name, const std::string &body, int ntrain = 4) {
    const std::string d = dir_ + "/" + name;
    mkdir(d.c_str(), 0755);
    std::ofstream f(d + "/train.yaml");
    f << "data:\n  train: [";
    for (int k = 0; k < ntrain; ++k) f << (k ? ", " : "") << "../train" << k << ".extxyz";
    f << "]\n  validation: [../train6.extxyz]\n  elements: [Cu, Zr]\n" << body;
    return d;
  }

  // A learned-mode run on the small model (4 samples per step, 6 inference
  // transforms, lr 0.01) for the given epochs and evaluation interval.
  std::string learned_config(const std::string &name, int epochs, int eval_interval) {
    return config(name, std::string(kSmallModel) +
                            "symmetrization: {mode: learned, samples_per_step: 4, "
                            "inference_transforms: 6, seed: 4, init_sigma: 0.8}\n"
                            "optimizer: {lr: 0.01, clip_norm: 0}\n"
                            "training: {batch: 2, epochs: " +
                            std::to_string(epochs) +
                            ", eval_interval: " + std::to_string(eval_interval) + ", seed: 1}\n");
  }

  void expect_exact_restart(const std::string &name, const std::string &body);

  // A 100-epoch run on the synthetic label: width 16 (8 is too small for this
  // label), six boxes, batches of three, plus `extra` config lines. Expects
  // exit status 0; returns the run's directory and its output in *out.
  std::string learn_synthetic(const std::string &name, const std::string &extra, std::string *out) {
    const std::string d =
        config(name,
               "model: {width: 16, heads: [2, 1], decoder_depth: 2, dropout: 0.0}\n" + extra +
                   "optimizer: {lr: 0.01, clip_norm: 0}\n"
                   "training: {batch: 3, epochs: 100, eval_interval: 20, patience: 0, seed: 3}\n",
               6);
    const Result r = run(kTrain + " " + d + "/train.yaml");
    EXPECT_EQ(r.status, 0) << r.out;
    *out = r.out;
    return d;
  }

  static std::string dir_;
  static double box_L_;
};

std::string TrainerRun::dir_;
double TrainerRun::box_L_;

// The stated targets of a 100-epoch run on the synthetic label (chosen after
// trying): ten evaluations, training loss down >= 3x, best validation
// Pearson >= 0.8. Returns the best Pearson; header gets the curve's header.
double expect_learned(const std::string &d, std::string *header) {
  const auto rows = read_curve(d + "/learning_curve.csv", header);
  EXPECT_EQ(rows.size(), 10u);
  if (rows.empty()) return -1.0;
  double best = -1;
  for (const auto &row : rows) best = std::max(best, row.at("val_pearson"));
  const double first = rows.front().at("train_loss"), last = rows.back().at("train_loss");
  EXPECT_GE(first / last, 3.0) << "first " << first << " last " << last;
  EXPECT_GE(best, 0.8);
  return best;
}

TEST_F(TrainerRun, LearnsTheSyntheticLabel) {
  std::string out;
  const std::string d = learn_synthetic("learn", "", &out);
  EXPECT_NE(out.find("step 200/200"), std::string::npos) << out;
  std::string header;
  const double best = expect_learned(d, &header);
  EXPECT_EQ(header, "step,train_loss,val_mse,val_mae,val_pearson,val_r2,lr,wall_time");
  // Best and final models load and carry the provenance.
  for (const char *name : {"/symgnn-best.model", "/symgnn-final.model"}) {
    symgnn_model *m = nullptr;
    symgnn_error err;
    ASSERT_EQ(SYMGNN_OK, symgnn_model_read((d + name).c_str(), &m, &err)) << err.message;
    std::map<std::string, std::string> prov;
    for (int i = 0; i < symgnn_model_nprovenance(m); ++i)
      prov[symgnn_model_provenance_key(m, i)] = symgnn_model_provenance_value(m, i);
    for (const char *key :
         {"training_data", "validation_data", "seed", "steps", "epochs", "val_pearson", "val_mae",
          "val_rmse", "date", "trainer_version", "config", "symmetrization"})
      EXPECT_EQ(prov.count(key), 1u) << name << " lacks " << key;
    EXPECT_NE(prov["training_data"].find("train3.extxyz"), std::string::npos);
    EXPECT_EQ(prov["seed"], "3");
    EXPECT_EQ(prov["trainer_version"], std::string("symgnn-train ") + SYMGNN_VERSION_STRING);
    EXPECT_EQ(prov["date"].size(), 20u); // YYYY-MM-DDTHH:MM:SSZ
    if (std::string(name) == "/symgnn-best.model")
      EXPECT_NEAR(std::stod(prov["val_pearson"]), best, 1e-6);
    else
      EXPECT_EQ(prov["steps"], "200");
    double mean, std;
    symgnn_model_label_norm(m, &mean, &std);
    EXPECT_GT(std, 0.0);   // computed from the training labels
    double lo = 0, hi = 0; // the training labels' range, for the compute's warning
    ASSERT_EQ(symgnn_model_label_range(m, &lo, &hi), 1) << prov["label_range"];
    EXPECT_LT(lo, mean);
    EXPECT_GT(hi, mean);
    symgnn_model_free(m);
  }
}

// N steps straight vs N/2, stop, --restart, N/2 more: identical curves and weights.
// Run `body` straight and with a stop at step 10 plus a restart; compare.
void TrainerRun::expect_exact_restart(const std::string &name, const std::string &body) {
  const std::string a = config(name + "_a", body), b = config(name + "_b", body);
  const Result ra = run(kTrain + " " + a + "/train.yaml");
  ASSERT_EQ(ra.status, 0) << ra.out;
  // 12 epochs of 2 steps (batches of 3 and 1): stop mid-way, off an evaluation step.
  const Result rb1 = run(kTrain + " " + b + "/train.yaml --stop-at 10");
  ASSERT_EQ(rb1.status, 0) << rb1.out;
  EXPECT_NE(rb1.out.find("stopped at step 10"), std::string::npos) << rb1.out;
  EXPECT_FALSE(std::ifstream(b + "/symgnn-final.model").good());
  const Result rb2 = run(kTrain + " " + b + "/train.yaml --restart " + b + "/symgnn-train.ckpt");
  ASSERT_EQ(rb2.status, 0) << rb2.out;
  const auto ca = read_curve(a + "/learning_curve.csv"), cb = read_curve(b + "/learning_curve.csv");
  ASSERT_EQ(ca.size(), 6u);
  ASSERT_EQ(ca.size(), cb.size());
  for (size_t i = 0; i < ca.size(); ++i)
    for (const char *col :
         {"step", "train_loss", "val_mse", "val_mae", "val_pearson", "val_r2", "lr"})
      EXPECT_EQ(ca[i].at(col), cb[i].at(col)) << "row " << i << " column " << col;
  symgnn_model *ma = nullptr, *mb = nullptr;
  symgnn_error err;
  ASSERT_EQ(SYMGNN_OK, symgnn_model_read((a + "/symgnn-final.model").c_str(), &ma, &err));
  ASSERT_EQ(SYMGNN_OK, symgnn_model_read((b + "/symgnn-final.model").c_str(), &mb, &err));
  ASSERT_EQ(symgnn_model_nparams(ma), symgnn_model_nparams(mb));
  EXPECT_EQ(0, std::memcmp(symgnn_model_params(ma), symgnn_model_params(mb),
                           symgnn_model_nparams(ma) * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(symgnn_model_stats(ma), symgnn_model_stats(mb),
                           symgnn_model_nstats(ma) * sizeof(float)));
  EXPECT_EQ(symgnn_model_ntransforms(ma), symgnn_model_ntransforms(mb));
  if (symgnn_model_ntransforms(ma) > 0)
    EXPECT_EQ(0, std::memcmp(symgnn_model_transforms(ma), symgnn_model_transforms(mb),
                             9 * sizeof(double) * symgnn_model_ntransforms(ma)));
  symgnn_model_free(ma);
  symgnn_model_free(mb);
  // A damaged checkpoint is refused with its reason.
  std::string ck = read_text(b + "/symgnn-train.ckpt");
  ck[ck.size() / 2] ^= 1;
  std::ofstream(b + "/bad.ckpt", std::ios::binary) << ck;
  const Result bad = run(kTrain + " " + b + "/train.yaml --restart " + b + "/bad.ckpt");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.out.find("CRC-32 mismatch"), std::string::npos) << bad.out;
}

TEST_F(TrainerRun, RestartContinuesExactly) {
  const std::string common = "optimizer: {lr: 0.003}\n"
                             "schedule: {warmup_steps: 4, decay: cosine, min_lr: 1e-4}\n"
                             "training: {batch: 3, epochs: 12, eval_interval: 4, seed: 5}\n";
  expect_exact_restart("restart_fixed",
                       "model: {width: 8, heads: [2, 1], decoder_depth: 2, dropout: 0.25}\n" +
                           common);
}

TEST_F(TrainerRun, RestartContinuesExactlyWithLearnedSymmetrization) {
  expect_exact_restart("restart_learned",
                       "model: {width: 8, heads: [2, 1], decoder_depth: 2, dropout: 0.25}\n"
                       "symmetrization: {mode: learned, samples_per_step: 4, "
                       "inference_transforms: 4}\n"
                       "optimizer: {lr: 0.003}\n"
                       "training: {batch: 3, epochs: 12, eval_interval: 4, seed: 6}\n");
}

TEST_F(TrainerRun, RestartContinuesExactlyWithHaar) {
  expect_exact_restart("restart_haar",
                       "model: {width: 8, heads: [2, 1], decoder_depth: 2, dropout: 0.25}\n"
                       "symmetrization: {mode: haar}\n"
                       "optimizer: {lr: 0.003}\n"
                       "training: {batch: 3, epochs: 12, eval_interval: 4, seed: 6}\n");
}

// Patience counts evaluations without a higher validation Pearson.
TEST_F(TrainerRun, EarlyStopsOnValidationPearson) {
  const std::string d =
      config("patience", std::string(kSmallModel) + "optimizer: {lr: 0.003}\n"
                                                    "training: {batch: 2, epochs: 200, "
                                                    "eval_interval: 2, patience: 2, seed: 1}\n");
  const Result r = run(kTrain + " " + d + "/train.yaml");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("(early stop: patience)"), std::string::npos) << r.out;
  const auto rows = read_curve(d + "/learning_curve.csv");
  ASSERT_GE(rows.size(), 3u);
  ASSERT_LT(rows.size(), 200u);
  // The last two evaluations did not beat the best before them; every earlier
  // stretch without improvement was shorter than the patience.
  double best = -2;
  int bad = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const double p = rows[i].at("val_pearson");
    if (p > best) {
      best = p;
      bad = 0;
    } else {
      ++bad;
    }
    EXPECT_EQ(bad == 2, i + 1 == rows.size()) << "row " << i;
  }
}

// Serial and 2-rank data-parallel runs agree up to float rounding. Batches of
// 3 of the 4 boxes: shares of 2+1 and 1+0 configurations (an idle rank still
// joins every reduction). Only the training loss is compared tightly: the
// node encoder's embedding feeds a BatchNorm, so its gradient is zero up to
// the BN epsilon and rounding; Adam turns that noise into +-lr steps, which
// barely change the train-mode loss (through the BN epsilon, so the runs drift
// apart slowly: 12 steps stay within 1e-5) but move the BN running statistics
// the eval-mode validation uses. The same holds for Linear biases before a BN.
TEST_F(TrainerRun, MpiTwoRanksMatchSerial) {
  if (kMpirun.empty()) GTEST_SKIP() << "mpiexec not found at configure time";
  const std::string body = std::string(kSmallModel) +
                           "optimizer: {lr: 0.001, clip_norm: 1.0}\n"
                           "training: {batch: 3, epochs: 6, eval_interval: 2, seed: 2}\n";
  const std::string s = config("mpi_1", body), p = config("mpi_2", body);
  const std::string mpi = kMpirun + " --allow-run-as-root --oversubscribe -np ";
  const Result r1 = run(mpi + "1 " + kTrain + " " + s + "/train.yaml");
  ASSERT_EQ(r1.status, 0) << r1.out;
  const Result r2 = run(mpi + "2 " + kTrain + " " + p + "/train.yaml");
  ASSERT_EQ(r2.status, 0) << r2.out;
  const auto c1 = read_curve(s + "/learning_curve.csv"), c2 = read_curve(p + "/learning_curve.csv");
  ASSERT_EQ(c1.size(), 6u);
  ASSERT_EQ(c1.size(), c2.size());
  for (size_t i = 0; i < c1.size(); ++i) {
    const double x = c1[i].at("train_loss"), y = c2[i].at("train_loss");
    EXPECT_NEAR(x, y, 1e-5 * std::fabs(x)) << "row " << i;
    EXPECT_NEAR(c1[i].at("val_mse"), c2[i].at("val_mse"), 1e-2 * c1[i].at("val_mse"))
        << "row " << i;
  }
  // Only rank 0 prints.
  EXPECT_NE(r2.out.find("step 12/12"), std::string::npos) << r2.out;
  EXPECT_EQ(r2.out.find("step 12/12"), r2.out.rfind("step 12/12")) << r2.out;
}

// Provenance entries of a model file by key.
std::map<std::string, std::string> provenance_of(const symgnn_model *m) {
  std::map<std::string, std::string> prov;
  for (int i = 0; i < symgnn_model_nprovenance(m); ++i)
    prov[symgnn_model_provenance_key(m, i)] = symgnn_model_provenance_value(m, i);
  return prov;
}

TEST_F(TrainerRun, LearnedSymmetrizationTrainsItsDistribution) {
  const std::string d = learned_config("learned", 10, 5);
  const Result r = run(kTrain + " " + d + "/train.yaml");
  ASSERT_EQ(r.status, 0) << r.out;
  symgnn_model *m = nullptr;
  symgnn_error err;
  ASSERT_EQ(SYMGNN_OK, symgnn_model_read((d + "/symgnn-final.model").c_str(), &m, &err));
  ASSERT_EQ(symgnn_model_ntransforms(m), 6);
  // Three rotations then three reflections.
  for (int k = 0; k < 6; ++k) {
    const double *R = symgnn_model_transforms(m) + 9 * k;
    const double det = R[0] * (R[4] * R[8] - R[5] * R[7]) - R[1] * (R[3] * R[8] - R[5] * R[6]) +
                       R[2] * (R[3] * R[7] - R[4] * R[6]);
    EXPECT_NEAR(det, k < 3 ? 1.0 : -1.0, 1e-9);
  }
  // The distribution parameters moved away from mu = 0, log_sigma = log(0.8).
  const std::string symm = provenance_of(m)["symmetrization"];
  symgnn_model_free(m);
  ASSERT_NE(symm.find("learned"), std::string::npos) << symm;
  const size_t at = symm.find("rotations mu=(");
  ASSERT_NE(at, std::string::npos) << symm;
  double mu[3];
  ASSERT_EQ(3,
            std::sscanf(symm.c_str() + at, "rotations mu=(%lf %lf %lf)", &mu[0], &mu[1], &mu[2]));
  EXPECT_GT(std::fabs(mu[0]) + std::fabs(mu[1]) + std::fabs(mu[2]), 1e-4) << symm;
  // Rotation sensitivity of the trained model.
  const Result rc =
      run(kRotcheck + " " + d + "/symgnn-final.model " + dir_ + "/train6.extxyz --rotations 3");
  ASSERT_EQ(rc.status, 0) << rc.out;
  double sens = -1, pr = -2;
  const size_t s1 = rc.out.find("rotation_sensitivity_ev: ");
  const size_t s2 = rc.out.find("rotated_vs_unrotated_pearson: ");
  ASSERT_NE(s1, std::string::npos) << rc.out;
  ASSERT_NE(s2, std::string::npos) << rc.out;
  sens = std::stod(rc.out.substr(s1 + 25));
  pr = std::stod(rc.out.substr(s2 + 30));
  EXPECT_GT(sens, 0.0); // sampled transforms: not exactly invariant
  EXPECT_LE(pr, 1.0);
  EXPECT_GT(pr, -1.0);
}

std::vector<double> transforms_of(const std::string &path) {
  symgnn_model *m = nullptr;
  symgnn_error err;
  if (symgnn_model_read(path.c_str(), &m, &err) != SYMGNN_OK) return {};
  const double *t = symgnn_model_transforms(m);
  std::vector<double> v(t, t + 9 * symgnn_model_ntransforms(m));
  symgnn_model_free(m);
  return v;
}

TEST_F(TrainerRun, RedrawTransformsOfALearnedModel) {
  const std::string d = learned_config("redraw", 3, 2);
  const Result r = run(kTrain + " " + d + "/train.yaml");
  ASSERT_EQ(r.status, 0) << r.out;
  // Best and final models carry the distribution in full precision.
  std::map<std::string, std::string> final_prov;
  for (const char *name : {"/symgnn-best.model", "/symgnn-final.model"}) {
    symgnn_model *m = nullptr;
    symgnn_error err;
    ASSERT_EQ(SYMGNN_OK, symgnn_model_read((d + name).c_str(), &m, &err)) << err.message;
    final_prov = provenance_of(m);
    symgnn_model_free(m);
    const std::string dist = final_prov["symmetrization_distribution"];
    double t[12];
    ASSERT_EQ(12, std::sscanf(dist.c_str(),
                              "rot_mu=%lf,%lf,%lf rot_log_sigma=%lf,%lf,%lf ref_mu=%lf,%lf,%lf "
                              "ref_log_sigma=%lf,%lf,%lf",
                              &t[0], &t[1], &t[2], &t[3], &t[4], &t[5], &t[6], &t[7], &t[8], &t[9],
                              &t[10], &t[11]))
        << name << ": " << dist;
    // The short summary in 'symmetrization' shows the same rotation mean.
    double mu0 = 0;
    const std::string symm = final_prov["symmetrization"];
    ASSERT_EQ(1, std::sscanf(symm.c_str() + symm.find("rotations mu=("), "rotations mu=(%lf", &mu0))
        << symm;
    EXPECT_NEAR(mu0, t[0], 1e-5 * (1 + std::fabs(t[0]))) << name;
  }
  const std::string final_model = d + "/symgnn-final.model";
  // With the trainer's own M and seed the redraw gives the stored transforms exactly.
  const Result same = run(kTrain + " --redraw-transforms " + final_model +
                          " --count 6 --seed 4 -o " + d + "/same.model");
  ASSERT_EQ(same.status, 0) << same.out;
  EXPECT_NE(same.out.find("6 transforms drawn with seed 4"), std::string::npos) << same.out;
  ASSERT_EQ(transforms_of(d + "/same.model").size(), 54u);
  EXPECT_EQ(transforms_of(d + "/same.model"), transforms_of(final_model));
  // Another M and seed: M orthogonal transforms, half rotations, half reflections.
  for (const char *out : {"/a.model", "/b.model"})
    ASSERT_EQ(
        run(kTrain + " --redraw-transforms " + final_model + " --count 8 --seed 9 -o " + d + out)
            .status,
        0);
  ASSERT_EQ(run(kTrain + " --redraw-transforms " + final_model + " --count 8 --seed 10 -o " + d +
                "/c.model")
                .status,
            0);
  const std::vector<double> a = transforms_of(d + "/a.model");
  ASSERT_EQ(a.size(), 72u);
  for (int k = 0; k < 8; ++k) {
    const double *O = a.data() + 9 * k;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j)
        EXPECT_NEAR(O[3 * i] * O[3 * j] + O[3 * i + 1] * O[3 * j + 1] + O[3 * i + 2] * O[3 * j + 2],
                    i == j ? 1.0 : 0.0, 1e-9)
            << "transform " << k;
    const double det = O[0] * (O[4] * O[8] - O[5] * O[7]) - O[1] * (O[3] * O[8] - O[5] * O[6]) +
                       O[2] * (O[3] * O[7] - O[4] * O[6]);
    EXPECT_NEAR(det, k < 4 ? 1.0 : -1.0, 1e-9) << "transform " << k;
  }
  EXPECT_EQ(read_text(d + "/a.model"), read_text(d + "/b.model")); // same seed: same file
  const std::vector<double> c = transforms_of(d + "/c.model");
  ASSERT_EQ(c.size(), 72u);
  EXPECT_NE(a, c);
  symgnn_model *m = nullptr;
  symgnn_error err;
  ASSERT_EQ(SYMGNN_OK, symgnn_model_read((d + "/a.model").c_str(), &m, &err)) << err.message;
  std::map<std::string, std::string> prov = provenance_of(m);
  symgnn_model_free(m);
  EXPECT_EQ(prov["inference_transforms_redrawn"], "8 seed 9");
  EXPECT_EQ(prov["symmetrization_distribution"], final_prov["symmetrization_distribution"]);
  // From the run's checkpoint (its last state is the final model's distribution).
  ASSERT_EQ(run(kTrain + " --redraw-transforms " + final_model + " --checkpoint " + d +
                "/symgnn-train.ckpt --count 6 --seed 4 -o " + d + "/ck.model")
                .status,
            0);
  EXPECT_EQ(transforms_of(d + "/ck.model"), transforms_of(final_model));
  ASSERT_EQ(SYMGNN_OK, symgnn_model_read((d + "/ck.model").c_str(), &m, &err)) << err.message;
  prov = provenance_of(m);
  symgnn_model_free(m);
  EXPECT_EQ(prov["symmetrization_distribution"], final_prov["symmetrization_distribution"]);
  EXPECT_EQ(prov["inference_transforms_redrawn"], "6 seed 4");
}

TEST_F(TrainerRun, RedrawTransformsErrors) {
  const std::string d = config("redraw_err", "");
  // A fixed-mode model as the trainer writes it (symmetrization: fixed, ...).
  symgnn_error err;
  symgnn_model *m = identity_model(cuzr_arch(), 1, &err);
  ASSERT_NE(m, nullptr) << err.message;
  ASSERT_EQ(SYMGNN_OK,
            symgnn_model_set_provenance(m, "symmetrization", "fixed, 1 transforms", &err));
  const std::string fixed = d + "/fixed.model";
  ASSERT_EQ(SYMGNN_OK, symgnn_model_write(m, fixed.c_str(), &err)) << err.message;
  symgnn_model_free(m);
  std::ofstream(d + "/junk.ckpt") << "this is not a checkpoint\n";
  const std::string base = kTrain + " --redraw-transforms ";
  const struct {
    std::string args;
    int status;
    std::string message;
  } cases[] = {
      {fixed + " --count 4 --seed 1 -o " + d + "/o.model", 1,
       "error: " + fixed + ": not a learned-mode model (symmetrization: fixed, 1 transforms)"},
      {fixed + " --count 5 --seed 1 -o " + d + "/o.model", 2,
       "--count must be an even number of at least 2"},
      {fixed + " --count 0 --seed 1 -o " + d + "/o.model", 2, "got '0'"},
      {fixed + " --count four --seed 1 -o " + d + "/o.model", 2, "got 'four'"},
      {fixed + " --count 4 --seed -3 -o " + d + "/o.model", 2, "--seed needs a non-negative"},
      {fixed + " --count 4 --seed 1", 2, "needs --count M, --seed S and -o OUT"},
      {fixed + " --count 4 --seed 1 -o " + d + "/o.model --dry-run", 2,
       "unexpected or incomplete argument '--dry-run'"},
      {d + "/none.model --count 4 --seed 1 -o " + d + "/o.model", 1,
       "error: cannot read the model: cannot open"},
      {fixed + " --checkpoint " + d + "/none.ckpt --count 4 --seed 1 -o " + d + "/o.model", 1,
       "error: cannot read the checkpoint: cannot open"},
      {fixed + " --checkpoint " + d + "/junk.ckpt --count 4 --seed 1 -o " + d + "/o.model", 1,
       "junk.ckpt: not a symgnn-train checkpoint (bad magic)"},
  };
  for (const auto &c : cases) {
    const Result r = run(base + c.args);
    EXPECT_EQ(r.status, c.status) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.message), std::string::npos) << c.args << "\n" << r.out;
  }
  EXPECT_FALSE(std::ifstream(d + "/o.model").good());
}

TEST_F(TrainerRun, RotcheckUsageAndDefaults) {
  const std::string d = config("rot", std::string(kSmallModel) +
                                          "training: {batch: all, epochs: 2, eval_interval: 1}\n");
  ASSERT_EQ(run(kTrain + " " + d + "/train.yaml").status, 0);
  const Result bad = run(kRotcheck + " " + d + "/symgnn-final.model");
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.out.find("usage"), std::string::npos);
  const Result r =
      run(kRotcheck + " " + d + "/symgnn-final.model " + dir_ + "/train6.extxyz --seed 3");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("rotations: 8"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("atoms: 128"), std::string::npos) << r.out;
}

TEST_F(TrainerRun, RotcheckHelpAndVersion) {
  const Result h = run(kRotcheck + " --help");
  EXPECT_EQ(h.status, 0) << h.out;
  EXPECT_EQ(h.out.rfind("usage: symgnn-rotcheck MODEL FILE.extxyz", 0), 0u) << h.out;
  EXPECT_NE(h.out.find("--rotations N"), std::string::npos) << h.out;
  const Result v = run(kRotcheck + " --version");
  EXPECT_EQ(v.status, 0) << v.out;
  EXPECT_EQ(v.out, std::string("symgnn-rotcheck ") + SYMGNN_VERSION_STRING + "\n");
  const Result bad = run(kRotcheck + " --frobnicate");
  EXPECT_EQ(bad.status, 2) << bad.out;
  EXPECT_NE(bad.out.find("unexpected argument '--frobnicate'"), std::string::npos) << bad.out;
}

TEST_F(TrainerRun, DryRunAndTemplate) {
  const std::string d = config("dry", "training: {batch: 2}\n");
  const Result r = run(kTrain + " " + d + "/train.yaml --dry-run");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("training: 4 files, 512 atoms"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("validation: 1 files, 128 atoms"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 steps per epoch"), std::string::npos) << r.out;
  EXPECT_FALSE(std::ifstream(d + "/learning_curve.csv").good()) << "dry run must not train";
  // The template, placed next to train0..6, is a valid config as printed.
  const Result t = run(kTrain + " --template > " + dir_ + "/template.yaml");
  ASSERT_EQ(t.status, 0);
  const Result td = run(kTrain + " " + dir_ + "/template.yaml --dry-run");
  ASSERT_EQ(td.status, 0) << td.out;
  EXPECT_NE(td.out.find("training: 6 files, 768 atoms"), std::string::npos) << td.out;
}

// Each bad config or data file stops with its own message and a non-zero exit.
TEST_F(TrainerRun, BadConfigsAndDataAreReported) {
  const double L = box_L_;
  std::vector<Atom> atoms = make_box(20, L, 7);
  std::vector<double> y = make_labels(atoms, L, 8);
  write_xyz(dir_ + "/nolabel.extxyz", atoms, L, y, "");
  std::vector<double> ynan = y;
  ynan[4] = NAN;
  write_xyz(dir_ + "/nanlabel.extxyz", atoms, L, ynan);
  std::vector<Atom> al = atoms;
  al[2].species = "Al";
  write_xyz(dir_ + "/alien.extxyz", al, L, y);
  struct Case {
    const char *name;
    std::string yaml;
    std::string expect;
  };
  const std::string head = "data:\n  validation: [../train6.extxyz]\n  elements: [Cu, Zr]\n";
  const std::vector<Case> cases = {
      {"unknown key", head + "  train: [../train0.extxyz]\n  colour: blue\n",
       "train.yaml:5: unknown key 'colour' in section 'data'"},
      {"missing file", head + "  train: [../absent.extxyz]\n",
       "absent.extxyz: cannot open: No such file or directory (relative paths in "},
      {"unknown element", head + "  train: [../alien.extxyz]\n",
       "unknown species 'Al' (atom 3, line 5)"},
      {"missing label", head + "  train: [../nolabel.extxyz]\n", "no label column 'eb'"},
      {"NaN label", head + "  train: [../nanlabel.extxyz]\n",
       "nanlabel.extxyz: line 7 (atom 5), column 5 (eb:R:1): 'nan' is not a real number"},
      {"empty validation",
       "data:\n  train: [../train0.extxyz]\n  validation: []\n  elements: [Cu, Zr]\n",
       "validation set is empty"},
      {"wrong type", head + "  train: [../train0.extxyz]\ntraining: {epochs: 2.5}\n",
       "'training.epochs' must be an integer, got '2.5'"},
  };
  int k = 0;
  for (const Case &c : cases) {
    const std::string d = dir_ + "/bad" + std::to_string(k++);
    mkdir(d.c_str(), 0755);
    std::ofstream(d + "/train.yaml") << c.yaml;
    const Result r = run(kTrain + " " + d + "/train.yaml --dry-run");
    EXPECT_NE(r.status, 0) << c.name;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << c.name << ": output was:\n"
                                                       << r.out << "expected: " << c.expect;
  }
  const Result missing_cfg = run(kTrain + " " + dir_ + "/no-such.yaml");
  EXPECT_NE(missing_cfg.status, 0);
  EXPECT_NE(missing_cfg.out.find("cannot open the config file"), std::string::npos);
}

// The ridge baseline recovers a label that is linear in shell counts.
TEST_F(TrainerRun, RidgeBaselineFitsShellCountLabels) {
  std::string files;
  for (int k = 0; k < 6; ++k) files += " " + dir_ + "/train" + std::to_string(k) + ".extxyz";
  const std::string out = dir_ + "/ridge.txt";
  const Result r = run(kRidge + " --train" + files + " --test " + dir_ + "/train6.extxyz --write " +
                       out + " --rmax 6");
  ASSERT_EQ(r.status, 0) << r.out;
  const size_t at = r.out.find("ridge_baseline_pearson: ");
  ASSERT_NE(at, std::string::npos) << r.out;
  const double pr = std::stod(r.out.substr(at + 24));
  EXPECT_GT(pr, 0.9) << r.out;
  EXPECT_EQ(read_text(out), r.out.substr(at, r.out.find('\n', at) - at + 1));
  // Without --write nothing is written.
  std::remove(out.c_str());
  ASSERT_EQ(run(kRidge + " --train" + files + " --test " + dir_ + "/train6.extxyz").status, 0);
  EXPECT_FALSE(std::ifstream(out).good());
}

// ---------------------------------------------------------- --recalibrate-bn

// The cutoff graph of a synthetic box in file order (species: Cu 0, Zr 1).
symgnn_graph *box_graph(const std::vector<Atom> &atoms, double L) {
  std::vector<double> pos;
  std::vector<int> species;
  for (const Atom &a : atoms) {
    pos.insert(pos.end(), a.x, a.x + 3);
    species.push_back(a.species == "Zr" ? 1 : 0);
  }
  const double lat[9] = {L, 0, 0, 0, L, 0, 0, 0, L};
  symgnn_graph *g = nullptr;
  symgnn_error err;
  EXPECT_EQ(SYMGNN_OK,
            symgnn_graph_build((int)atoms.size(), pos.data(), lat, species.data(), 5.0, &g, &err))
      << err.message;
  return g;
}

// Eval-mode predictions (eV) of a model file on a graph.
std::vector<double> eval_predict(const symgnn_model *m, const symgnn_graph *g) {
  const symgnn_graph_view v = symgnn_graph_get_view(g);
  std::vector<double> out(v.nlocal);
  symgnn_eval *ev = nullptr;
  symgnn_error err;
  EXPECT_EQ(SYMGNN_OK, symgnn_eval_create(m, &ev, &err)) << err.message;
  EXPECT_EQ(SYMGNN_OK, symgnn_predict(ev, &v, out.data(), &err)) << err.message;
  symgnn_eval_free(ev);
  return out;
}

// Train-mode predictions (eV) with dropout 0 and batch statistics, statistics untouched.
std::vector<double> train_mode_predict(symgnn_model *m, const symgnn_graph *g) {
  const symgnn_graph_view v = symgnn_graph_get_view(g);
  std::vector<float> z(v.nlocal);
  symgnn_trainer *tr = nullptr;
  symgnn_error err;
  EXPECT_EQ(SYMGNN_OK, symgnn_trainer_create(m, &tr, &err)) << err.message;
  symgnn_train_opts o;
  symgnn_train_opts_default(&o);
  o.dropout = 0.0;
  o.update_stats = 0;
  EXPECT_EQ(SYMGNN_OK, symgnn_trainer_step(tr, m, &v, nullptr, symgnn_model_ntransforms(m),
                                           symgnn_model_transforms(m), &o, nullptr, nullptr,
                                           nullptr, z.data(), &err))
      << err.message;
  symgnn_trainer_free(tr);
  double mean, std;
  symgnn_model_label_norm(m, &mean, &std);
  std::vector<double> out(v.nlocal);
  for (int i = 0; i < v.nlocal; ++i) out[i] = mean + std * z[i];
  return out;
}

double max_abs_diff(const std::vector<double> &a, const std::vector<double> &b) {
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
  return d;
}

symgnn_model *read_model(const std::string &path) {
  symgnn_model *m = nullptr;
  symgnn_error err;
  EXPECT_EQ(SYMGNN_OK, symgnn_model_read(path.c_str(), &m, &err)) << path << ": " << err.message;
  return m;
}

// One training configuration and one transform: the recalibrated running
// statistics are exactly that configuration's train-mode batch statistics, so
// eval mode reproduces train mode (dropout 0). The running variance holds the
// unbiased estimate and train mode normalizes with the biased one, so the test
// scales it back by (n-1)/n (n nodes, or n edges for the edge BNs) first.
TEST_F(TrainerRun, RecalibratedStatisticsAreTheBatchStatistics) {
  const std::string d = config("recal_one",
                               "model: {width: 8, heads: [2, 1], decoder_depth: 2, dropout: 0.5}\n"
                               "symmetrization: {mode: fixed, transforms: [[1, 0, 0, 0, 1, 0, 0, "
                               "0, 1]]}\n"
                               "optimizer: {lr: 0.01, clip_norm: 0}\n"
                               "training: {epochs: 20, eval_interval: 10, seed: 3}\n",
                               1);
  ASSERT_EQ(run(kTrain + " " + d + "/train.yaml").status, 0);
  const Result r = run(kTrain + " " + d + "/train.yaml --recalibrate-bn " + d +
                       "/symgnn-final.model -o " + d + "/recal.model");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("on 1 training configurations (dropout 0)"), std::string::npos) << r.out;
  const std::vector<Atom> atoms = make_box(128, box_L_, 100);
  symgnn_graph *g = box_graph(atoms, box_L_);
  ASSERT_NE(g, nullptr);
  const double n = (double)atoms.size(), ne = (double)symgnn_graph_nedges(g);
  // Before: statistics gathered under dropout 0.5 as an EMA, far from train mode.
  symgnn_model *before = read_model(d + "/symgnn-final.model");
  const double diff_before = max_abs_diff(eval_predict(before, g), train_mode_predict(before, g));
  EXPECT_GT(diff_before, 1e-2);
  symgnn_model *m = read_model(d + "/recal.model");
  ASSERT_NE(m, nullptr);
  const symgnn_layout *lay = symgnn_model_layout(m);
  float *stats = symgnn_model_stats(m);
  auto unbias = [&](const symgnn_bn_ref &bn, double count) {
    for (int j = 0; j < bn.width; ++j) stats[bn.var + j] *= (float)((count - 1) / count);
  };
  unbias(lay->node_bn0, n);
  unbias(lay->node_bn1, n);
  unbias(lay->edge_bn0, ne);
  unbias(lay->edge_bn1, ne);
  for (int l = 0; l < lay->nlayers; ++l) {
    unbias(lay->layer[l].bn_node, n);
    if (l + 1 < lay->nlayers) unbias(lay->layer[l].bn_edge, ne);
  }
  for (int k = 0; k < lay->decoder_depth; ++k) unbias(lay->dec[k].bn, n);
  const double diff = max_abs_diff(eval_predict(m, g), train_mode_predict(m, g));
  std::printf("max |eval - train mode|: %.3g eV before recalibration, %.3g after\n", diff_before,
              diff);
  EXPECT_LT(diff, 1e-4);
  std::map<std::string, std::string> prov = provenance_of(m), prov0 = provenance_of(before);
  EXPECT_EQ(prov["bn_recalibrated"], "1 configurations of " + d + "/../train0.extxyz, dropout 0");
  for (const auto &kv : prov0) EXPECT_EQ(prov[kv.first], kv.second) << kv.first;
  EXPECT_EQ(symgnn_model_nparams(m), symgnn_model_nparams(before));
  EXPECT_EQ(0, std::memcmp(symgnn_model_params_const(m), symgnn_model_params_const(before),
                           symgnn_model_nparams(m) * sizeof(float)));
  symgnn_model_free(m);
  symgnn_model_free(before);
  symgnn_graph_free(g);
}

// The kernel's cumulative average for the edge encoder, whose BNs are updated
// once per transform: two passes with transforms {O1, O2} leave the same
// edge-encoder statistics as four single-transform passes O1, O2, O1, O2.
TEST(RecalibrateKernel, EdgeEncoderStatisticsAverageOverPassesAndTransforms) {
  const char *names[2] = {"Cu", "Zr"};
  symgnn_arch arch;
  symgnn_arch_default(&arch, 2, names);
  arch.width = 8;
  const double c = std::cos(0.7), s = std::sin(0.7);
  const double t[18] = {1, 0, 0, 0, 1, 0, 0, 0, 1, c, -s, 0, s, c, 0, 0, 0, 1};
  symgnn_model *a = nullptr, *b = nullptr;
  symgnn_error err;
  ASSERT_EQ(SYMGNN_OK, symgnn_model_create(&arch, 2, t, 7, &a, &err)) << err.message;
  ASSERT_EQ(SYMGNN_OK, symgnn_model_create(&arch, 2, t, 7, &b, &err)) << err.message;
  const double L = std::cbrt(64 / 0.063);
  symgnn_graph *g[2] = {box_graph(make_box(64, L, 1), L), box_graph(make_box(64, L, 2), L)};
  symgnn_trainer *tr = nullptr;
  ASSERT_EQ(SYMGNN_OK, symgnn_trainer_create(a, &tr, &err)) << err.message;
  symgnn_train_opts o;
  symgnn_train_opts_default(&o);
  o.dropout = 0.0;
  for (int p = 0; p < 2; ++p) {
    const symgnn_graph_view v = symgnn_graph_get_view(g[p]);
    o.bn_average_step = p + 1;
    ASSERT_EQ(SYMGNN_OK, symgnn_trainer_step(tr, a, &v, nullptr, 2, t, &o, nullptr, nullptr,
                                             nullptr, nullptr, &err))
        << err.message;
    for (int k = 0; k < 2; ++k) {
      o.bn_average_step = 2 * p + k + 1;
      ASSERT_EQ(SYMGNN_OK, symgnn_trainer_step(tr, b, &v, nullptr, 1, t + 9 * k, &o, nullptr,
                                               nullptr, nullptr, nullptr, &err))
          << err.message;
    }
  }
  const symgnn_layout *lay = symgnn_model_layout(a);
  const float *sa = symgnn_model_stats_const(a), *sb = symgnn_model_stats_const(b);
  const float *initial = nullptr;
  symgnn_model *fresh = nullptr;
  ASSERT_EQ(SYMGNN_OK, symgnn_model_create(&arch, 2, t, 7, &fresh, &err)) << err.message;
  initial = symgnn_model_stats_const(fresh);
  int moved = 0;
  for (const symgnn_bn_ref *bn : {&lay->edge_bn0, &lay->edge_bn1})
    for (int j = 0; j < bn->width; ++j)
      for (size_t off : {bn->mean + j, bn->var + j}) {
        EXPECT_NEAR(sa[off], sb[off], 1e-5 * (1 + std::fabs(sb[off]))) << "statistic " << off;
        moved += sa[off] != initial[off];
      }
  EXPECT_GT(moved, 0);
  symgnn_model_free(fresh);
  symgnn_trainer_free(tr);
  for (symgnn_graph *gg : g) symgnn_graph_free(gg);
  symgnn_model_free(a);
  symgnn_model_free(b);
}

// Mean squared eval-mode error (eV^2) of a model on the training boxes 0..n-1.
double train_mse(const std::string &model_path, int n, double L) {
  symgnn_model *m = read_model(model_path);
  double sq = 0;
  size_t count = 0;
  for (int k = 0; k < n; ++k) {
    const std::vector<Atom> atoms = make_box(128, L, 100 + k);
    const std::vector<double> y = make_labels(atoms, L, 200 + k);
    symgnn_graph *g = box_graph(atoms, L);
    const std::vector<double> p = eval_predict(m, g);
    for (size_t i = 0; i < p.size(); ++i, ++count) sq += (p[i] - y[i]) * (p[i] - y[i]);
    symgnn_graph_free(g);
  }
  symgnn_model_free(m);
  return sq / (double)count;
}

// A model trained with dropout 0.5 predicts its own training data better in
// eval mode once its statistics are recomputed without dropout. Measured: eval
// MSE on the 4 training boxes 0.0402 eV^2 before, 0.0359 after.
TEST_F(TrainerRun, RecalibrationLowersTheEvalErrorOfADropoutModel) {
  const std::string d =
      config("recal_four", "model: {width: 8, heads: [2, 1], decoder_depth: 2, dropout: 0.5}\n"
                           "optimizer: {lr: 0.01, clip_norm: 0}\n"
                           "training: {batch: 2, epochs: 15, eval_interval: 10, seed: 5}\n");
  ASSERT_EQ(run(kTrain + " " + d + "/train.yaml").status, 0);
  const Result r = run(kTrain + " " + d + "/train.yaml --recalibrate-bn " + d +
                       "/symgnn-final.model -o " + d + "/recal.model");
  ASSERT_EQ(r.status, 0) << r.out;
  const double before = train_mse(d + "/symgnn-final.model", 4, box_L_);
  const double after = train_mse(d + "/recal.model", 4, box_L_);
  std::printf("eval MSE on the training boxes: %.4g eV^2 before, %.4g after\n", before, after);
  EXPECT_LT(after, before);
  // The tool's own report names the same direction on the normalized scale.
  double z0 = 0, z1 = 0;
  const size_t at = r.out.find("mse_z ");
  ASSERT_NE(at, std::string::npos) << r.out;
  ASSERT_EQ(2, std::sscanf(r.out.c_str() + at, "mse_z %lf -> %lf", &z0, &z1)) << r.out;
  EXPECT_LT(z1, z0);
  if (!kMpirun.empty()) { // two ranks split the configurations and average: same statistics
    const Result p =
        run(kMpirun + " --allow-run-as-root --oversubscribe -np 2 " + kTrain + " " + d +
            "/train.yaml --recalibrate-bn " + d + "/symgnn-final.model -o " + d + "/recal2.model");
    ASSERT_EQ(p.status, 0) << p.out;
    symgnn_model *a = read_model(d + "/recal.model"), *b = read_model(d + "/recal2.model");
    const float *sa = symgnn_model_stats_const(a), *sb = symgnn_model_stats_const(b);
    for (size_t i = 0; i < symgnn_model_nstats(a); ++i)
      EXPECT_NEAR(sa[i], sb[i], 1e-5 * (1 + std::fabs(sa[i]))) << "statistic " << i;
    symgnn_model_free(a);
    symgnn_model_free(b);
  }
}

// --to-haar keeps every weight and every statistic but the edge encoder's,
// which become the exact statistics of the O(3) average: the limit that a
// --recalibrate-bn of the same weights with 1024 random O(3) transforms (the
// train-mode kernel, gradient-checked elsewhere) approaches.
TEST_F(TrainerRun, ToHaarStatisticsAreTheLimitOfManyTransforms) {
  const std::string d =
      config("to_haar", "model: {width: 8, heads: [2, 1], decoder_depth: 1}\n", 1);
  const symgnn_arch arch = symgnn_test::narrow_arch();
  const std::vector<double> t = symgnn_test::random_transforms(1024, 5);
  symgnn_model *m = symgnn_test::random_model(1024, t.data(), 3, 2, &arch);
  ASSERT_NE(m, nullptr);
  symgnn_error err;
  ASSERT_EQ(SYMGNN_OK, symgnn_model_write(m, (d + "/k.model").c_str(), &err)) << err.message;
  const std::string cfg = kTrain + " " + d + "/train.yaml ";
  const Result mc = run(cfg + "--recalibrate-bn " + d + "/k.model -o " + d + "/mc.model");
  ASSERT_EQ(mc.status, 0) << mc.out;
  const Result h = run(cfg + "--to-haar " + d + "/k.model -o " + d + "/haar.model");
  ASSERT_EQ(h.status, 0) << h.out;
  EXPECT_NE(h.out.find("to the exact O(3) average (haar)"), std::string::npos) << h.out;
  symgnn_model *a = read_model(d + "/mc.model"), *b = read_model(d + "/haar.model");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(symgnn_model_symmetrization(b), SYMGNN_SYMM_HAAR);
  EXPECT_EQ(symgnn_model_ntransforms(b), 0);
  EXPECT_EQ(0, std::memcmp(symgnn_model_params_const(m), symgnn_model_params_const(b),
                           symgnn_model_nparams(m) * sizeof(float)));
  const symgnn_layout *lay = symgnn_model_layout(b);
  const float *sm = symgnn_model_stats_const(m), *sa = symgnn_model_stats_const(a),
              *sb = symgnn_model_stats_const(b);
  const size_t enc0 = lay->edge_bn0.mean, enc1 = lay->edge_bn1.var + (size_t)lay->edge_bn1.width;
  double worst = 0.0, moved = 0.0;
  for (size_t i = 0; i < symgnn_model_nstats(b); ++i) {
    if (i < enc0 || i >= enc1) {
      EXPECT_EQ(sb[i], sm[i]) << "statistic " << i << " outside the edge encoder changed";
      continue;
    }
    worst = std::max(worst, std::fabs((double)sb[i] - sa[i]) / (1.0 + std::fabs((double)sa[i])));
    moved = std::max(moved, std::fabs((double)sb[i] - sm[i]));
  }
  std::printf("edge-encoder statistics: haar vs 1024 transforms %.3g (relative), vs the "
              "original %.3g\n",
              worst, moved);
  EXPECT_LT(worst, 1e-2);
  EXPECT_GT(moved, 0.05); // the random statistics were replaced
  EXPECT_EQ(provenance_of(b)["symmetrization_converted"],
            "haar; edge-encoder BatchNorm statistics exact over the edges of 1 configurations "
            "of " +
                d + "/../train0.extxyz");
  symgnn_model_free(a);
  symgnn_model_free(b);
  symgnn_model_free(m);
}

// Haar mode learns the synthetic label as the fixed mode does (same targets),
// and writes haar models whose provenance says so.
TEST_F(TrainerRun, HaarModeLearnsTheSyntheticLabel) {
  std::string out;
  const std::string d = learn_synthetic("learn_haar", "symmetrization: {mode: haar}\n", &out);
  expect_learned(d, nullptr);
  symgnn_model *m = read_model(d + "/symgnn-best.model");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(symgnn_model_symmetrization(m), SYMGNN_SYMM_HAAR);
  EXPECT_EQ(provenance_of(m)["symmetrization"].rfind("haar", 0), 0u);
  symgnn_model_free(m);
  // A fixed-mode checkpoint is refused by a haar config, with both modes named.
  const std::string f = config("learn_haar_fixed",
                               "model: {width: 16, heads: [2, 1], decoder_depth: 2}\n"
                               "training: {batch: 3, epochs: 1, seed: 3}\n",
                               6);
  ASSERT_EQ(run(kTrain + " " + f + "/train.yaml").status, 0);
  const Result bad = run(kTrain + " " + d + "/train.yaml --restart " + f + "/symgnn-train.ckpt");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.out.find("fixed symmetrization; the config gives"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find(", haar"), std::string::npos) << bad.out;
}

// training.bn_stats: recalibrated recomputes the statistics before every
// validation, so the final model carries exactly what --recalibrate-bn gives
// for its weights (the EMA under dropout 0.5 would differ), and the learning
// curve's validation MSE comes from those statistics.
TEST_F(TrainerRun, RecalibratedValidationStatistics) {
  const std::string d = config("bn_recal",
                               "model: {width: 8, heads: [2, 1], decoder_depth: 2, dropout: 0.5}\n"
                               "symmetrization: {mode: haar}\n"
                               "optimizer: {lr: 0.01, clip_norm: 0}\n"
                               "training: {batch: 2, epochs: 4, eval_interval: 4, seed: 3, "
                               "bn_stats: recalibrated}\n",
                               2);
  const Result r = run(kTrain + " " + d + "/train.yaml");
  ASSERT_EQ(r.status, 0) << r.out;
  const Result rc = run(kTrain + " " + d + "/train.yaml --recalibrate-bn " + d +
                        "/symgnn-final.model -o " + d + "/again.model");
  ASSERT_EQ(rc.status, 0) << rc.out;
  symgnn_model *a = read_model(d + "/symgnn-final.model"), *b = read_model(d + "/again.model");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(0, std::memcmp(symgnn_model_stats_const(a), symgnn_model_stats_const(b),
                           symgnn_model_nstats(a) * sizeof(float)));
  EXPECT_NE(provenance_of(a)["config"].find("bn_stats=recalibrated"), std::string::npos);
  symgnn_model_free(a);
  symgnn_model_free(b);
}

TEST_F(TrainerRun, RecalibrateErrors) {
  const std::string d = config("recal_err", "");
  const char *names[2] = {"Cu", "Ni"};
  symgnn_arch arch;
  symgnn_arch_default(&arch, 2, names);
  symgnn_error err;
  symgnn_model *m = identity_model(arch, 1, &err);
  ASSERT_NE(m, nullptr) << err.message;
  ASSERT_EQ(SYMGNN_OK, symgnn_model_write(m, (d + "/cuni.model").c_str(), &err)) << err.message;
  symgnn_model_free(m);
  arch = cuzr_arch();
  arch.cutoff = 4.5;
  ASSERT_NE(m = identity_model(arch, 1, &err), nullptr) << err.message;
  ASSERT_EQ(SYMGNN_OK, symgnn_model_write(m, (d + "/cut.model").c_str(), &err)) << err.message;
  symgnn_model_free(m);
  const std::string cfg = d + "/train.yaml";
  const std::string out = " -o " + d + "/o.model";
  const struct {
    std::string args;
    int status;
    std::string message;
  } cases[] = {
      {cfg + " --recalibrate-bn " + d + "/cuni.model" + out, 1,
       "cuni.model: model elements [Cu, Ni] differ from the config's data.elements [Cu, Zr]"},
      {cfg + " --recalibrate-bn " + d + "/cut.model" + out, 1,
       "cut.model: model cutoff 4.5 differs from the config's data.cutoff 5"},
      {cfg + " --recalibrate-bn " + d + "/cuni.model", 2,
       "--recalibrate-bn needs CONFIG, MODEL and -o OUT"},
      {"--recalibrate-bn " + d + "/cuni.model" + out, 2,
       "--recalibrate-bn needs CONFIG, MODEL and -o OUT"},
      {cfg + " --recalibrate-bn " + d + "/cuni.model" + out + " --dry-run", 2,
       "unexpected or incomplete argument '--dry-run'"},
      {cfg + " --recalibrate-bn " + d + "/none.model" + out, 1,
       "error: cannot read the model: cannot open"},
      {d + "/none.yaml --recalibrate-bn " + d + "/cuni.model" + out, 1, "none.yaml"},
      {cfg + " --to-haar " + d + "/cuni.model", 2, "--to-haar needs CONFIG, MODEL and -o OUT"},
      {cfg + " --to-haar " + d + "/cut.model" + out, 1,
       "cut.model: model cutoff 4.5 differs from the config's data.cutoff 5"},
      {cfg + " --to-haar " + d + "/cuni.model --recalibrate-bn " + d + "/cuni.model" + out, 2,
       "unexpected or incomplete argument '--to-haar'"},
  };
  for (const auto &c : cases) {
    const Result r = run(kTrain + " " + c.args);
    EXPECT_EQ(r.status, c.status) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.message), std::string::npos) << c.args << "\n" << r.out;
  }
  EXPECT_FALSE(std::ifstream(d + "/o.model").good());
}

} // namespace
