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
#include <iterator>
#include <random>
#include <string>
#include <tuple>
#include <unistd.h>
#include <vector>

extern "C" {
#include "symgnn_crc32.h"
#include "symgnn_tr_data.h"
#include "symgnn_tr_redraw.h"
#include "symgnn_tr_state.h"
#include "symgnn_tr_symm.h"
}
#include "test_support.h"

namespace {

using symgnn_test::identity_model;
using symgnn_test::tiny_arch;

// A triclinic cell (rows a, b, c; scaled by `scale`) and n atoms at random fractional positions,
// listed in random order, 64 % Cu, no two closer than 1 A (the graph builder refuses atoms
// closer than SYMGNN_MIN_DISTANCE).
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
  while ((int)c.species.size() < n) {
    const double f[3] = {u(rng), u(rng), u(rng)};
    double r[3];
    for (int k = 0; k < 3; ++k) r[k] = f[0] * c.lat[k] + f[1] * c.lat[3 + k] + f[2] * c.lat[6 + k];
    bool ok = true;
    for (size_t j = 0; ok && j < c.species.size(); ++j)
      for (int img = 0; ok && img < 27; ++img) {
        const int t[3] = {img % 3 - 1, img / 3 % 3 - 1, img / 9 - 1};
        double d2 = 0.0;
        for (int k = 0; k < 3; ++k) {
          const double d = r[k] - c.pos[3 * j + k] -
                           (t[0] * c.lat[k] + t[1] * c.lat[3 + k] + t[2] * c.lat[6 + k]);
          d2 += d * d;
        }
        ok = d2 >= 1.0;
      }
    const int sp = u(rng) < 0.64 ? 0 : 1;
    if (!ok) continue;
    c.pos.insert(c.pos.end(), r, r + 3);
    c.species.push_back(sp);
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
  symgnn_error err;
  symgnn_model *m = identity_model(tiny_arch(), 1, &err);
  EXPECT_NE(m, nullptr) << err.message;
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
  ASSERT_EQ(SYMGNN_OK, symgnn_spatial_order(n, c.pos.data(), c.lat, 5.0, order.data(), nullptr));
  EXPECT_TRUE(is_permutation(order));
  ASSERT_EQ(SYMGNN_OK, symgnn_spatial_order(n, c.pos.data(), c.lat, 5.0, again.data(), nullptr));
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
  ASSERT_EQ(SYMGNN_OK, symgnn_spatial_order(50, c.pos.data(), c.lat, 40.0, order.data(), nullptr));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(order[i], i);
}

TEST(TrainerSpatialOrder, UnsortableInputKeepsTheFileOrder) {
  Config c = random_config(20, 5);
  std::vector<int> order(20, -1);
  c.pos[3 * 7 + 1] = NAN;
  EXPECT_NE(SYMGNN_OK, symgnn_spatial_order(20, c.pos.data(), c.lat, 5.0, order.data(), nullptr));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(order[i], i);
  c.pos[3 * 7 + 1] = 1.0;
  const double flat[9] = {10, 0, 0, 0, 10, 0, 5, 5, 0}; // degenerate: c in the a-b plane
  std::fill(order.begin(), order.end(), -1);
  EXPECT_NE(SYMGNN_OK, symgnn_spatial_order(20, c.pos.data(), flat, 5.0, order.data(), nullptr));
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

TEST(TrainerSpatialOrder, GraphErrorsNumberTheAtomsAsTheFileDoes) {
  // Atom 8 on top of atom 31: sortable, but the graph builder refuses it.
  Config c = random_config(60, 8);
  for (int k = 0; k < 3; ++k) c.pos[3 * 7 + k] = c.pos[3 * 30 + k];
  const std::string path = ::testing::TempDir() + "trainer_sort_huge.extxyz";
  write_xyz(path, c);
  std::vector<int> order(60);
  ASSERT_EQ(SYMGNN_OK, symgnn_spatial_order(60, c.pos.data(), c.lat, 5.0, order.data(), nullptr));
  ASSERT_NE(order[7], 7); // sorted, so the file number differs from the sorted one
  symgnn_model *model = small_model();
  ASSERT_NE(model, nullptr);
  symgnn_tr_set set;
  char msg[800] = "";
  char *files[1] = {const_cast<char *>(path.c_str())};
  EXPECT_EQ(-1, symgnn_tr_set_load(&set, files, 1, "eb", model, msg, sizeof msg));
  EXPECT_NE(std::string(msg).find("cannot build the graph: atoms 8 and 31 are 0 A apart, closer "
                                  "than the minimum distance of 0.5 A"),
            std::string::npos)
      << msg;
  symgnn_tr_set_free(&set);
  symgnn_model_free(model);
  std::remove(path.c_str());
}

// Awkward values: thirds, tiny and large magnitudes, negative zero.
const double kTheta[SYMGNN_TR_NTHETA] = {1.0 / 3.0, -2.0 / 3.0, 1e-300, -0.25,    0.1,   -1.75,
                                         -0.0,      12345.678,  -7e-9,  0.693147, -1e10, 2.5e-5};

TEST(TrainerDistributionText, RoundTripsBitwiseInTheDocumentedLayout) {
  char text[512];
  symgnn_tr_symm_format(kTheta, text, sizeof text);
  const std::string t = text;
  EXPECT_EQ(t.rfind("rot_mu=0.33333333333333331,-0.66666666666666663,1e-300 "
                    "rot_log_sigma=-0.25,0.10000000000000001,-1.75 ref_mu=-0,12345.678,",
                    0),
            0u)
      << t;
  EXPECT_NE(t.find(" ref_log_sigma=0.69314699999999996,-10000000000,2.5000000000000001e-05"),
            std::string::npos)
      << t;
  double back[SYMGNN_TR_NTHETA];
  char msg[800] = "";
  ASSERT_EQ(0, symgnn_tr_symm_parse(text, back, msg, sizeof msg)) << msg;
  EXPECT_EQ(0, std::memcmp(back, kTheta, sizeof back));
}

TEST(TrainerDistributionText, MalformedTextIsRejectedWithItsReason) {
  char text[512];
  symgnn_tr_symm_format(kTheta, text, sizeof text);
  const std::string good = text;
  const size_t ref = good.find(" ref_mu=");
  const struct {
    std::string text, message;
  } cases[] = {
      {"", "expected 'rot_mu=' at character 1"},
      {"rot_mu=1,2", "rot_mu: expected ',' after number 2"},
      {"rot_mu=1,2,3", "expected ' rot_log_sigma=' at character 13"},
      {"rot_mu=1,nan,3 rot_log_sigma=1,2,3", "rot_mu: number 2 of 3 is missing or not finite"},
      {"rot_mu=1,,3", "rot_mu: number 2 of 3 is missing or not finite"},
      {good.substr(0, ref) + "  ref_mu=" + good.substr(ref + 8), "expected ' ref_mu='"},
      {good + " extra", "unexpected text ' extra' after the 12 parameters"},
      {good.substr(0, good.size() - 4), ""}, // last number without its exponent: still valid
  };
  for (const auto &c : cases) {
    double th[SYMGNN_TR_NTHETA];
    char msg[800] = "";
    const int rc = symgnn_tr_symm_parse(c.text.c_str(), th, msg, sizeof msg);
    if (c.message.empty()) {
      EXPECT_EQ(rc, 0) << c.text << ": " << msg;
    } else {
      EXPECT_EQ(rc, -1) << c.text;
      EXPECT_NE(std::string(msg).find(c.message), std::string::npos) << c.text << ": " << msg;
    }
  }
}

// A small model and a checkpoint of a state with recognizable theta.
class TrainerRedraw : public ::testing::Test {
protected:
  void SetUp() override {
    model = small_model();
    ASSERT_NE(model, nullptr);
    dir = ::testing::TempDir() + "trainer_redraw_" + std::to_string(getpid()) + "_";
    std::memset(&st, 0, sizeof st);
    st.ntrain = 2;
    st.perm = static_cast<int *>(malloc(2 * sizeof(int)));
    st.perm[0] = 1;
    st.perm[1] = 0;
    st.learned = 1;
    ASSERT_EQ(0, symgnn_tr_adam_init(&st.adam, symgnn_model_nparams(model), 0.9, 0.999, 1e-8, 1));
    ASSERT_EQ(0, symgnn_tr_adam_init(&st.adam_theta, SYMGNN_TR_NTHETA, 0.9, 0.999, 1e-8, 1));
    std::memcpy(st.theta, kTheta, sizeof st.theta);
    st.theta[6] = 0.4; // a sane reflection mean in place of -0
    symgnn_tr_curve_row row = {10, 0.5, 0.4, 0.3, 0.7, 0.5, 1e-4, 3.0};
    ASSERT_EQ(0, symgnn_tr_state_add_row(&st, &row));
    symgnn_model_set_label_norm(model, 1.5, 0.25);
  }
  void TearDown() override {
    symgnn_tr_state_free(&st);
    symgnn_model_free(model);
    for (const std::string &f : files) std::remove(f.c_str());
  }
  std::string path(const std::string &name) {
    files.push_back(dir + name);
    return dir + name;
  }
  std::vector<unsigned char> write_ckpt(const std::string &p) {
    char msg[800] = "";
    EXPECT_EQ(0, symgnn_tr_ckpt_write(p.c_str(), &st, model, msg, sizeof msg)) << msg;
    return read_bytes(p);
  }
  static std::vector<unsigned char> read_bytes(const std::string &p) {
    std::ifstream f(p, std::ios::binary);
    return std::vector<unsigned char>((std::istreambuf_iterator<char>(f)),
                                      std::istreambuf_iterator<char>());
  }
  std::string read_theta(const std::vector<unsigned char> &b, double *theta) {
    char msg[800] = "";
    const int rc = symgnn_tr_ckpt_read_theta(b.data(), b.size(), symgnn_model_nparams(model),
                                             symgnn_model_nstats(model), theta, msg, sizeof msg);
    return rc ? std::string(msg) : std::string();
  }
  // Write the model with the given provenance entries; returns its path.
  std::string write_model(const std::string &name,
                          const std::vector<std::pair<std::string, std::string>> &prov) {
    symgnn_error err;
    for (const auto &kv : prov)
      EXPECT_EQ(SYMGNN_OK,
                symgnn_model_set_provenance(model, kv.first.c_str(), kv.second.c_str(), &err));
    const std::string p = path(name);
    EXPECT_EQ(SYMGNN_OK, symgnn_model_write(model, p.c_str(), &err)) << err.message;
    return p;
  }
  std::string redraw(const std::string &in, const std::string &out, int count, uint64_t seed,
                     const std::string &ckpt = "") {
    symgnn_tr_redraw_options o = {in.c_str(), out.c_str(), ckpt.empty() ? nullptr : ckpt.c_str(),
                                  count, seed};
    char msg[1024] = "";
    return symgnn_tr_redraw(&o, msg, sizeof msg) ? std::string(msg) : std::string();
  }
  symgnn_model *model = nullptr;
  symgnn_tr_state st;
  std::string dir;
  std::vector<std::string> files;
};

TEST_F(TrainerRedraw, CheckpointThetaIsReadBack) {
  const std::vector<unsigned char> good = write_ckpt(path("a.ckpt"));
  double th[SYMGNN_TR_NTHETA];
  ASSERT_EQ(read_theta(good, th), "");
  EXPECT_EQ(0, std::memcmp(th, st.theta, sizeof th));
}

TEST_F(TrainerRedraw, DamagedOrForeignCheckpointsAreRefused) {
  const std::vector<unsigned char> good = write_ckpt(path("a.ckpt"));
  double th[SYMGNN_TR_NTHETA];
  std::vector<unsigned char> b = good;
  b[b.size() / 2] ^= 0x04;
  EXPECT_NE(read_theta(b, th).find("CRC-32 mismatch"), std::string::npos);
  b.assign(good.begin(), good.end() - 9);
  EXPECT_NE(read_theta(b, th).find("CRC-32 mismatch"), std::string::npos);
  b = good;
  b[1] = 'x';
  EXPECT_NE(read_theta(b, th).find("bad magic"), std::string::npos);
  b = good;
  b[8] = 7;
  EXPECT_NE(read_theta(b, th).find("version 7"), std::string::npos);
  // Consistent CRC but a trailing byte, or a curve count that overruns the file.
  auto reseal = [](std::vector<unsigned char> v) {
    const uint32_t crc = symgnn_crc32(0, v.data(), v.size() - 4);
    for (int i = 0; i < 4; ++i) v[v.size() - 4 + i] = (unsigned char)(crc >> (8 * i));
    return v;
  };
  b = good;
  b.insert(b.end() - 4, 0x00);
  EXPECT_NE(read_theta(reseal(b), th).find("1 bytes left after the last section"),
            std::string::npos);
  b = good;
  b[b.size() - 4 - 64 - 4] = 2; // the curve row count, 1 -> 2
  EXPECT_NE(read_theta(reseal(b), th).find("sections overrun the file"), std::string::npos);
  // Another architecture, and a fixed-mode run.
  char msg[800] = "";
  EXPECT_EQ(-1, symgnn_tr_ckpt_read_theta(good.data(), good.size(), 3, 4, th, msg, sizeof msg));
  EXPECT_NE(std::string(msg).find("not the same architecture"), std::string::npos) << msg;
  st.learned = 0;
  const std::vector<unsigned char> fixed = write_ckpt(path("f.ckpt"));
  EXPECT_NE(read_theta(fixed, th).find("fixed-mode run: it holds no distribution parameters"),
            std::string::npos);
}

double det3(const double *R) {
  return R[0] * (R[4] * R[8] - R[5] * R[7]) - R[1] * (R[3] * R[8] - R[5] * R[6]) +
         R[2] * (R[3] * R[7] - R[4] * R[6]);
}

TEST_F(TrainerRedraw, RedrawFromTheProvenanceEntry) {
  char text[512];
  symgnn_tr_symm_format(st.theta, text, sizeof text);
  const std::string in = write_model(
      "in.model", {{"symmetrization", "learned, ..."}, {SYMGNN_TR_DISTRIBUTION_KEY, text}});
  const std::string out = path("out.model");
  ASSERT_EQ(redraw(in, out, 10, 77), "");
  symgnn_model *m = nullptr;
  symgnn_error err;
  ASSERT_EQ(SYMGNN_OK, symgnn_model_read(out.c_str(), &m, &err)) << err.message;
  ASSERT_EQ(symgnn_model_ntransforms(m), 10);
  // The trainer's own sampling of inference transforms, bit for bit.
  std::vector<double> expect(90);
  symgnn_tr_symm_inference(st.theta, 10, 77, expect.data());
  EXPECT_EQ(0, std::memcmp(symgnn_model_transforms(m), expect.data(), 90 * sizeof(double)));
  for (int k = 0; k < 10; ++k) {
    const double *O = symgnn_model_transforms(m) + 9 * k;
    double worst = 0.0;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) {
        const double d = O[3 * i] * O[3 * j] + O[3 * i + 1] * O[3 * j + 1] +
                         O[3 * i + 2] * O[3 * j + 2] - (i == j ? 1.0 : 0.0);
        worst = std::max(worst, std::fabs(d));
      }
    EXPECT_LT(worst, 1e-9) << "transform " << k;
    EXPECT_NEAR(det3(O), k < 5 ? 1.0 : -1.0, 1e-9) << "transform " << k;
  }
  // Everything else is the input model's; the redraw is recorded.
  EXPECT_EQ(0, std::memcmp(symgnn_model_params(m), symgnn_model_params(model),
                           symgnn_model_nparams(m) * sizeof(float)));
  std::string redrawn, dist;
  for (int i = 0; i < symgnn_model_nprovenance(m); ++i) {
    const std::string k = symgnn_model_provenance_key(m, i);
    if (k == "inference_transforms_redrawn") redrawn = symgnn_model_provenance_value(m, i);
    if (k == SYMGNN_TR_DISTRIBUTION_KEY) dist = symgnn_model_provenance_value(m, i);
  }
  EXPECT_EQ(redrawn, "10 seed 77");
  EXPECT_EQ(dist, text);
  symgnn_model_free(m);
}

TEST_F(TrainerRedraw, RedrawFromACheckpointRecordsItsDistribution) {
  const std::string ck = path("a.ckpt");
  write_ckpt(ck);
  const std::string in = write_model("fixed.model", {{"symmetrization", "fixed, 1 transforms"}});
  const std::string out = path("out.model");
  ASSERT_EQ(redraw(in, out, 4, 5, ck), "");
  symgnn_model *m = nullptr;
  symgnn_error err;
  ASSERT_EQ(SYMGNN_OK, symgnn_model_read(out.c_str(), &m, &err)) << err.message;
  std::vector<double> expect(36);
  symgnn_tr_symm_inference(st.theta, 4, 5, expect.data());
  ASSERT_EQ(symgnn_model_ntransforms(m), 4);
  EXPECT_EQ(0, std::memcmp(symgnn_model_transforms(m), expect.data(), 36 * sizeof(double)));
  char text[512];
  symgnn_tr_symm_format(st.theta, text, sizeof text);
  bool found = false;
  for (int i = 0; i < symgnn_model_nprovenance(m); ++i)
    if (std::string(symgnn_model_provenance_key(m, i)) == SYMGNN_TR_DISTRIBUTION_KEY) {
      EXPECT_EQ(std::string(symgnn_model_provenance_value(m, i)), text);
      found = true;
    }
  EXPECT_TRUE(found);
  symgnn_model_free(m);
}

TEST_F(TrainerRedraw, ErrorsSayWhatIsMissing) {
  const std::string fixed = write_model("fixed.model", {{"symmetrization", "fixed, 1 transforms"}});
  const std::string out = path("out.model");
  EXPECT_NE(redraw(fixed, out, 4, 1)
                .find("not a learned-mode model (symmetrization: fixed, 1 "
                      "transforms)"),
            std::string::npos);
  const std::string old =
      write_model("old.model", {{"symmetrization", "learned, K=8 per step, M=16 stored"}});
  EXPECT_NE(redraw(old, out, 4, 1)
                .find("learned-mode model without a "
                      "'symmetrization_distribution' provenance entry"),
            std::string::npos);
  const std::string bad =
      write_model("bad.model", {{SYMGNN_TR_DISTRIBUTION_KEY, "rot_mu=1,2,3 rot_log_sigma=oops"}});
  EXPECT_NE(redraw(bad, out, 4, 1)
                .find("provenance entry 'symmetrization_distribution': "
                      "rot_log_sigma: number 1 of 3 is missing or not finite"),
            std::string::npos);
  EXPECT_NE(redraw(fixed, out, 3, 1).find("--count must be an even number of at least 2"),
            std::string::npos);
  EXPECT_NE(redraw(fixed, out, 0, 1).find("--count must be an even number"), std::string::npos);
  EXPECT_NE(redraw(dir + "missing.model", out, 4, 1).find("cannot read the model: cannot open"),
            std::string::npos);
  EXPECT_NE(redraw(fixed, out, 4, 1, dir + "missing.ckpt")
                .find("cannot read the checkpoint: cannot open"),
            std::string::npos);
  EXPECT_FALSE(std::ifstream(out).good()); // nothing written on any error
}

} // namespace
