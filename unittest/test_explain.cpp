// The explainer (tools/explain): the training kernels' edge weights (a
// GNNExplainer mask on the post-softmax attention) and their gradient against
// finite differences, eval mode against the core, the L-hop subgraph, and a
// model built so that only first-shell edges matter.
#include "symgnn.h"
#include "symgnn_explain.h"
#include "symgnn_layout.h"
#include "symgnn_train.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace symgnn_test;

namespace {

// A periodic random configuration at the Cu64Zr36 number density and its graph.
struct Config {
  std::vector<double> pos, lat;
  std::vector<int> species;
  symgnn_graph *g = nullptr;
  Config(int n, double cutoff, unsigned seed) {
    const double L = std::cbrt(n / 0.0631);
    lat = {L, 0, 0, 0, L, 0, 0, 0, L};
    pos = random_config(n, lat.data(), 2.0, seed);
    std::mt19937_64 rng(seed + 3);
    for (int i = 0; i < n; ++i) species.push_back((int)(rng() % 2));
    symgnn_error err;
    EXPECT_EQ(symgnn_graph_build(n, pos.data(), lat.data(), species.data(), cutoff, &g, &err),
              SYMGNN_OK)
        << err.message;
  }
  ~Config() { symgnn_graph_free(g); }
  symgnn_graph_view view() const { return symgnn_graph_get_view(g); }
};

symgnn_train_opts base_opts(int eval) {
  symgnn_train_opts o;
  symgnn_train_opts_default(&o);
  o.dropout = 0.0;
  o.update_stats = 0;
  o.threads = 1;
  o.eval = eval;
  return o;
}

// One step: loss, and the edge-weight gradient when dw is given.
double step(symgnn_trainer *tr, symgnn_model *m, const symgnn_graph_view &v,
            const std::vector<float> &labels, symgnn_train_opts o, const float *w, double *dw) {
  o.edge_weight = w;
  o.dedge_weight = dw;
  const int K = symgnn_model_ntransforms(m);
  double loss = 0.0;
  symgnn_error err;
  EXPECT_EQ(symgnn_trainer_step(tr, m, &v, labels.data(), K,
                                K ? symgnn_model_transforms(m) : nullptr, &o, &loss, nullptr,
                                nullptr, nullptr, &err),
            SYMGNN_OK)
      << err.message;
  return loss;
}

TEST(ExplainKernels, EdgeWeightsOfOneLeaveTheTrainingStepBitForBit) {
  symgnn_model *m = random_model(2, random_transforms(2, 4).data(), 5, 2);
  ASSERT_NE(m, nullptr);
  Config c(60, 5.0, 6);
  const symgnn_graph_view v = c.view();
  std::vector<float> labels(60), ones(symgnn_graph_nedges(c.g), 1.0f);
  for (int i = 0; i < 60; ++i) labels[i] = (float)std::sin(i);
  symgnn_trainer *tr = nullptr;
  symgnn_error err;
  ASSERT_EQ(symgnn_trainer_create(m, &tr, &err), SYMGNN_OK);
  symgnn_train_opts o;
  symgnn_train_opts_default(&o); // dropout on, statistics not updated
  o.update_stats = 0;
  o.seed = 9;
  std::vector<float> g1(symgnn_model_nparams(m)), g2(g1.size()), p1(60), p2(60);
  double l1 = 0, l2 = 0;
  ASSERT_EQ(symgnn_trainer_step(tr, m, &v, labels.data(), 2, symgnn_model_transforms(m), &o, &l1,
                                g1.data(), nullptr, p1.data(), &err),
            SYMGNN_OK);
  o.edge_weight = ones.data();
  ASSERT_EQ(symgnn_trainer_step(tr, m, &v, labels.data(), 2, symgnn_model_transforms(m), &o, &l2,
                                g2.data(), nullptr, p2.data(), &err),
            SYMGNN_OK);
  EXPECT_EQ(l1, l2);
  EXPECT_EQ(0, std::memcmp(p1.data(), p2.data(), p1.size() * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(g1.data(), g2.data(), g1.size() * sizeof(float)));
  symgnn_trainer_free(tr);
  symgnn_model_free(m);
}

// d loss / d edge weight against central differences, on a sample of edges,
// for a haar and a transforms model, in eval and in train mode.
void check_edge_weight_gradient(int K, int eval) {
  symgnn_arch arch = narrow_arch();
  arch.nlayers = 3;
  arch.heads[0] = 3;
  arch.heads[1] = 2;
  arch.heads[2] = 2; // a multi-head last layer (mean over heads)
  symgnn_model *m = random_model(K, K ? random_transforms(K, 8).data() : nullptr, 11, 2, &arch);
  ASSERT_NE(m, nullptr);
  Config c(50, 5.0, 12);
  const symgnn_graph_view v = c.view();
  const int64_t E = symgnn_graph_nedges(c.g);
  std::mt19937_64 rng(13);
  std::uniform_real_distribution<double> u(0.2, 1.0);
  std::vector<float> w(E), labels(50), lw(50);
  for (float &x : w) x = (float)u(rng);
  for (int i = 0; i < 50; ++i) {
    labels[i] = (float)(2.0 * u(rng) - 1.0);
    lw[i] = (float)u(rng);
  }
  symgnn_trainer *tr = nullptr;
  symgnn_error err;
  ASSERT_EQ(symgnn_trainer_create(m, &tr, &err), SYMGNN_OK);
  symgnn_train_opts o = base_opts(eval);
  o.loss_weight = lw.data();
  std::vector<double> dw(E, 0.0);
  step(tr, m, v, labels, o, w.data(), dw.data());
  double scale = 0.0;
  for (double x : dw) scale = std::max(scale, std::fabs(x));
  ASSERT_GT(scale, 0.0);
  // along a random direction over all edges (every edge at once, so the
  // loss difference is far above float rounding)
  const double h = 1e-3;
  std::vector<float> wp = w, wm = w;
  double dir = 0.0;
  for (int64_t e = 0; e < E; ++e) {
    const double ve = 2.0 * u(rng) - 1.2; // in (-0.8, 0.8)
    wp[e] = (float)(w[e] + h * ve);
    wm[e] = (float)(w[e] - h * ve);
    dir += dw[e] * ((double)wp[e] - wm[e]) / (2.0 * h);
  }
  const double fd_dir = (step(tr, m, v, labels, o, wp.data(), nullptr) -
                         step(tr, m, v, labels, o, wm.data(), nullptr)) /
                        (2.0 * h);
  EXPECT_NEAR(dir, fd_dir, 1e-2 * std::fabs(fd_dir)) << "K " << K << " eval " << eval;
  // edge by edge for the ten edges of largest gradient
  std::vector<int64_t> order(E);
  for (int64_t e = 0; e < E; ++e) order[e] = e;
  std::partial_sort(order.begin(), order.begin() + 10, order.end(),
                    [&](int64_t a, int64_t b) { return std::fabs(dw[a]) > std::fabs(dw[b]); });
  for (int k = 0; k < 10; ++k) {
    const int64_t e = order[k];
    std::vector<float> we_p = w, we_m = w;
    we_p[e] += 2e-2f;
    we_m[e] -= 2e-2f;
    const double fd = (step(tr, m, v, labels, o, we_p.data(), nullptr) -
                       step(tr, m, v, labels, o, we_m.data(), nullptr)) /
                      (double)(we_p[e] - we_m[e]);
    EXPECT_NEAR(dw[e], fd, 3e-2 * scale) << "edge " << e << " K " << K << " eval " << eval;
  }
  symgnn_trainer_free(tr);
  symgnn_model_free(m);
}

TEST(ExplainKernels, EdgeWeightGradientHaarEval) { check_edge_weight_gradient(0, 1); }
TEST(ExplainKernels, EdgeWeightGradientTransformsEval) { check_edge_weight_gradient(2, 1); }
TEST(ExplainKernels, EdgeWeightGradientTransformsTrainMode) { check_edge_weight_gradient(2, 0); }

// The explainer's fast step (layer l only on the nodes within L-1-l hops,
// layer 0's attention kept from a first pass, no parameter gradient) gives
// the loss and edge-weight gradient of the plain eval step.
void check_fast_step(int K) {
  symgnn_arch arch = narrow_arch();
  arch.nlayers = 3;
  arch.heads[0] = 3;
  arch.heads[1] = 2;
  arch.heads[2] = 1;
  symgnn_model *m = random_model(K, K ? random_transforms(K, 61).data() : nullptr, 62, 2, &arch);
  ASSERT_NE(m, nullptr);
  Config c(300, arch.cutoff, 63);
  const symgnn_graph_view full = c.view();
  symgnn_subgraph sg;
  symgnn_error err;
  ASSERT_EQ(symgnn_subgraph_khop(&full, 7, arch.nlayers, &sg, &err), SYMGNN_OK);
  const symgnn_graph_view v = symgnn_subgraph_view(&sg);
  std::vector<int> active(arch.nlayers, 0);
  for (int l = 0; l < arch.nlayers; ++l)
    while (active[l] < sg.n && sg.hop[active[l]] <= arch.nlayers - 1 - l) ++active[l];
  ASSERT_LT(active[0], sg.n);
  std::mt19937_64 rng(64);
  std::uniform_real_distribution<double> u(0.1, 1.0);
  std::vector<float> w(sg.ne), labels(sg.n, 0.0f), lw(sg.n, 0.0f);
  for (float &x : w) x = (float)u(rng);
  labels[0] = 0.5f;
  lw[0] = 1.0f;
  symgnn_trainer *tr = nullptr;
  ASSERT_EQ(symgnn_trainer_create(m, &tr, &err), SYMGNN_OK);
  symgnn_train_opts o = base_opts(1);
  o.loss_weight = lw.data();
  std::vector<double> dw_plain(sg.ne, 0.0), dw_fast(sg.ne, 0.0);
  const double l_plain = step(tr, m, v, labels, o, w.data(), dw_plain.data());
  o.active_nodes = active.data();
  step(tr, m, v, labels, o, nullptr, nullptr); // the first pass: unweighted, everything
  o.reuse_inputs = 1;
  const double l_fast = step(tr, m, v, labels, o, w.data(), dw_fast.data());
  EXPECT_NEAR(l_fast, l_plain, 1e-6 * std::max(1.0, l_plain));
  double scale = 0.0;
  for (double x : dw_plain) scale = std::max(scale, std::fabs(x));
  ASSERT_GT(scale, 0.0);
  for (int64_t e = 0; e < sg.ne; ++e)
    ASSERT_NEAR(dw_fast[e], dw_plain[e], 1e-5 * scale) << "edge " << e;
  symgnn_trainer_free(tr);
  symgnn_subgraph_free(&sg);
  symgnn_model_free(m);
}

TEST(ExplainKernels, FastStepEqualsThePlainStepHaar) { check_fast_step(0); }
TEST(ExplainKernels, FastStepEqualsThePlainStepTransforms) { check_fast_step(2); }

// The L-hop subgraph keeps the target's prediction: eval mode of the kernels
// on the subgraph equals the core's prediction on the whole periodic graph
// (haar and transforms; random BatchNorm running statistics).
void check_subgraph_prediction(int K) {
  symgnn_arch arch = narrow_arch(); // 2 layers: the 2-hop subgraph is part of the box
  symgnn_model *m = random_model(K, K ? random_transforms(K, 21).data() : nullptr, 22, 2, &arch);
  ASSERT_NE(m, nullptr);
  // running means of the first edge BatchNorm well away from its input's bias (in training
  // the batch mean equals the bias exactly; eval mode must use the running mean)
  const symgnn_layout *lay = symgnn_model_layout(m);
  for (int j = 0; j < arch.width; ++j)
    symgnn_model_stats(m)[lay->edge_bn0.mean + j] =
        symgnn_model_params(m)[lay->edge_lin0.b + j] + (j % 2 ? 0.8f : -0.8f);
  const int n = 700;
  Config c(n, arch.cutoff, 23);
  const symgnn_graph_view v = c.view();
  symgnn_eval *ev = nullptr;
  symgnn_error err;
  ASSERT_EQ(symgnn_eval_create(m, &ev, &err), SYMGNN_OK) << err.message;
  std::vector<double> eb(n);
  ASSERT_EQ(symgnn_predict(ev, &v, eb.data(), &err), SYMGNN_OK) << err.message;
  double mean, sd;
  symgnn_model_label_norm(m, &mean, &sd);
  symgnn_trainer *tr = nullptr;
  ASSERT_EQ(symgnn_trainer_create(m, &tr, &err), SYMGNN_OK);
  for (int target : {0, 123, 699}) {
    symgnn_subgraph sg;
    ASSERT_EQ(symgnn_subgraph_khop(&v, target, arch.nlayers, &sg, &err), SYMGNN_OK);
    EXPECT_LT(sg.n, n / 2) << "the subgraph should be a part of the box";
    EXPECT_EQ(sg.node[0], target);
    EXPECT_EQ(sg.hop[sg.n - 1], arch.nlayers);
    const symgnn_graph_view sv = symgnn_subgraph_view(&sg);
    std::vector<float> pred(sg.n);
    symgnn_train_opts o = base_opts(1);
    ASSERT_EQ(symgnn_trainer_step(tr, m, &sv, nullptr, K, K ? symgnn_model_transforms(m) : nullptr,
                                  &o, nullptr, nullptr, nullptr, pred.data(), &err),
              SYMGNN_OK)
        << err.message;
    const double ref = (eb[target] - mean) / sd;
    EXPECT_NEAR(pred[0], ref, 1e-4 * std::max(1.0, std::fabs(ref))) << "target " << target;
    // a node at the last hop misses edges: its prediction differs from the full graph's
    const int far = sg.n - 1;
    EXPECT_GT(std::fabs(pred[far] - (eb[sg.node[far]] - mean) / sd), 1e-5);
    symgnn_subgraph_free(&sg);
  }
  symgnn_trainer_free(tr);
  symgnn_eval_free(ev);
  symgnn_model_free(m);
}

TEST(ExplainSubgraph, TargetPredictionEqualsTheCoreHaar) { check_subgraph_prediction(0); }
TEST(ExplainSubgraph, TargetPredictionEqualsTheCoreTransforms) { check_subgraph_prediction(3); }

// A haar model whose attention ignores every edge longer than about r1 in
// every layer: the edge encoder's only feature is the sphere average of
// relu(r u_x - r1) (zero up to r1, growing beyond), the edge state is never
// updated (zero edge projection), and W_fij turns that feature into a large
// negative attention logit (positive attention vector). Edges beyond r1
// then carry no message, so the mask of every one of them is free; only
// short edges can be important.
symgnn_model *first_shell_model(double r1) {
  symgnn_arch arch = narrow_arch();
  symgnn_model *m = random_model(0, nullptr, 31, 2, &arch);
  if (!m) return nullptr;
  const symgnn_layout *L = symgnn_model_layout(m);
  float *p = symgnn_model_params(m), *s = symgnn_model_stats(m);
  const int d = L->width;
  for (int j = 0; j < d; ++j) {
    for (int k = 0; k < 3; ++k) p[L->edge_lin0.w + 3 * j + k] = k == 0 ? 1.0f : 0.0f;
    p[L->edge_lin0.b + j] = 0.0f;
    for (int k = 0; k < d; ++k) p[L->edge_lin1.w + d * j + k] = j == k ? 1.0f : 0.0f;
    p[L->edge_lin1.b + j] = 0.0f;
    for (const symgnn_bn_ref &b : {L->edge_bn0, L->edge_bn1}) {
      p[b.gamma + j] = 1.0f;
      p[b.beta + j] = 0.0f;
      s[b.var + j] = 1.0f;
    }
    s[L->edge_bn0.mean + j] = (float)r1;
    s[L->edge_bn1.mean + j] = 0.0f;
  }
  for (int l = 0; l < L->nlayers; ++l) {
    const symgnn_layer_ref &ly = L->layer[l];
    for (int i = 0; i < d * ly.hw; ++i) p[ly.proj_edge.w + i] = 0.0f;
    for (int i = 0; i < d; ++i) p[ly.proj_edge.b + i] = 0.0f;
    for (int i = 0; i < ly.hw * d; ++i) p[ly.w_fij + i] = -1e5f / (float)d;
    for (int i = 0; i < ly.hw; ++i) p[ly.attn + i] = std::fabs(p[ly.attn + i]) + 0.1f;
    for (int i = 0; i < d * ly.merged; ++i) p[ly.proj_node.w + i] *= 5.0f; /* messages matter */
  }
  for (int j = 0; j < d; ++j) p[L->out.w + j] *= 20.0f; /* the prediction moves with the mask */
  return m;
}

TEST(ExplainMask, FirstShellModelGetsItsTopEdgesInTheFirstShell) {
  const double r1 = 3.0, shell = 3.2; // edges up to ~3.05 are partly suppressed
  symgnn_model *m = first_shell_model(r1);
  ASSERT_NE(m, nullptr);
  Config c(700, 5.0, 41);
  const symgnn_graph_view v = c.view();
  symgnn_trainer *tr = nullptr;
  symgnn_error err;
  ASSERT_EQ(symgnn_trainer_create(m, &tr, &err), SYMGNN_OK);
  symgnn_explain_opts eo;
  symgnn_explain_opts_default(&eo);
  eo.steps = 300;
  for (int target : {5, 400}) {
    symgnn_subgraph sg;
    ASSERT_EQ(symgnn_subgraph_khop(&v, target, 2, &sg, &err), SYMGNN_OK);
    std::vector<float> mask(sg.ne);
    symgnn_explain_result r;
    ASSERT_EQ(symgnn_explain_target(tr, m, &sg, &eo, mask.data(), &r, &err), SYMGNN_OK)
        << err.message;
    std::vector<int64_t> order(sg.ne);
    int64_t nshort = 0;
    for (int64_t e = 0; e < sg.ne; ++e) {
      order[e] = e;
      const double *x = sg.disp + 3 * e;
      nshort += std::sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]) < shell;
    }
    // at most half the edges are short: ten random edges would all be short
    // with a probability below 0.001
    EXPECT_LT(nshort, sg.ne / 2);
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return mask[a] > mask[b]; });
    for (int k = 0; k < 10; ++k) {
      const double *x = sg.disp + 3 * order[k];
      EXPECT_LT(std::sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]), shell)
          << "rank " << k + 1 << " of target " << target << " (mask " << mask[order[k]] << ")";
      // the explanation keeps the prediction: far edges carry nothing
      EXPECT_LT(r.sq_change, 1e-2);
    }
    symgnn_subgraph_free(&sg);
  }
  symgnn_trainer_free(tr);
  symgnn_model_free(m);
}

} // namespace
