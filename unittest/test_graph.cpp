// Graph builder against brute-force O(N^2) searches over periodic images,
// on orthogonal, triclinic, rotated and thin boxes, including pairs at exactly
// the cutoff (excluded: the cutoff is strict).
#include "symgnn.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <tuple>
#include <vector>

using namespace symgnn_test;

namespace {

using Edge = std::tuple<int, int, long, long, long>; // dst, src, rounded displacement (1e-9 A)

long rnd(double x) { return std::lround(x * 1e9); }

// Every (dst, src, image) with |r_dst - r_src - t.L| < rc, images |t_k| <= range.
std::vector<Edge> brute_force(const std::vector<double> &pos, const double L[9], double rc,
                              int range) {
  std::vector<Edge> out;
  const int n = (int)pos.size() / 3;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      for (int a = -range; a <= range; ++a)
        for (int b = -range; b <= range; ++b)
          for (int c = -range; c <= range; ++c) {
            double d[3], r2 = 0.0;
            for (int k = 0; k < 3; ++k) {
              d[k] = pos[3 * i + k] - pos[3 * j + k] - (a * L[k] + b * L[3 + k] + c * L[6 + k]);
              r2 += d[k] * d[k];
            }
            if (r2 < rc * rc) out.emplace_back(i, j, rnd(d[0]), rnd(d[1]), rnd(d[2]));
          }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Edge> built(const std::vector<double> &pos, const double L[9], double rc,
                        bool check_csr = true) {
  const int n = (int)pos.size() / 3;
  std::vector<int> sp(n, 0);
  symgnn_graph *g = nullptr;
  symgnn_error err;
  EXPECT_EQ(symgnn_graph_build(n, pos.data(), L, sp.data(), rc, &g, &err), SYMGNN_OK)
      << err.message;
  std::vector<Edge> out;
  if (!g) return out;
  const symgnn_graph_view v = symgnn_graph_get_view(g);
  for (int t = 0; t < n; ++t) {
    bool self = false;
    for (int64_t e = v.offsets[t]; e < v.offsets[t + 1]; ++e) {
      const double *d = v.disp + 3 * e;
      out.emplace_back(t, v.src[e], rnd(d[0]), rnd(d[1]), rnd(d[2]));
      if (v.src[e] == t && d[0] == 0 && d[1] == 0 && d[2] == 0) self = true;
    }
    if (check_csr) EXPECT_TRUE(self) << "atom " << t << " lacks its self-loop";
  }
  EXPECT_EQ((int64_t)out.size(), symgnn_graph_nedges(g));
  symgnn_graph_free(g);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Graph, OrthogonalMatchesBruteForce) {
  const double L[9] = {14.0, 0, 0, 0, 12.5, 0, 0, 0, 13.2};
  const std::vector<double> pos = random_config(150, L, 1.8, 21);
  const std::vector<Edge> ref = brute_force(pos, L, 5.0, 1);
  EXPECT_EQ(built(pos, L, 5.0), ref);
  EXPECT_GT(ref.size(), 150u * 10);
}

TEST(Graph, PositionsOutsideTheCellAreWrapped) {
  const double L[9] = {14.0, 0, 0, 0, 12.5, 0, 0, 0, 13.2};
  std::vector<double> pos = random_config(120, L, 1.8, 22);
  const std::vector<Edge> ref = brute_force(pos, L, 5.0, 1);
  for (size_t i = 0; i < pos.size(); i += 3) pos[i] += (i % 2 ? 3 : -2) * 14.0;
  std::vector<Edge> got = built(pos, L, 5.0);
  EXPECT_EQ(got.size(), ref.size());
  // displacements must be those of the unshifted copy (shifts are lattice vectors)
  EXPECT_EQ(got, ref);
}

TEST(Graph, GeneralTriclinicMatchesBruteForce) {
  const double L[9] = {13.0, 0.0, 0.0, 4.1, 12.2, 0.0, -3.3, 2.7, 12.8};
  const std::vector<double> pos = random_config(140, L, 1.8, 23);
  EXPECT_EQ(built(pos, L, 5.0), brute_force(pos, L, 5.0, 2));
}

TEST(Graph, RotatedOrthogonalBoxGivesRotatedEdges) {
  const double L[9] = {14.0, 0, 0, 0, 12.5, 0, 0, 0, 13.2};
  const std::vector<double> pos = random_config(120, L, 1.8, 24);
  std::mt19937_64 rng(5);
  const std::array<double, 9> R = random_rotation(rng);
  double LR[9];
  std::vector<double> pr(pos.size());
  auto rot = [&](const double *x, double *y) {
    for (int r = 0; r < 3; ++r) y[r] = R[3 * r] * x[0] + R[3 * r + 1] * x[1] + R[3 * r + 2] * x[2];
  };
  for (int a = 0; a < 3; ++a) rot(L + 3 * a, LR + 3 * a);
  for (size_t i = 0; i < pos.size(); i += 3) rot(&pos[i], &pr[i]);
  const std::vector<Edge> got = built(pr, LR, 5.0);
  EXPECT_EQ(got, brute_force(pr, LR, 5.0, 2));
  EXPECT_EQ(got.size(), built(pos, L, 5.0).size());
}

TEST(Graph, BoxThinnerThanTwoCutoffsHasAllImages) {
  const double L[9] = {7.0, 0, 0, 0, 6.1, 0, 0, 0, 4.4}; // < 2 rc, and < rc along z
  const std::vector<double> pos = random_config(12, L, 1.5, 25);
  const std::vector<Edge> ref = brute_force(pos, L, 5.0, 3);
  const std::vector<Edge> got = built(pos, L, 5.0);
  EXPECT_EQ(got, ref);
  // an atom sees its own periodic images along z (4.4 A < 5 A)
  const int self_images = (int)std::count_if(got.begin(), got.end(), [](const Edge &e) {
    return std::get<0>(e) == 0 && std::get<1>(e) == 0;
  });
  EXPECT_EQ(self_images, 3);
}

TEST(Graph, PairsAtExactlyTheCutoffAreExcluded) {
  const double L[9] = {20.0, 0, 0, 0, 20.0, 0, 0, 0, 20.0};
  // 1-2 at exactly 5.0 directly; 3-4 at exactly 5.0 through the boundary; 5-6 at 4.75
  const std::vector<double> pos = {1.0,  1.0,  1.0,  6.0, 1.0,  1.0,  10.0, 0.5,  10.0,
                                   10.0, 15.5, 10.0, 2.0, 10.0, 10.0, 6.75, 10.0, 10.0};
  const std::vector<Edge> got = built(pos, L, 5.0);
  EXPECT_EQ(got.size(), 6u + 2u); // six self-loops + the 4.75 pair both ways
  EXPECT_EQ(got, brute_force(pos, L, 5.0, 1));
}

TEST(Graph, RejectsDegenerateLatticeAndBadCoordinates) {
  const double flat[9] = {10, 0, 0, 0, 10, 0, 20, 20, 0};
  const std::vector<double> pos = {1, 1, 1};
  const int sp = 0;
  symgnn_graph *g = nullptr;
  symgnn_error err;
  EXPECT_EQ(symgnn_graph_build(1, pos.data(), flat, &sp, 5.0, &g, &err), SYMGNN_ERR_GRAPH);
  EXPECT_NE(std::string(err.message).find("degenerate"), std::string::npos);
  const double L[9] = {10, 0, 0, 0, 10, 0, 0, 0, 10};
  const std::vector<double> nanpos = {1, NAN, 1};
  EXPECT_EQ(symgnn_graph_build(1, nanpos.data(), L, &sp, 5.0, &g, &err), SYMGNN_ERR_GRAPH);
  EXPECT_NE(std::string(err.message).find("atom 1"), std::string::npos);
  EXPECT_EQ(symgnn_graph_build(1, pos.data(), L, &sp, -1.0, &g, &err), SYMGNN_ERR_ARG);
  EXPECT_EQ(g, nullptr);
}

TEST(SpatialOrder, IsAPermutationThatKeepsTheGraph) {
  const double L[9] = {13.0, 0.0, 0.0, 4.1, 12.2, 0.0, -3.3, 2.7, 12.8};
  const std::vector<double> pos = random_config(140, L, 1.8, 26);
  const int n = 140;
  std::vector<int> order(n);
  symgnn_error err;
  ASSERT_EQ(symgnn_spatial_order(n, pos.data(), L, 5.0, order.data(), &err), SYMGNN_OK);
  std::vector<int> seen(n, 0);
  for (int i : order) {
    ASSERT_GE(i, 0);
    ASSERT_LT(i, n);
    ++seen[i];
  }
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), n);
  EXPECT_FALSE(std::is_sorted(order.begin(), order.end())); // random input gets reordered
  std::vector<double> sorted(3 * n);
  std::vector<int> inverse(n);
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < 3; ++k) sorted[3 * i + k] = pos[3 * order[i] + k];
    inverse[order[i]] = i;
  }
  std::vector<Edge> relabelled;
  for (const Edge &e : built(pos, L, 5.0))
    relabelled.emplace_back(inverse[std::get<0>(e)], inverse[std::get<1>(e)], std::get<2>(e),
                            std::get<3>(e), std::get<4>(e));
  std::sort(relabelled.begin(), relabelled.end());
  EXPECT_EQ(built(sorted, L, 5.0), relabelled);
}

TEST(SpatialOrder, RejectsDegenerateInputWithIdentity) {
  const double flat[9] = {10, 0, 0, 0, 10, 0, 20, 20, 0};
  const std::vector<double> pos = {1, 1, 1, 2, 2, 2};
  std::vector<int> order(2, -1);
  symgnn_error err;
  EXPECT_EQ(symgnn_spatial_order(2, pos.data(), flat, 5.0, order.data(), &err), SYMGNN_ERR_GRAPH);
  EXPECT_EQ(order, (std::vector<int>{0, 1}));
  const double L[9] = {10, 0, 0, 0, 10, 0, 0, 0, 10};
  const std::vector<double> bad = {1, 1, 1, 2, NAN, 2};
  EXPECT_EQ(symgnn_spatial_order(2, bad.data(), L, 5.0, order.data(), &err), SYMGNN_ERR_GRAPH);
  EXPECT_NE(std::string(err.message).find("atom 2"), std::string::npos);
}

} // namespace
