// The exact O(3) average (haar models): the distance table against an
// independent sphere average and against the library's direct quadrature,
// the errors the build reports, and invariance of the predicted barriers
// under rotations, reflections and axis permutations of periodic cells.
#include "symgnn.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace symgnn_test;

namespace {

EvalPtr eval_of(const symgnn_model *m) {
  symgnn_eval *ev = nullptr;
  symgnn_error err{};
  EXPECT_EQ(symgnn_eval_create(m, &ev, &err), SYMGNN_OK) << err.message;
  return EvalPtr(ev);
}

symgnn_haar_table_info info_of(const symgnn_eval *ev) {
  symgnn_haar_table_info info{};
  symgnn_error err{};
  EXPECT_EQ(symgnn_eval_haar_info(ev, &info, &err), SYMGNN_OK) << err.message;
  return info;
}

// Independent sphere mean of phi(r u) in double, straight from the model's
// unfolded weights (Linear, BN with running statistics, ReLU, twice), with a
// midpoint rule in cos(theta) and azimuth about a tilted pole: none of its
// nodes or kinks line up with the library's rule.
std::vector<double> reference_mean(const symgnn_model *m, double r, int nz) {
  const symgnn_layout *L = symgnn_model_layout(m);
  const float *p = symgnn_model_params_const(m), *s = symgnn_model_stats_const(m);
  const int d = L->width, nphi = 2 * nz;
  std::mt19937_64 rng(99);
  const std::array<double, 9> R = random_rotation(rng);
  auto bn = [&](const symgnn_bn_ref &b, int j, double x) {
    return (x - s[b.mean + j]) / std::sqrt((double)s[b.var + j] + 1e-5) * p[b.gamma + j] +
           p[b.beta + j];
  };
  std::vector<double> out(d, 0.0), a(d);
  for (int i = 0; i < nz; ++i) {
    const double z = -1.0 + (i + 0.5) * 2.0 / nz, sz = std::sqrt(1.0 - z * z);
    for (int q = 0; q < nphi; ++q) {
      const double psi = 2.0 * M_PI * (q + 0.5) / nphi;
      const double v[3] = {sz * std::cos(psi), sz * std::sin(psi), z};
      double x[3];
      for (int c = 0; c < 3; ++c)
        x[c] = r * (R[3 * c] * v[0] + R[3 * c + 1] * v[1] + R[3 * c + 2] * v[2]);
      for (int j = 0; j < d; ++j) {
        double y = p[L->edge_lin0.b + j];
        for (int c = 0; c < 3; ++c) y += p[L->edge_lin0.w + 3 * j + c] * x[c];
        a[j] = std::max(0.0, bn(L->edge_bn0, j, y));
      }
      for (int k = 0; k < d; ++k) {
        double y = p[L->edge_lin1.b + k];
        for (int j = 0; j < d; ++j) y += p[L->edge_lin1.w + (size_t)k * d + j] * a[j];
        out[k] += std::max(0.0, bn(L->edge_bn1, k, y)) / (nz * (double)nphi);
      }
    }
  }
  return out;
}

// The table agrees with an independent, much finer sphere average to 1e-5 of
// max |g0|, at distances from 0 to the cutoff.
TEST(HaarTable, MatchesAnIndependentSphereAverage) {
  const symgnn_arch arch = narrow_arch();
  ModelPtr m(random_model(0, nullptr, 5, 2, &arch));
  ASSERT_TRUE(m);
  ASSERT_EQ(symgnn_model_symmetrization(m.get()), SYMGNN_SYMM_HAAR);
  EvalPtr ev = eval_of(m.get());
  const symgnn_haar_table_info info = info_of(ev.get());
  std::mt19937_64 rng(3);
  const double rs[] = {0.0, 0.37, 1.2, 2.05, 2.6, 3.14, 3.9, 4.41, 4.87, 5.0};
  double worst = 0.0;
  for (double r : rs) {
    const std::array<double, 9> R = random_rotation(rng);
    const double x[3] = {r * R[0], r * R[3], r * R[6]};
    std::vector<float> g(arch.width);
    symgnn_error err{};
    ASSERT_EQ(symgnn_eval_edge_encode(ev.get(), 1, x, g.data(), &err), SYMGNN_OK) << err.message;
    const std::vector<double> ref = reference_mean(m.get(), r, 700);
    for (int j = 0; j < arch.width; ++j) worst = std::max(worst, std::fabs(g[j] - ref[j]));
  }
  EXPECT_LE(worst, 1e-5 * info.scale) << "scale " << info.scale;
  EXPECT_GT(info.scale, 0.1);
}

// Table against the library's direct quadrature of a higher order on edges
// of every length and direction (paper architecture).
TEST(HaarTable, MatchesDirectQuadratureOfHigherOrder) {
  ModelPtr m(random_model(0, nullptr, 7));
  ASSERT_TRUE(m);
  EvalPtr ev = eval_of(m.get());
  const symgnn_haar_table_info info = info_of(ev.get());
  const int n = 120, d = 32;
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0.0, 5.0);
  std::vector<double> x(3 * n);
  for (int e = 0; e < n; ++e) {
    const std::array<double, 9> R = random_rotation(rng);
    const double r = e == 0 ? 0.0 : (e == 1 ? 5.0 : u(rng));
    for (int c = 0; c < 3; ++c) x[3 * e + c] = r * R[3 * c];
  }
  std::vector<float> table(n * d), direct(n * d);
  symgnn_error err{};
  ASSERT_EQ(symgnn_eval_edge_encode(ev.get(), n, x.data(), table.data(), &err), SYMGNN_OK);
  ASSERT_EQ(symgnn_eval_set_haar_direct(ev.get(), 3 * info.order / 2, &err), SYMGNN_OK);
  ASSERT_EQ(symgnn_eval_edge_encode(ev.get(), n, x.data(), direct.data(), &err), SYMGNN_OK);
  double worst = 0.0;
  for (int i = 0; i < n * d; ++i) worst = std::max(worst, (double)std::fabs(table[i] - direct[i]));
  EXPECT_LE(worst, 1e-5 * info.scale);
  EXPECT_GT(worst, 0.0); // two different computations, not one value read twice
}

// The build measures its errors by refinement and reports them.
TEST(HaarTable, BuildReportsItsMeasuredErrors) {
  ModelPtr m(random_model(0, nullptr, 9));
  EvalPtr ev = eval_of(m.get());
  const symgnn_haar_table_info info = info_of(ev.get());
  EXPECT_GE(info.order, 96);
  EXPECT_GT(info.quad_error, 0.0);
  EXPECT_LE(info.quad_error, 3e-6); // the ladder stops at the first order within 3e-6
  EXPECT_GT(info.interp_error, 0.0);
  EXPECT_LE(info.interp_error, 2e-6);
  EXPECT_GE(info.ndist, 1001); // spacing at most 0.005 Angstrom
  EXPECT_GT(info.dr, 0.0);
  EXPECT_GE(info.build_seconds, 0.0);
  // A model that stores transforms has no table.
  const std::vector<double> t = random_transforms(2, 1);
  ModelPtr mt(random_model(2, t.data(), 9));
  EvalPtr et = eval_of(mt.get());
  symgnn_haar_table_info none{};
  symgnn_error err{};
  EXPECT_EQ(symgnn_eval_haar_info(et.get(), &none, &err), SYMGNN_ERR_ARG);
  EXPECT_EQ(symgnn_eval_set_haar_direct(et.get(), 8, &err), SYMGNN_ERR_ARG);
}

// Predicted barriers of a periodic configuration (eV).
std::vector<double> predict(symgnn_eval *ev, const std::vector<double> &pos, const double lat[9],
                            const std::vector<int> &species) {
  const int n = (int)species.size();
  symgnn_graph *g = nullptr;
  symgnn_error err{};
  EXPECT_EQ(symgnn_graph_build(n, pos.data(), lat, species.data(), 5.0, &g, &err), SYMGNN_OK)
      << err.message;
  const symgnn_graph_view v = symgnn_graph_get_view(g);
  std::vector<double> out(n);
  EXPECT_EQ(symgnn_predict(ev, &v, out.data(), &err), SYMGNN_OK) << err.message;
  symgnn_graph_free(g);
  return out;
}

// Rows of n vectors (and the lattice) transformed as v' = v T^T.
std::vector<double> transform_rows(const std::vector<double> &v, const std::array<double, 9> &T) {
  std::vector<double> out(v.size());
  for (size_t i = 0; i < v.size() / 3; ++i)
    for (int a = 0; a < 3; ++a)
      out[3 * i + a] =
          T[3 * a] * v[3 * i] + T[3 * a + 1] * v[3 * i + 1] + T[3 * a + 2] * v[3 * i + 2];
  return out;
}

// Orthogonal transforms of every kind: random rotations, reflections (-R and
// a mirror), and the axis permutations.
std::vector<std::array<double, 9>> o3_samples() {
  std::mt19937_64 rng(2024);
  std::vector<std::array<double, 9>> t;
  for (int k = 0; k < 3; ++k) t.push_back(random_rotation(rng));
  std::array<double, 9> R = random_rotation(rng);
  for (double &v : R) v = -v;
  t.push_back(R);
  t.push_back({1, 0, 0, 0, 1, 0, 0, 0, -1});
  t.push_back({0, 1, 0, 0, 0, 1, 1, 0, 0});
  t.push_back({0, 1, 0, 1, 0, 0, 0, 0, 1});
  t.push_back({0, 0, 1, 0, 1, 0, 1, 0, 0});
  return t;
}

// Largest |change of EB| over the transforms, for a model and a cell.
double largest_change(symgnn_model *m, const double lat[9], int natoms, unsigned seed) {
  const std::vector<double> pos = random_config(natoms, lat, 2.1, seed);
  std::vector<int> species(natoms);
  for (int i = 0; i < natoms; ++i) species[i] = (i * 7) % 3 == 0 ? 1 : 0;
  EvalPtr ev = eval_of(m);
  const std::vector<double> base = predict(ev.get(), pos, lat, species);
  const std::vector<double> l(lat, lat + 9);
  double worst = 0.0;
  for (const std::array<double, 9> &T : o3_samples()) {
    const std::vector<double> tl = transform_rows(l, T);
    const std::vector<double> out = predict(ev.get(), transform_rows(pos, T), tl.data(), species);
    for (int i = 0; i < natoms; ++i) worst = std::max(worst, std::fabs(out[i] - base[i]));
  }
  return worst;
}

// Haar predictions are unchanged to 1e-5 eV under rotations, reflections and
// axis permutations, in an orthorhombic and a general triclinic cell (the
// latter thinner than two cutoffs along one direction); the same weights
// with two stored transforms change by far more, so the check can fail.
TEST(HaarForward, InvariantUnderRotationsReflectionsAndPermutations) {
  ModelPtr haar(random_model(0, nullptr, 21));
  const std::vector<double> t = random_transforms(2, 4);
  ModelPtr two(random_model(2, t.data(), 21));
  ASSERT_TRUE(haar && two);
  const double ortho[9] = {12.0, 0, 0, 0, 11.0, 0, 0, 0, 11.5};
  const double tric[9] = {12.5, 0.0, 0.0, 3.1, 11.8, 0.0, -2.4, 2.7, 9.4};
  for (const double *lat : {ortho, tric}) {
    EXPECT_LE(largest_change(haar.get(), lat, 70, 5), 1e-5);
    EXPECT_GE(largest_change(two.get(), lat, 70, 5), 1e-3);
  }
}

// Barriers from the table equal those from direct quadrature on every edge.
TEST(HaarForward, DirectQuadratureGivesTheSameBarriers) {
  ModelPtr m(random_model(0, nullptr, 31));
  EvalPtr ev = eval_of(m.get());
  const double lat[9] = {8.6, 0, 0, 0, 8.4, 0, 0.5, 0, 8.8};
  const int n = 24;
  const std::vector<double> pos = random_config(n, lat, 2.2, 8);
  std::vector<int> species(n);
  for (int i = 0; i < n; ++i) species[i] = i % 3 == 0;
  const std::vector<double> table = predict(ev.get(), pos, lat, species);
  symgnn_error err{};
  ASSERT_EQ(symgnn_eval_set_haar_direct(ev.get(), 3 * info_of(ev.get()).order / 2, &err),
            SYMGNN_OK);
  const std::vector<double> direct = predict(ev.get(), pos, lat, species);
  double worst = 0.0;
  for (int i = 0; i < n; ++i) worst = std::max(worst, std::fabs(table[i] - direct[i]));
  EXPECT_LE(worst, 1e-5);
}

// An edge longer than the cutoff (a graph from another producer) is refused
// with its length, not extrapolated.
TEST(HaarForward, RefusesEdgesBeyondTheCutoff) {
  const symgnn_arch arch = narrow_arch();
  ModelPtr m(random_model(0, nullptr, 5, 2, &arch));
  EvalPtr ev = eval_of(m.get());
  const int species[2] = {0, 1};
  const int64_t off[3] = {0, 2, 3};
  const int src[3] = {0, 1, 1};
  const double disp[9] = {0, 0, 0, 5.1, 0, 0, 0, 0, 0};
  const symgnn_graph_view v = {2, 2, species, off, src, disp};
  double out[2];
  symgnn_error err{};
  EXPECT_EQ(symgnn_predict(ev.get(), &v, out, &err), SYMGNN_ERR_GRAPH);
  EXPECT_NE(std::string(err.message).find("5.1 Angstrom long, beyond the model cutoff 5"),
            std::string::npos)
      << err.message;
}

} // namespace
