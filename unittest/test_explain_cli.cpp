// symgnn-explain and symgnn-explain-stats as commands: clear errors and exit
// codes for bad arguments, the per-atom files and summary of a small run,
// results independent of the thread count, the files read back, and the
// primitive rings of a hand-made bond graph.
#include "symgnn.h"
#include "symgnn_explain.h"
#include "symgnn_explain_stats.h"
#include "temp_dir_test.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <vector>

using namespace symgnn_test;

namespace {

using symgnn_test::slurp;
using symgnn_test::ToolRun;

int count_lines(const std::string &s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

class ExplainCli : public symgnn_test::TempDirTest {
protected:
  void SetUp() override {
    TempDirTest::SetUp();
    if (HasFatalFailure()) return;
    // a haar model of two layers and a periodic 300-atom configuration
    symgnn_arch arch = narrow_arch();
    symgnn_model *m = random_model(0, nullptr, 71, 2, &arch);
    ASSERT_NE(m, nullptr);
    symgnn_error err;
    ASSERT_EQ(symgnn_model_write(m, path("m.sgnn").c_str(), &err), SYMGNN_OK) << err.message;
    symgnn_model_free(m);
    const int n = 300;
    const double L = std::cbrt(n / 0.0631), lat[9] = {L, 0, 0, 0, L, 0, 0, 0, L};
    const std::vector<double> pos = random_config(n, lat, 2.0, 72);
    std::ofstream xyz(path("c.extxyz"));
    xyz << n << "\nLattice=\"" << L << " 0 0 0 " << L << " 0 0 0 " << L
        << "\" Properties=species:S:1:pos:R:3 pbc=\"T T T\"\n";
    for (int i = 0; i < n; ++i)
      xyz << (i % 3 ? "Cu" : "Zr") << " " << pos[3 * i] << " " << pos[3 * i + 1] << " "
          << pos[3 * i + 2] << "\n";
  }
  ToolRun explain(std::vector<std::string> extra) const {
    std::vector<std::string> args = {path("m.sgnn"), path("c.extxyz")};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_tool(SYMGNN_EXPLAIN_EXE, args);
  }
};

TEST_F(ExplainCli, BadArgumentsAreNamedWithTheirValue) {
  struct Case {
    std::vector<std::string> args;
    int status;
    std::string msg;
  };
  const std::vector<Case> cases = {
      {{"--central", "0"}, 2, "--central '0' is not a count >= 1"},
      {{"--atoms", "1", "--central", "2"}, 2, "give exactly one of --atoms and --central"},
      {{}, 2, "give exactly one of --atoms and --central"},
      {{"--central", "1", "--steps", "-3"}, 2, "--steps '-3' is not a count >= 0"},
      {{"--central", "1", "--lr", "0"}, 2, "--lr '0' is not a number > 0"},
      {{"--central", "1", "--lr", "nan"}, 2, "--lr 'nan' is not a number > 0"},
      {{"--central", "1", "--size-coef", "-1"}, 2, "--size-coef '-1' is not a number >= 0"},
      {{"--central", "1", "--threads", "0"}, 2, "--threads '0' is not in 1..4096"},
      {{"--central", "1", "--frobnicate", "1"}, 2, "unknown option '--frobnicate'"},
      {{"--central", "1", "--top"}, 2, "option --top needs a value"},
      {{"--atoms", "1,x"}, 1, "--atoms: '1,x' is not a comma-separated id list"},
      {{"--atoms", "5,9999"}, 1, "atom id 9999 is not in the file"},
      {{"--central", "301"}, 1, "--central 301 exceeds the 300 atoms"},
  };
  for (const Case &c : cases) {
    const ToolRun r = explain(c.args);
    EXPECT_EQ(r.status, c.status) << r.err;
    EXPECT_NE(r.err.find(c.msg), std::string::npos) << "stderr: " << r.err;
  }
  const ToolRun missing = run_tool(
      SYMGNN_EXPLAIN_EXE, {path("none.sgnn"), path("c.extxyz"), "--central", "1", "-o", path("o")});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("none.sgnn"), std::string::npos) << missing.err;
  const ToolRun nostats = run_tool(SYMGNN_EXPLAIN_STATS_EXE, {path("nothing")});
  EXPECT_EQ(nostats.status, 1);
  EXPECT_NE(nostats.err.find("cannot open '" + path("nothing") + "/summary.csv'"),
            std::string::npos)
      << nostats.err;
  EXPECT_EQ(run_tool(SYMGNN_EXPLAIN_STATS_EXE, {path("o"), "--bond", "-1"}).status, 2);
}

TEST_F(ExplainCli, FilesOfEveryAtomSameOnOneAndTwoThreadsAndStatistics) {
  const ToolRun a =
      explain({"--atoms", "3,150,7", "--steps", "30", "-o", path("a"), "--threads", "1"});
  ASSERT_EQ(a.status, 0) << a.err;
  const ToolRun b =
      explain({"--atoms", "3,150,7", "--steps", "30", "-o", path("b"), "--threads", "2"});
  ASSERT_EQ(b.status, 0) << b.err;
  for (const char *id : {"3", "150", "7"}) {
    const std::string edges = slurp(path("a") + "/atom" + id + "_edges.csv");
    EXPECT_EQ(edges.rfind("src_id,dst_id,length,dist_to_target,hop,mask\n", 0), 0u);
    EXPECT_EQ(edges, slurp(path("b") + "/atom" + id + "_edges.csv")) << "atom " << id;
    const std::string top = slurp(path("a") + "/atom" + id + "_top.csv");
    EXPECT_EQ(count_lines(top), 11) << top; // header and the top 10
    symgnn_explanation x;
    char msg[512];
    ASSERT_EQ(symgnn_explanation_read(path("a").c_str(), atoll(id), &x, msg, sizeof msg), 0) << msg;
    EXPECT_EQ(x.ne + 1, count_lines(edges));
    EXPECT_EQ(x.id[0], atoll(id));
    EXPECT_EQ(x.hop[0], 0);
    EXPECT_EQ(x.hop[x.n - 1], 2);
    symgnn_explanation_free(&x);
  }
  EXPECT_EQ(count_lines(slurp(path("a") + "/summary.csv")), 4);
  const ToolRun s = run_tool(SYMGNN_EXPLAIN_STATS_EXE, {path("a")});
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_NE(s.out.find("targets: 3"), std::string::npos) << s.out;
  for (const char *f : {"stats_distance.dat", "stats_hop.dat", "stats_rings.dat"})
    EXPECT_GT(slurp(path("a") + "/" + f).size(), 50u) << f;
}

// symgnn-explain-h1 on a hand-made target: six atoms on a puckered hexagonal ring
// (radius 2.5 A) around an empty centre have one H1 loop, the ring; its edges are
// the most important, the self-loops the least.
TEST_F(ExplainCli, H1LoopOfAHexagonalRing) {
#ifndef SYMGNN_EXPLAIN_H1_EXE
  GTEST_SKIP() << "symgnn-explain-h1 not built (GUDHI or CGAL missing)";
#else
  const std::string d = path("ring");
  ASSERT_EQ(mkdir(d.c_str(), 0755), 0);
  std::ofstream(d + "/summary.csv") << "id,nodes,edges,eb_pred_ev,eb_masked_ev,sq_change,loss,"
                                       "seconds\n1,6,24,0,0,0,0,0\n";
  std::vector<double> p;
  std::ofstream nodes(d + "/atom1_nodes.csv");
  nodes << "id,hop,x,y,z\n";
  for (int i = 0; i < 6; ++i) {
    const double a = M_PI / 3.0 * i;
    p.insert(p.end(), {2.5 * std::cos(a), 2.5 * std::sin(a), i % 2 ? 0.3 : -0.3});
    nodes << i + 1 << "," << (i == 0 ? 0 : 1) << "," << p[3 * i] << "," << p[3 * i + 1] << ","
          << p[3 * i + 2] << "\n";
  }
  nodes.close();
  std::ofstream edges(d + "/atom1_edges.csv");
  edges << "src_id,dst_id,length,dist_to_target,hop,mask\n";
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j) {
      const int sep = std::min((i - j + 6) % 6, (j - i + 6) % 6);
      if (sep == 3) continue; // beyond the cutoff
      const double mask = sep == 1 ? 0.9 : (sep == 2 ? 0.5 : 0.01);
      edges << j + 1 << "," << i + 1 << ",2.5,0," << (i || j ? 1 : 0) << "," << mask << "\n";
    }
  edges.close();
  const ToolRun r = run_tool(SYMGNN_EXPLAIN_H1_EXE, {d, "--top", "3"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("H1 loops per target: 1.0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("important mean 1.00 loops"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("least     mean 0.00 loops"), std::string::npos) << r.out;
  EXPECT_EQ(run_tool(SYMGNN_EXPLAIN_H1_EXE, {d, "--top", "0"}).status, 2);
#endif
}

// Nodes 0..5: triangle 0-1-4, square 0-1-2-3, node 5 hanging on 0, a long
// (non-bond) edge 2-4, self-loops; every pair in both directions.
TEST(ExplainRings, PrimitiveRingsOfAHandMadeBondGraph) {
  symgnn_explanation x{};
  x.n = 6;
  std::vector<int> src, dst;
  std::vector<double> len;
  auto both = [&](int a, int b, double l) {
    src.insert(src.end(), {a, b});
    dst.insert(dst.end(), {b, a});
    len.insert(len.end(), {l, l});
  };
  for (int i = 0; i < 6; ++i) {
    src.push_back(i);
    dst.push_back(i);
    len.push_back(0.0);
  }
  both(0, 1, 2.5);
  both(1, 4, 2.6);
  both(4, 0, 2.7);
  both(1, 2, 2.5);
  both(2, 3, 2.8);
  both(3, 0, 2.9);
  both(0, 5, 2.5);
  both(2, 4, 4.5);
  x.ne = (int64_t)src.size();
  x.src = src.data();
  x.dst = dst.data();
  x.len = len.data();
  symgnn_bonds b;
  ASSERT_EQ(symgnn_bonds_build(&x, 3.0, &b), 0);
  symgnn_ring_work w;
  ASSERT_EQ(symgnn_ring_work_alloc(&w, x.n), 0);
  struct Expect {
    int u, v, size;
    double count;
  };
  for (const Expect &e :
       {Expect{0, 1, 3, 1}, Expect{1, 2, 4, 1}, Expect{2, 3, 4, 1}, Expect{0, 4, 3, 1},
        Expect{0, 5, 0, 0}, Expect{2, 4, 0, 0}, Expect{3, 3, 0, 0}}) {
    int size;
    double count;
    symgnn_rings_through(&b, e.u, e.v, 7, &w, &size, &count);
    EXPECT_EQ(size, e.size) << e.u << "-" << e.v;
    EXPECT_EQ(count, e.count) << e.u << "-" << e.v;
  }
  int size;
  double count;
  symgnn_rings_through(&b, 1, 2, 3, &w, &size, &count); // the 4-ring is above the limit
  EXPECT_EQ(size, 0);
  both(1, 3, 2.9); // a second common neighbour of 0 and 1
  x.ne = (int64_t)src.size();
  x.src = src.data();
  x.dst = dst.data();
  x.len = len.data();
  symgnn_bonds_free(&b);
  ASSERT_EQ(symgnn_bonds_build(&x, 3.0, &b), 0);
  symgnn_rings_through(&b, 0, 1, 7, &w, &size, &count);
  EXPECT_EQ(size, 3);
  EXPECT_EQ(count, 2.0); // via 4 and via 3
  symgnn_ring_work_free(&w);
  symgnn_bonds_free(&b);
}

} // namespace
