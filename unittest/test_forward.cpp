// Forward pass against an independent naive implementation (per-edge loops,
// double precision, BatchNorm applied unfolded), plus the symmetry properties
// the model must have.
#include "reference_model.h"
#include "symgnn_ext.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace symgnn_test;

namespace {

// The naive double reference (unittest/reference_model.h) in eval mode, with
// the model's own transforms.
std::vector<double> reference_eb(const symgnn_model *m, const symgnn_graph_view &v) {
  const double *O = symgnn_model_transforms(m);
  const std::vector<double> t(O, O + 9 * (size_t)symgnn_model_ntransforms(m));
  return ReferenceModel(m, true).predict_eb(v, t);
}

const double kBox[9] = {19.9, 0, 0, 0, 19.9, 0, 0, 0, 19.9};

std::vector<int> species_of(int n) {
  std::vector<int> sp(n);
  for (int i = 0; i < n; ++i) sp[i] = (i % 25 < 16) ? 0 : 1; // Cu64Zr36
  return sp;
}

// The forward_isa_* CTest entries run this suite with SYMGNN_ISA set: every
// evaluation context then uses that instruction set (when the CPU has it).
void apply_isa(symgnn_eval *ev) {
  const char *want = std::getenv("SYMGNN_ISA");
  symgnn_error err;
  if (want) EXPECT_EQ(symgnn_eval_set_isa(ev, want, &err), SYMGNN_OK) << err.message;
}

// Predict with the library for a configuration.
std::vector<double> predict(const symgnn_model *m, const std::vector<double> &pos,
                            const double lat[9], const std::vector<int> &sp, int block = 8192,
                            int threads = 0) {
  symgnn_error err;
  symgnn_graph *g = nullptr;
  const int n = (int)sp.size();
  EXPECT_EQ(symgnn_graph_build(n, pos.data(), lat, sp.data(), 5.0, &g, &err), SYMGNN_OK)
      << err.message;
  symgnn_eval *ev = nullptr;
  EXPECT_EQ(symgnn_eval_create(m, &ev, &err), SYMGNN_OK) << err.message;
  apply_isa(ev);
  symgnn_eval_set_block_edges(ev, block);
  symgnn_eval_set_threads(ev, threads);
  std::vector<double> out(n);
  const symgnn_graph_view v = symgnn_graph_get_view(g);
  EXPECT_EQ(symgnn_predict(ev, &v, out.data(), &err), SYMGNN_OK) << err.message;
  symgnn_eval_free(ev);
  symgnn_graph_free(g);
  return out;
}

double max_rel(const std::vector<double> &a, const std::vector<double> &b) {
  double worst = 0.0;
  for (size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, std::fabs(a[i] - b[i]) / std::max(std::fabs(b[i]), 1e-3));
  return worst;
}

// The library's prediction for n random atoms against the naive double
// reference (to 1e-5 relative); `what` names the case in failure messages.
void expect_matches_reference(const symgnn_model *m, int n, unsigned seed,
                              const std::string &what) {
  const std::vector<double> pos = random_config(n, kBox, 2.0, seed);
  const std::vector<int> sp = species_of(n);
  symgnn_error err;
  symgnn_graph *g = nullptr;
  ASSERT_EQ(symgnn_graph_build(n, pos.data(), kBox, sp.data(), 5.0, &g, &err), SYMGNN_OK);
  const symgnn_graph_view v = symgnn_graph_get_view(g);
  const std::vector<double> ref = reference_eb(m, v);
  const std::vector<double> got = predict(m, pos, kBox, sp);
  double spread = 0.0;
  for (double r : ref) spread = std::max(spread, std::fabs(r - ref[0]));
  EXPECT_GT(spread, 1e-3) << "the random model should give atom-dependent output";
  EXPECT_LT(max_rel(got, ref), 1e-5) << what;
  symgnn_graph_free(g);
}

class ForwardVsNaive : public ::testing::TestWithParam<int> {};

TEST_P(ForwardVsNaive, MatchesNaiveDoubleReference) {
  const int K = GetParam();
  const std::vector<double> t = random_transforms(K, 100 + K);
  symgnn_model *m = random_model(K, t.data(), 7 + K);
  ASSERT_NE(m, nullptr);
  expect_matches_reference(m, 500, 11, "K = " + std::to_string(K));
  symgnn_model_free(m);
}

INSTANTIATE_TEST_SUITE_P(Transforms, ForwardVsNaive, ::testing::Values(1, 2, 6));

// Architectures other than the paper's: widths that are not a multiple of the
// edge kernels' 16-float vectors (padded), a width with a 16-wide remainder
// chunk, other head counts and depths.
struct ArchCase {
  int width, nlayers, heads[4];
};

void PrintTo(const ArchCase &c, std::ostream *os) {
  *os << "width " << c.width << ", heads";
  for (int l = 0; l < c.nlayers; ++l) *os << " " << c.heads[l];
}

class ForwardArchVsNaive : public ::testing::TestWithParam<ArchCase> {};

TEST_P(ForwardArchVsNaive, MatchesNaiveDoubleReference) {
  const ArchCase c = GetParam();
  const char *names[2] = {"Cu", "Zr"};
  symgnn_arch arch;
  symgnn_arch_default(&arch, 2, names);
  arch.width = c.width;
  arch.nlayers = c.nlayers;
  for (int l = 0; l < c.nlayers; ++l) arch.heads[l] = c.heads[l];
  arch.decoder_depth = 2;
  const std::vector<double> t = random_transforms(2, 31);
  symgnn_model *m = random_model(2, t.data(), 41, 2, &arch);
  ASSERT_NE(m, nullptr);
  expect_matches_reference(m, 300, 13, "width " + std::to_string(c.width));
  symgnn_model_free(m);
}

INSTANTIATE_TEST_SUITE_P(Architectures, ForwardArchVsNaive,
                         ::testing::Values(ArchCase{8, 2, {3, 1}}, ArchCase{20, 3, {2, 3, 1}},
                                           ArchCase{16, 2, {4, 2}}, ArchCase{48, 2, {2, 1}},
                                           ArchCase{64, 3, {1, 2, 1}}));

// With SYMGNN_ISA set (the forward_isa_* CTest entries) the edge kernels of
// that instruction set run, if the CPU has it.
TEST(Forward, InstructionSetOverride) {
  const std::vector<double> t = random_transforms(2, 1);
  symgnn_model *m = random_model(2, t.data(), 3, 2, nullptr);
  symgnn_eval *ev = nullptr;
  ASSERT_EQ(symgnn_eval_create(m, &ev, nullptr), SYMGNN_OK);
  symgnn_error err{};
  EXPECT_EQ(symgnn_eval_set_isa(ev, "sse9", &err), SYMGNN_ERR_ARG);
  EXPECT_NE(std::string(err.message).find("unknown instruction set 'sse9'"), std::string::npos);
  ASSERT_EQ(symgnn_eval_set_isa(ev, "generic", &err), SYMGNN_OK);
  EXPECT_STREQ(symgnn_eval_isa(ev), "generic");
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
  ASSERT_EQ(symgnn_eval_set_isa(ev, "avx2", &err), SYMGNN_OK);
  if (__builtin_cpu_supports("x86-64-v3")) EXPECT_STREQ(symgnn_eval_isa(ev), "avx2");
#endif
  symgnn_eval_free(ev);
  symgnn_model_free(m);
  const char *want = std::getenv("SYMGNN_ISA");
  if (!want) GTEST_SKIP() << "SYMGNN_ISA not set: the suite runs with the best instruction set";
}

// The float softmax of the attention (with its own exponential) against a
// double softmax, for short and long rows, close and far-apart logits. The
// float difference x - max carries a rounding error of up to 6e-8 |x - max|,
// which the tolerance allows for; below exp(-87) the result is clamped.
TEST(Forward, SoftmaxMatchesDoublePrecision) {
  std::mt19937_64 rng(5);
  for (int n : {1, 2, 7, 16, 33, 100, 257})
    for (double spread : {0.0, 1e-3, 1.0, 30.0, 300.0}) {
      std::uniform_real_distribution<double> u(-spread, spread);
      std::vector<float> x(n);
      for (float &v : x) v = (float)(u(rng) + 5.0);
      const std::vector<float> logits = x;
      double mx = x[0], sum = 0.0;
      for (float v : x) mx = std::max(mx, (double)v);
      std::vector<double> ref(n);
      for (int i = 0; i < n; ++i) sum += ref[i] = std::exp((double)x[i] - mx);
      for (double &r : ref) r /= sum;
      symgnn_softmax(x.data(), n);
      double got_sum = 0.0;
      for (int i = 0; i < n; ++i) {
        got_sum += x[i];
        const double tol = (2e-6 + 1.2e-7 * (mx - logits[i])) * ref[i] + 1e-37;
        EXPECT_NEAR(x[i], ref[i], tol) << "n " << n << ", spread " << spread;
      }
      EXPECT_NEAR(got_sum, 1.0, 1e-6);
    }
}

TEST(Forward, BlockSizeDoesNotChangeResults) {
  const std::vector<double> t = random_transforms(2, 3);
  symgnn_model *m = random_model(2, t.data(), 5);
  const std::vector<double> pos = random_config(300, kBox, 2.0, 12);
  const std::vector<int> sp = species_of(300);
  const std::vector<double> a = predict(m, pos, kBox, sp, 8192);
  const std::vector<double> b = predict(m, pos, kBox, sp, 1); // one destination per block
  EXPECT_LT(max_rel(a, b), 1e-6);
  symgnn_model_free(m);
}

// Blocks are shared among the threads; every destination's result is computed
// by one thread in the same order, so any thread count gives the same values.
TEST(Forward, ThreadCountDoesNotChangeResults) {
  const std::vector<double> t = random_transforms(2, 3);
  symgnn_model *m = random_model(2, t.data(), 6);
  const std::vector<double> pos = random_config(400, kBox, 2.0, 14);
  const std::vector<int> sp = species_of(400);
  const std::vector<double> one = predict(m, pos, kBox, sp, 512, 1);
  for (int threads : {2, 3})
    EXPECT_LT(max_rel(predict(m, pos, kBox, sp, 512, threads), one), 1e-6) << threads;
  symgnn_model_free(m);
}

TEST(Forward, TranslationInvariant) {
  const std::vector<double> t = random_transforms(2, 4);
  symgnn_model *m = random_model(2, t.data(), 6);
  const std::vector<double> pos = random_config(300, kBox, 2.0, 13);
  const std::vector<int> sp = species_of(300);
  std::vector<double> moved = pos;
  for (size_t i = 0; i < moved.size(); i += 3) {
    moved[i] += 7.3;
    moved[i + 1] -= 31.1; // crosses the periodic boundary
    moved[i + 2] += 0.45;
  }
  EXPECT_LT(max_rel(predict(m, pos, kBox, sp), predict(m, moved, kBox, sp)), 1e-6);
  symgnn_model_free(m);
}

TEST(Forward, PermutationEquivariant) {
  const std::vector<double> t = random_transforms(2, 5);
  symgnn_model *m = random_model(2, t.data(), 8);
  const int n = 300;
  const std::vector<double> pos = random_config(n, kBox, 2.0, 14);
  const std::vector<int> sp = species_of(n);
  std::vector<int> perm(n);
  for (int i = 0; i < n; ++i) perm[i] = i;
  std::shuffle(perm.begin(), perm.end(), std::mt19937_64(3));
  std::vector<double> ppos(3 * n);
  std::vector<int> psp(n);
  for (int i = 0; i < n; ++i) { // new atom i is old atom perm[i]
    for (int k = 0; k < 3; ++k) ppos[3 * i + k] = pos[3 * perm[i] + k];
    psp[i] = sp[perm[i]];
  }
  const std::vector<double> a = predict(m, pos, kBox, sp), b = predict(m, ppos, kBox, psp);
  std::vector<double> back(n);
  for (int i = 0; i < n; ++i) back[perm[i]] = b[i];
  EXPECT_LT(max_rel(back, a), 1e-6);
  symgnn_model_free(m);
}

TEST(Forward, InversionInvariantWithTransformsIAndMinusI) {
  const double t[18] = {1, 0, 0, 0, 1, 0, 0, 0, 1, -1, 0, 0, 0, -1, 0, 0, 0, -1};
  symgnn_model *m = random_model(2, t, 9);
  const std::vector<double> pos = random_config(300, kBox, 2.0, 15);
  const std::vector<int> sp = species_of(300);
  std::vector<double> inv = pos;
  for (double &x : inv) x = -x;
  const std::vector<double> a = predict(m, pos, kBox, sp), b = predict(m, inv, kBox, sp);
  EXPECT_LT(max_rel(a, b), 1e-6);
  // and the single transform I alone is NOT inversion invariant: the test can fail
  symgnn_model *mi = random_model(1, t, 9);
  EXPECT_GT(max_rel(predict(mi, pos, kBox, sp), predict(mi, inv, kBox, sp)), 1e-4);
  symgnn_model_free(mi);
  symgnn_model_free(m);
}

TEST(Forward, IsolatedAtomIsFinite) {
  const double t[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  symgnn_model *m = random_model(1, t, 10);
  const double big[9] = {30, 0, 0, 0, 30, 0, 0, 0, 30};
  const std::vector<double> pos = {1.0, 2.0, 3.0};
  symgnn_error err;
  symgnn_graph *g = nullptr;
  const int sp = 1;
  ASSERT_EQ(symgnn_graph_build(1, pos.data(), big, &sp, 5.0, &g, &err), SYMGNN_OK);
  EXPECT_EQ(symgnn_graph_nedges(g), 1); // only the self-loop
  const std::vector<double> out = predict(m, pos, big, {1});
  EXPECT_TRUE(std::isfinite(out[0]));
  symgnn_graph_free(g);
  symgnn_model_free(m);
}

// The ghost-node path LAMMPS uses: sources are ghost copies whose states the
// caller refreshes between layers; results must equal the all-local path.
TEST(Forward, GhostNodesRefreshedBetweenLayersMatchLocalGraph) {
  const std::vector<double> t = random_transforms(2, 6);
  symgnn_model *m = random_model(2, t.data(), 11);
  const int n = 200;
  const std::vector<double> pos = random_config(n, kBox, 2.0, 16);
  const std::vector<int> sp = species_of(n);
  symgnn_error err;
  symgnn_graph *g = nullptr;
  ASSERT_EQ(symgnn_graph_build(n, pos.data(), kBox, sp.data(), 5.0, &g, &err), SYMGNN_OK);
  symgnn_graph_view v = symgnn_graph_get_view(g);
  std::vector<int> src(v.src, v.src + v.offsets[n]), species(2 * n);
  for (int i = 0; i < 2 * n; ++i) species[i] = sp[i % n];
  for (int t0 = 0; t0 < n; ++t0)
    for (int64_t e = v.offsets[t0]; e < v.offsets[t0 + 1]; ++e)
      if (src[e] != t0) src[e] += n; // every non-self edge reads a ghost copy
  symgnn_graph_view gv = v;
  gv.ntotal = 2 * n;
  gv.src = src.data();
  gv.species = species.data();
  symgnn_eval *ev = nullptr;
  ASSERT_EQ(symgnn_eval_create(m, &ev, &err), SYMGNN_OK);
  apply_isa(ev);
  std::vector<double> out(n);
  ASSERT_EQ(symgnn_eval_begin(ev, &gv, &err), SYMGNN_OK) << err.message;
  const int d = symgnn_eval_width(ev);
  for (int l = 0; l < symgnn_eval_nlayers(ev); ++l) {
    float *h = symgnn_eval_node_state(ev);
    if (l > 0) std::copy(h, h + (size_t)n * d, h + (size_t)n * d);
    ASSERT_EQ(symgnn_eval_layer(ev, l, &err), SYMGNN_OK);
  }
  ASSERT_EQ(symgnn_eval_decode(ev, out.data(), &err), SYMGNN_OK);
  EXPECT_LT(max_rel(out, predict(m, pos, kBox, sp)), 1e-6);
  // out-of-order calls are refused with a message
  EXPECT_EQ(symgnn_eval_layer(ev, 2, &err), SYMGNN_ERR_ARG);
  EXPECT_NE(std::string(err.message).find("out of order"), std::string::npos);
  symgnn_eval_free(ev);
  symgnn_graph_free(g);
  symgnn_model_free(m);
}

TEST(Forward, RejectsBadGraphs) {
  const double t[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  symgnn_model *m = random_model(1, t, 12);
  symgnn_eval *ev = nullptr;
  symgnn_error err;
  ASSERT_EQ(symgnn_eval_create(m, &ev, &err), SYMGNN_OK);
  const int64_t off[3] = {0, 1, 1}; // node 1 has no self-loop
  const int src[1] = {0}, sp[2] = {0, 1};
  const double disp[3] = {0, 0, 0};
  symgnn_graph_view v = {2, 2, sp, off, src, disp};
  std::vector<double> out(2);
  EXPECT_EQ(symgnn_predict(ev, &v, out.data(), &err), SYMGNN_ERR_ARG);
  EXPECT_NE(std::string(err.message).find("no incoming edge"), std::string::npos);
  const int bad_sp[2] = {0, 5};
  const int64_t off2[3] = {0, 1, 2};
  const int src2[2] = {0, 1};
  const double disp2[6] = {0, 0, 0, 0, 0, 0};
  symgnn_graph_view v2 = {2, 2, bad_sp, off2, src2, disp2};
  EXPECT_EQ(symgnn_predict(ev, &v2, out.data(), &err), SYMGNN_ERR_ARG);
  EXPECT_NE(std::string(err.message).find("species 5"), std::string::npos);
  symgnn_eval_free(ev);
  symgnn_model_free(m);
}

} // namespace
