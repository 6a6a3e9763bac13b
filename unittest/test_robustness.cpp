// Numerical robustness of the forward pass with the shipped potential. The model has no smooth
// cutoff, so an edge that crosses the cutoff changes barriers by a jump; everywhere else the
// predictions must be finite, continuous in the positions, and independent of where the
// periodic sample sits in space. The jumps are reported (doc/science.md); none is asserted
// small, since it is a property of the model, not of the code.
#include "symgnn.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace {

using namespace symgnn_test;

const double kSide = 15.0; // Cu64Zr36 density: about 196 atoms in 15^3 A^3
const double kLat[9] = {kSide, 0, 0, 0, kSide, 0, 0, 0, kSide};
const int kAtoms = 196;

class Robustness : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    symgnn_error err{};
    ASSERT_EQ(symgnn_ensemble_read(SYMGNN_SHIPPED_MODEL, &ens_, &err), SYMGNN_OK) << err.message;
    model_ = symgnn_ensemble_member(ens_, 0);
    for (int k = 0; k < symgnn_ensemble_size(ens_); ++k) {
      symgnn_eval *ev = nullptr;
      ASSERT_EQ(symgnn_eval_create(symgnn_ensemble_member(ens_, k), &ev, &err), SYMGNN_OK)
          << err.message;
      ev_.push_back(ev);
    }
    pos_ = random_config(kAtoms, kLat, 2.2, 21);
    species_.resize(kAtoms);
    for (int i = 0; i < kAtoms; ++i) species_[i] = (i % 25 < 16) ? 0 : 1;
  }
  static void TearDownTestSuite() {
    for (symgnn_eval *ev : ev_) symgnn_eval_free(ev);
    ev_.clear();
    symgnn_ensemble_free(ens_);
  }

  // Barriers (eV) of a configuration, the mean over the shipped ensemble's members; fails the
  // test on any error.
  static std::vector<double> predict(const std::vector<double> &pos) {
    symgnn_graph *g = nullptr;
    symgnn_error err{};
    std::vector<double> eb(kAtoms, NAN);
    EXPECT_EQ(symgnn_graph_build(kAtoms, pos.data(), kLat, species_.data(),
                                 symgnn_model_arch(model_)->cutoff, &g, &err),
              SYMGNN_OK)
        << err.message;
    if (!g) return eb;
    const symgnn_graph_view v = symgnn_graph_get_view(g);
    std::vector<std::vector<double>> member(ev_.size(), std::vector<double>(kAtoms, NAN));
    std::vector<const double *> rows;
    for (size_t k = 0; k < ev_.size(); ++k) {
      EXPECT_EQ(symgnn_predict(ev_[k], &v, member[k].data(), &err), SYMGNN_OK) << err.message;
      rows.push_back(member[k].data());
    }
    symgnn_ensemble_reduce((int)rows.size(), kAtoms, rows.data(), eb.data(), nullptr);
    symgnn_graph_free(g);
    return eb;
  }

  static double max_diff(const std::vector<double> &a, const std::vector<double> &b) {
    double m = 0.0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
    return m;
  }

  static symgnn_ensemble *ens_;
  static const symgnn_model *model_; // member 1: the cutoff
  static std::vector<symgnn_eval *> ev_;
  static std::vector<double> pos_;
  static std::vector<int> species_;
};
symgnn_ensemble *Robustness::ens_ = nullptr;
const symgnn_model *Robustness::model_ = nullptr;
std::vector<symgnn_eval *> Robustness::ev_;
std::vector<double> Robustness::pos_;
std::vector<int> Robustness::species_;

// Minimum-image displacement r_j - r_i in the cubic cell.
void min_image(const std::vector<double> &pos, int i, int j, double d[3]) {
  for (int k = 0; k < 3; ++k) {
    d[k] = pos[3 * j + k] - pos[3 * i + k];
    d[k] -= kSide * std::round(d[k] / kSide);
  }
}

// Pairs crossing the cutoff: atom j is put at distance 5 - 1e-7, 5 - 3e-7 and 5 + 1e-7 A from
// atom i along their bond. Inside the cutoff the barriers move by float rounding only
// (continuity); across it they jump, and the largest jump is reported.
TEST_F(Robustness, CutoffCrossingJumpsAndIsContinuousInside) {
  const double rc = symgnn_model_arch(model_)->cutoff;
  double worst_jump = 0.0, worst_inside = 0.0;
  int pairs = 0;
  for (int i = 0; i < kAtoms && pairs < 12; i += 7)
    for (int j = i + 1; j < kAtoms && pairs < 12; ++j) {
      double d[3];
      min_image(pos_, i, j, d);
      const double r = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
      if (r < rc - 0.05 || r > rc + 0.05) continue;
      std::vector<double> in = pos_, in2 = pos_, out = pos_;
      for (int k = 0; k < 3; ++k) {
        const double u = d[k] / r, base = pos_[3 * j + k] - d[k];
        in[3 * j + k] = base + u * (rc - 1e-7);
        in2[3 * j + k] = base + u * (rc - 3e-7);
        out[3 * j + k] = base + u * (rc + 1e-7);
      }
      const std::vector<double> a = predict(in), b = predict(in2), c = predict(out);
      for (int t = 0; t < kAtoms; ++t) {
        ASSERT_TRUE(std::isfinite(a[t]) && std::isfinite(b[t]) && std::isfinite(c[t]));
      }
      worst_inside = std::max(worst_inside, max_diff(a, b));
      const double jump = max_diff(a, c);
      EXPECT_GT(jump, 1e-7) << "pair " << i << "-" << j << ": the edge at the cutoff has no effect";
      worst_jump = std::max(worst_jump, jump);
      ++pairs;
    }
  ASSERT_GE(pairs, 5);
  EXPECT_LT(worst_inside, 1e-4) << "predictions are not continuous inside the cutoff";
  std::printf("cutoff crossing over %d pairs: largest EB jump %.3g eV, largest change for a "
              "2e-7 A move inside the cutoff %.3g eV\n",
              pairs, worst_jump, worst_inside);
  RecordProperty("largest_cutoff_jump_ev", std::to_string(worst_jump));
}

// The same periodic sample translated by millions of Angstrom: the same barriers (positions
// and displacements are double; the graph sees only displacements).
TEST_F(Robustness, FarFromTheOriginGivesTheSameBarriers) {
  const std::vector<double> ref = predict(pos_);
  for (double shift : {1.0e4, 3.3e6, 9.0e8}) {
    std::vector<double> moved = pos_;
    for (int i = 0; i < kAtoms; ++i) {
      moved[3 * i] += shift;
      moved[3 * i + 1] -= 0.7 * shift;
      moved[3 * i + 2] += 0.3 * shift;
    }
    const std::vector<double> eb = predict(moved);
    EXPECT_LT(max_diff(ref, eb), 1e-5) << "shift " << shift;
  }
}

} // namespace
