// symgnn-explain-h1: H1 loops (persistent homology, GUDHI) through the edges of
// symgnn-explain's output. For each target, the alpha filtration of its subgraph's
// atoms (GUDHI's 3D alpha complex on CGAL, filtration values are squared radii), its
// H1 persistence pairs, and for each pair a loop: the pair's birth edge closed by the
// shortest path (fewest edges) between its ends among the complex's edges present at
// the birth value. Each atom pair counts the loops through it; the top, random, median
// and least important edges of every target are looked up (self-loops and pairs on no
// loop count 0).
#include "symgnn_explain_stats.h"
#include "symgnn_ext.h"

#include <gudhi/Alpha_complex_3d.h>
#include <gudhi/Persistent_cohomology.h>
#include <gudhi/Simplex_tree.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <queue>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using Alpha =
    Gudhi::alpha_complex::Alpha_complex_3d<Gudhi::alpha_complex::complexity::SAFE, false, false>;
using Tree = Gudhi::Simplex_tree<>;
using Cohomology =
    Gudhi::persistent_cohomology::Persistent_cohomology<Tree,
                                                        Gudhi::persistent_cohomology::Field_Zp>;

const char *const usage = "usage: symgnn-explain-h1 DIR [--top K] [--seed S]\n"
                          "  DIR: output of symgnn-explain. Prints the mean number of H1 loops "
                          "through the top K (10),\n  random, median-rank and least important "
                          "edges, and writes DIR/stats_h1.dat.\n";

// Key of an unordered atom pair.
uint64_t pair_key(int a, int b) {
  if (a > b) std::swap(a, b);
  return (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
}

// The complex's edges as adjacency lists with their filtration values.
struct Skeleton {
  std::vector<std::vector<std::pair<int, double>>> adj;
};

// Shortest path (fewest edges) from u to v over edges with filtration <= b, not using
// the edge u-v itself; the path's nodes from u to v, empty when there is none.
std::vector<int> shortest_path(const Skeleton &s, int u, int v, double b) {
  std::vector<int> prev(s.adj.size(), -2);
  std::queue<int> q;
  prev[u] = -1;
  q.push(u);
  while (!q.empty() && prev[v] == -2) {
    const int p = q.front();
    q.pop();
    for (const auto &[w, f] : s.adj[p]) {
      if (f > b || prev[w] != -2 || (p == u && w == v)) continue;
      prev[w] = p;
      q.push(w);
    }
  }
  std::vector<int> path;
  if (prev[v] == -2) return path;
  for (int x = v; x != -1; x = prev[x]) path.push_back(x);
  return path;
}

// Loops through every atom pair of one target's subgraph.
std::unordered_map<uint64_t, int> loop_counts(const symgnn_explanation &x, int *nloops) {
  std::vector<Alpha::Bare_point_3> pts;
  for (int i = 0; i < x.n; ++i) pts.emplace_back(x.pos[3 * i], x.pos[3 * i + 1], x.pos[3 * i + 2]);
  Alpha alpha(pts);
  Tree st;
  alpha.create_complex(st);
  // the complex numbers its vertices in its own order: back to the input atoms
  std::map<std::array<double, 3>, int> index;
  for (int i = 0; i < x.n; ++i) index[{x.pos[3 * i], x.pos[3 * i + 1], x.pos[3 * i + 2]}] = i;
  std::vector<int> atom(st.num_vertices());
  for (auto vh : st.complex_vertex_range()) {
    const auto &p = alpha.get_point(vh);
    atom[vh] = index.at({CGAL::to_double(p.x()), CGAL::to_double(p.y()), CGAL::to_double(p.z())});
  }
  Skeleton s;
  s.adj.resize(x.n);
  for (auto sh : st.skeleton_simplex_range(1)) {
    if (st.dimension(sh) != 1) continue;
    std::vector<int> vs;
    for (auto vh : st.simplex_vertex_range(sh)) vs.push_back(atom[vh]);
    const double f = st.filtration(sh);
    s.adj[vs[0]].push_back({vs[1], f});
    s.adj[vs[1]].push_back({vs[0], f});
  }
  st.initialize_filtration();
  Cohomology pcoh(st);
  pcoh.init_coefficients(2);
  pcoh.compute_persistent_cohomology(0.0);
  std::unordered_map<uint64_t, int> count;
  *nloops = 0;
  for (const auto &pr : pcoh.get_persistent_pairs()) {
    const auto birth = std::get<0>(pr);
    if (st.dimension(birth) != 1) continue;
    const auto death = std::get<1>(pr);
    const double b = st.filtration(birth);
    if (death != st.null_simplex() && !(st.filtration(death) > b)) continue; // zero persistence
    std::vector<int> vs;
    for (auto vh : st.simplex_vertex_range(birth)) vs.push_back(atom[vh]);
    const std::vector<int> path = shortest_path(s, vs[0], vs[1], b);
    if (path.empty()) continue;
    ++*nloops;
    ++count[pair_key(vs[0], vs[1])];
    for (size_t i = 0; i + 1 < path.size(); ++i) ++count[pair_key(path[i], path[i + 1])];
  }
  return count;
}

// Ids listed in DIR/summary.csv (after its header).
bool read_ids(const std::string &dir, std::vector<long long> &ids) {
  std::ifstream in(dir + "/summary.csv");
  if (!in) {
    std::fprintf(stderr, "symgnn-explain-h1: error: cannot open '%s/summary.csv'\n", dir.c_str());
    return false;
  }
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) ids.push_back(std::atoll(line.c_str()));
  return true;
}

} // namespace

// Command line into dir, topk, seed; 0 or the exit code of a usage error.
int parse(int argc, char **argv, std::string &dir, int &topk, unsigned long long &seed) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a[0] != '-' && dir.empty()) {
      dir = a;
      continue;
    }
    if (a != "--top" && a != "--seed") {
      std::fprintf(stderr, "symgnn-explain-h1: error: unexpected argument '%s'\n%s", a.c_str(),
                   usage);
      return 2;
    }
    char *end = nullptr;
    const long long v = i + 1 < argc ? std::strtoll(argv[i + 1], &end, 10) : -1;
    const long long lo = a == "--top" ? 1 : 0;
    if (!end || *end || v < lo) {
      std::fprintf(stderr, "symgnn-explain-h1: error: %s needs an integer >= %lld, got '%s'\n%s",
                   a.c_str(), lo, i + 1 < argc ? argv[i + 1] : "", usage);
      return 2;
    }
    if (a == "--top")
      topk = (int)v;
    else
      seed = (unsigned long long)v;
    ++i;
  }
  if (dir.empty()) {
    std::fprintf(stderr, "symgnn-explain-h1: error: DIR is required\n%s", usage);
    return 2;
  }
  return 0;
}

int main(int argc, char **argv) {
  std::string dir;
  int topk = 10;
  unsigned long long seed = 0;
  if (const int rc = parse(argc, argv, dir, topk, seed)) return rc;
  std::vector<long long> ids;
  if (!read_ids(dir, ids)) return 1;
  const char *names[4] = {"important", "random", "median", "least"};
  double total[4] = {0, 0, 0, 0}, nedge[4] = {0, 0, 0, 0}, loops = 0.0;
  std::mt19937_64 rng(seed);
  for (long long id : ids) {
    symgnn_explanation x;
    char msg[4400];
    if (symgnn_explanation_read(dir.c_str(), id, &x, msg, sizeof msg)) {
      std::fprintf(stderr, "symgnn-explain-h1: error: %s\n", msg);
      return 1;
    }
    int nl = 0;
    const std::unordered_map<uint64_t, int> count = loop_counts(x, &nl);
    loops += nl;
    std::vector<int64_t> order(x.ne);
    for (int64_t e = 0; e < x.ne; ++e) order[e] = e;
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return x.mask[a] > x.mask[b]; });
    const int k = (int)std::min<int64_t>(topk, x.ne / 2);
    std::uniform_int_distribution<int64_t> pick(0, x.ne - 1);
    for (int g = 0; g < 4; ++g)
      for (int i = 0; i < k; ++i) {
        const int64_t e = g == 0   ? order[i]
                          : g == 1 ? pick(rng)
                          : g == 2 ? order[x.ne / 2 - k / 2 + i]
                                   : order[x.ne - 1 - i];
        const auto it = count.find(pair_key(x.src[e], x.dst[e]));
        total[g] += x.src[e] != x.dst[e] && it != count.end() ? it->second : 0;
        nedge[g] += 1.0;
      }
    symgnn_explanation_free(&x);
  }
  std::string out = "# group index mean_h1_loops (" + std::to_string(ids.size()) + " targets, " +
                    std::to_string(loops / (double)ids.size()) + " loops per target)\n";
  std::printf("targets: %zu, H1 loops per target: %.1f\nH1 loops through an edge (top %d):\n",
              ids.size(), loops / (double)ids.size(), topk);
  for (int g = 0; g < 4; ++g) {
    char line[128];
    std::snprintf(line, sizeof line, "%s %d %.4f\n", names[g], g, total[g] / nedge[g]);
    out += line;
    std::printf("  %-9s mean %.2f loops\n", names[g], total[g] / nedge[g]);
  }
  symgnn_error err;
  if (symgnn_file_write_atomic((dir + "/stats_h1.dat").c_str(), out.data(), out.size(), &err) !=
      SYMGNN_OK) {
    std::fprintf(stderr, "symgnn-explain-h1: error: %s\n", err.message);
    return 1;
  }
  return 0;
}
