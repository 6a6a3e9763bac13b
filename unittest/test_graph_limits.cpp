// The graph builder's input rules (symgnn.h): atoms closer than
// SYMGNN_MIN_DISTANCE are refused naming both atoms, in the builder (input
// numbers from 1, in input order even for the spatial build) and in the graph
// view check (node numbers, as the LAMMPS compute's graphs are checked);
// coordinates and lattice entries beyond SYMGNN_MAX_COORDINATE are refused.
#include "symgnn.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace {

const double kBox[9] = {12.0, 0, 0, 0, 12.0, 0, 0, 0, 12.0};

// Build the graph of `pos`; returns the status and the message in *msg.
symgnn_status build(const std::vector<double> &pos, const double L[9], std::string *msg,
                    bool spatial = false) {
  const int n = (int)pos.size() / 3;
  std::vector<int> species(n, 0), order(n);
  symgnn_graph *g = nullptr;
  symgnn_error err = {SYMGNN_OK, ""};
  const symgnn_status st =
      spatial ? symgnn_graph_build_spatial(n, pos.data(), L, species.data(), 5.0, order.data(), &g,
                                           &err)
              : symgnn_graph_build(n, pos.data(), L, species.data(), 5.0, &g, &err);
  if (st == SYMGNN_OK) {
    EXPECT_NE(g, nullptr);
  } else {
    EXPECT_EQ(g, nullptr);
  }
  symgnn_graph_free(g);
  *msg = err.message;
  return st;
}

#define EXPECT_HAS(haystack, needle)                                                               \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "message: " << (haystack)

TEST(GraphLimits, CoincidentAtomsAreRefusedWithBothNumbers) {
  std::vector<double> pos = symgnn_test::random_config(30, kBox, 2.0, 4);
  for (int k = 0; k < 3; ++k) pos[3 * 21 + k] = pos[3 * 6 + k];
  std::string msg;
  EXPECT_EQ(build(pos, kBox, &msg), SYMGNN_ERR_GRAPH);
  EXPECT_HAS(msg, "atoms 7 and 22 are 0 A apart, closer than the minimum distance of 0.5 A "
                  "(coincident or duplicated atoms)");
  // The spatial build reorders atoms but reports input numbers.
  EXPECT_EQ(build(pos, kBox, &msg, true), SYMGNN_ERR_GRAPH);
  EXPECT_HAS(msg, "atoms 7 and 22 are 0 A apart");
}

TEST(GraphLimits, MinimumDistanceIsHalfAnAngstromThroughTheBoundaryToo) {
  // Two atoms 0.25 A apart across the periodic boundary: refused.
  std::vector<double> pos = {0.2, 5.0, 5.0, 11.95, 5.0, 5.0, 6.0, 6.0, 6.0};
  std::string msg;
  EXPECT_EQ(build(pos, kBox, &msg), SYMGNN_ERR_GRAPH);
  EXPECT_HAS(msg, "atoms 1 and 2 are 0.25 A apart");
  // 0.55 A apart: accepted (the rule is about duplicates, not about physics).
  pos[3] = 11.65;
  EXPECT_EQ(build(pos, kBox, &msg), SYMGNN_OK) << msg;
  EXPECT_EQ(SYMGNN_MIN_DISTANCE, 0.5);
}

TEST(GraphLimits, AnAtomCloseToItsOwnImageIsRefused) {
  const double thin[9] = {12.0, 0, 0, 0, 12.0, 0, 0, 0, 0.4};
  std::string msg;
  EXPECT_EQ(build({1.0, 1.0, 0.1}, thin, &msg), SYMGNN_ERR_GRAPH);
  EXPECT_HAS(msg, "atom 1 is 0.4 A from its own periodic image, closer than the minimum distance");
}

TEST(GraphLimits, CoordinateRangeIsOneBillionAngstrom) {
  std::vector<double> pos = {1.0, 1.0, 1.0, 5.0, 5.0, 5.0};
  std::string msg;
  // Far from the origin but within the limit: the same graph as near it.
  std::vector<double> far = pos;
  for (double &x : far) x += 9.6e8; // a multiple of the box: the same wrapped positions
  EXPECT_EQ(build(far, kBox, &msg), SYMGNN_OK) << msg;
  far[4] = -1.5e9;
  EXPECT_EQ(build(far, kBox, &msg), SYMGNN_ERR_GRAPH);
  EXPECT_HAS(msg, "atom 2: coordinate y = -1.5e+09 is not finite or beyond 1e+09 A in magnitude");
  far[4] = INFINITY;
  EXPECT_EQ(build(far, kBox, &msg), SYMGNN_ERR_GRAPH);
  EXPECT_HAS(msg, "atom 2: coordinate y = inf is not finite");
  double huge[9] = {12.0, 0, 0, 0, 12.0, 0, 0, 0, 2e9};
  EXPECT_EQ(build(pos, huge, &msg), SYMGNN_ERR_GRAPH);
  EXPECT_HAS(msg, "lattice entry 9 is 2e+09: not finite or beyond 1e+09 A in magnitude");
  // Within range, but so many thin cells from the origin that the image
  // number would not fit: refused, not wrapped wrongly.
  const double sliver[9] = {12.0, 0, 0, 0, 12.0, 0, 0, 0, 0.6};
  EXPECT_EQ(build({1.0, 1.0, 9e8}, sliver, &msg), SYMGNN_ERR_GRAPH);
  EXPECT_HAS(msg, "atom 1 lies 1.5e+09 cell lengths from the origin along lattice vector 3");
  EXPECT_EQ(SYMGNN_MAX_COORDINATE, 1e9);
}

// The view check refuses short edges of any producer (the LAMMPS compute
// builds its own graphs), naming the two nodes; the self-loop is allowed.
TEST(GraphLimits, ViewCheckRefusesShortEdgesButNotTheSelfLoop) {
  const int species[2] = {0, 0};
  const int64_t offsets[3] = {0, 2, 4};
  const int src[4] = {0, 1, 1, 0};
  double disp[12] = {0, 0, 0, 0.3, 0, 0, 0, 0, 0, -0.3, 0, 0};
  const symgnn_graph_view v = {2, 2, species, offsets, src, disp};
  symgnn_error err = {SYMGNN_OK, ""};
  EXPECT_EQ(symgnn_graph_view_check(&v, 1, nullptr, &err), SYMGNN_ERR_GRAPH);
  EXPECT_HAS(err.message, "nodes 0 and 1 are 0.3 A apart, closer than the minimum distance of "
                          "0.5 A (coincident or duplicated atoms)");
  disp[3] = 2.5;
  disp[9] = -2.5;
  EXPECT_EQ(symgnn_graph_view_check(&v, 1, nullptr, &err), SYMGNN_OK) << err.message;
  // A zero-length edge from another node is not a self-loop.
  disp[3] = 0.0;
  EXPECT_EQ(symgnn_graph_view_check(&v, 1, nullptr, &err), SYMGNN_ERR_GRAPH);
  EXPECT_HAS(err.message, "nodes 0 and 1 are 0 A apart");
}

} // namespace
