// Trainer pieces added for speed and for the redraw command: the spatial
// order of loaded configurations (a permutation that leaves the graph the
// same up to relabelling), the text format of the learned distribution in the
// model provenance, and reading the distribution from a checkpoint.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

extern "C" {
#include "symgnn_tr_data.h"
}

namespace {

// A triclinic cell (rows a, b, c; scaled by `scale`) and n atoms at random fractional positions,
// listed in random order, 64 % Cu.
struct Config {
  double lat[9] = {18.0, 0.0, 0.0, 3.0, 17.0, 0.0, -2.0, 2.5, 16.0};
  std::vector<double> pos;
  std::vector<int> species;
};

Config random_config(int n, unsigned seed, double scale = 1.0) {
  Config c;
  for (double &x : c.lat) x *= scale;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int i = 0; i < n; ++i) {
    const double f[3] = {u(rng), u(rng), u(rng)};
    for (int k = 0; k < 3; ++k)
      c.pos.push_back(f[0] * c.lat[k] + f[1] * c.lat[3 + k] + f[2] * c.lat[6 + k]);
    c.species.push_back(u(rng) < 0.64 ? 0 : 1);
  }
  return c;
}

// The configuration as extended XYZ with the label eb = file index + 0.5.
void write_xyz(const std::string &path, const Config &c) {
  std::FILE *f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fprintf(f, "%zu\nLattice=\"", c.species.size());
  for (int k = 0; k < 9; ++k) std::fprintf(f, "%s%.17g", k ? " " : "", c.lat[k]);
  std::fprintf(f, "\" Properties=species:S:1:pos:R:3:eb:R:1 pbc=\"T T T\"\n");
  for (size_t i = 0; i < c.species.size(); ++i)
    std::fprintf(f, "%s %.17g %.17g %.17g %.17g\n", c.species[i] ? "Zr" : "Cu", c.pos[3 * i],
                 c.pos[3 * i + 1], c.pos[3 * i + 2], (double)i + 0.5);
  std::fclose(f);
}

symgnn_model *small_model() {
  const char *names[2] = {"Cu", "Zr"};
  symgnn_arch arch;
  symgnn_arch_default(&arch, 2, names);
  arch.width = 4;
  arch.nlayers = 1;
  arch.heads[0] = 1;
  arch.decoder_depth = 1;
  const double id[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  symgnn_model *m = nullptr;
  symgnn_error err;
  EXPECT_EQ(SYMGNN_OK, symgnn_model_create(&arch, 1, id, 1, &m, &err)) << err.message;
  return m;
}

bool is_permutation(const std::vector<int> &order) {
  std::vector<int> s = order;
  std::sort(s.begin(), s.end());
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] != (int)i) return false;
  return true;
}

// Sum over edges of |destination - source|: how far apart neighbour rows lie.
double index_spread(const symgnn_graph_view &v) {
  double s = 0.0;
  for (int t = 0; t < v.nlocal; ++t)
    for (int64_t e = v.offsets[t]; e < v.offsets[t + 1]; ++e) s += std::abs(t - v.src[e]);
  return s;
}

TEST(TrainerSpatialOrder, IsAPermutationThatBringsNeighboursTogether) {
  // About 7 cells of the 5 A cutoff along each lattice vector.
  const int n = 3000;
  const Config c = random_config(n, 11, 2.0);
  std::vector<int> order(n, -1), again(n, -1);
  ASSERT_EQ(0, symgnn_tr_spatial_order(n, c.pos.data(), c.lat, 5.0, order.data()));
  EXPECT_TRUE(is_permutation(order));
  ASSERT_EQ(0, symgnn_tr_spatial_order(n, c.pos.data(), c.lat, 5.0, again.data()));
  EXPECT_EQ(order, again); // deterministic
  bool identity = true;
  for (int i = 0; i < n; ++i) identity = identity && order[i] == i;
  EXPECT_FALSE(identity);
  // Graphs of the file order and of the sorted order: neighbour indices lie
  // closer together after sorting.
  std::vector<double> spos(3 * n);
  std::vector<int> sspec(n);
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < 3; ++k) spos[3 * i + k] = c.pos[3 * order[i] + k];
    sspec[i] = c.species[order[i]];
  }
  symgnn_graph *g0 = nullptr, *g1 = nullptr;
  symgnn_error err;
  ASSERT_EQ(SYMGNN_OK, symgnn_graph_build(n, c.pos.data(), c.lat, c.species.data(), 5.0, &g0, &err))
      << err.message;
  ASSERT_EQ(SYMGNN_OK, symgnn_graph_build(n, spos.data(), c.lat, sspec.data(), 5.0, &g1, &err))
      << err.message;
  const double before = index_spread(symgnn_graph_get_view(g0));
  const double after = index_spread(symgnn_graph_get_view(g1));
  EXPECT_LT(after, 0.5 * before) << "before " << before << " after " << after;
  symgnn_graph_free(g0);
  symgnn_graph_free(g1);
}

TEST(TrainerSpatialOrder, AtomsOfOneCellKeepTheFileOrder) {
  // A cutoff longer than the box: one cell, so the order is the file order.
  const Config c = random_config(50, 3);
  std::vector<int> order(50, -1);
  ASSERT_EQ(0, symgnn_tr_spatial_order(50, c.pos.data(), c.lat, 40.0, order.data()));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(order[i], i);
}

TEST(TrainerSpatialOrder, UnsortableInputKeepsTheFileOrder) {
  Config c = random_config(20, 5);
  std::vector<int> order(20, -1);
  c.pos[3 * 7 + 1] = NAN;
  EXPECT_EQ(1, symgnn_tr_spatial_order(20, c.pos.data(), c.lat, 5.0, order.data()));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(order[i], i);
  c.pos[3 * 7 + 1] = 1.0;
  const double flat[9] = {10, 0, 0, 0, 10, 0, 5, 5, 0}; // degenerate: c in the a-b plane
  std::fill(order.begin(), order.end(), -1);
  EXPECT_EQ(1, symgnn_tr_spatial_order(20, c.pos.data(), flat, 5.0, order.data()));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(order[i], i);
}

TEST(TrainerSpatialOrder, LoadedConfigurationIsTheRelabelledFile) {
  const int n = 400;
  const Config c = random_config(n, 21);
  const std::string path = ::testing::TempDir() + "trainer_sort_test.extxyz";
  write_xyz(path, c);
  symgnn_model *model = small_model();
  ASSERT_NE(model, nullptr);
  symgnn_tr_set set;
  char msg[800] = "";
  char *files[1] = {const_cast<char *>(path.c_str())};
  ASSERT_EQ(0, symgnn_tr_set_load(&set, files, 1, "eb", model, msg, sizeof msg)) << msg;
  const symgnn_tr_conf &cf = set.conf[0];
  ASSERT_EQ(cf.natoms, n);
  const std::vector<int> order(cf.order, cf.order + n);
  EXPECT_TRUE(is_permutation(order));
  // Labels and species follow the permutation.
  const symgnn_graph_view v = symgnn_graph_get_view(cf.graph);
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(cf.labels[i], order[i] + 0.5) << "atom " << i;
    EXPECT_EQ(v.species[i], c.species[order[i]]) << "atom " << i;
  }
  // The graph is the file-order graph relabelled: same edge count, and every
  // atom has the same neighbours (as file indices, with their displacements).
  symgnn_graph *g0 = nullptr;
  symgnn_error err;
  ASSERT_EQ(SYMGNN_OK,
            symgnn_graph_build(n, c.pos.data(), c.lat, c.species.data(), 5.0, &g0, &err));
  const symgnn_graph_view u = symgnn_graph_get_view(g0);
  ASSERT_EQ(symgnn_graph_nedges(g0), symgnn_graph_nedges(cf.graph));
  EXPECT_EQ(set.nedges, symgnn_graph_nedges(g0));
  using Edge = std::tuple<int, long, long, long>; // source file index, displacement in 1e-6 A
  auto edges = [](const symgnn_graph_view &g, int t, const int *relabel) {
    std::vector<Edge> out;
    for (int64_t e = g.offsets[t]; e < g.offsets[t + 1]; ++e)
      out.emplace_back(relabel ? relabel[g.src[e]] : g.src[e], std::lround(1e6 * g.disp[3 * e]),
                       std::lround(1e6 * g.disp[3 * e + 1]), std::lround(1e6 * g.disp[3 * e + 2]));
    std::sort(out.begin(), out.end());
    return out;
  };
  for (int i = 0; i < n; ++i)
    ASSERT_EQ(edges(v, i, cf.order), edges(u, order[i], nullptr)) << "sorted atom " << i;
  symgnn_graph_free(g0);
  symgnn_tr_set_free(&set);
  symgnn_model_free(model);
  std::remove(path.c_str());
}

} // namespace
