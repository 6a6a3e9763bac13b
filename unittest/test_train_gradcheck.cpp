// Training kernels (symgnn_train.h): train-mode forward against a naive double
// reference, finite-difference gradient checks for every parameter tensor and
// the transforms, BatchNorm running statistics, data-parallel splitting through
// the reduction callback, and agreement of train mode with the eval forward.
#include "symgnn.h"
#include "symgnn_layout.h"
#include "symgnn_train.h"
#include "symgnn_train_bn.h"
#include "symgnn_train_dropout.h"
extern "C" {
#include "symgnn_haar.h"
}
#include "reference_model.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace symgnn_test;

namespace {

using Rows = std::vector<std::vector<double>>;

// ------------------------------------------------------------------ inputs

// A batch: disjoint union of periodic configurations, with random labels.
struct Batch {
  int n = 0;
  std::vector<int> species, src;
  std::vector<int64_t> off{0};
  std::vector<double> disp;
  std::vector<float> labels;
  void add(const symgnn_graph_view &v) {
    for (int t = 0; t < v.nlocal; ++t) {
      species.push_back(v.species[t]);
      for (int64_t e = v.offsets[t]; e < v.offsets[t + 1]; ++e) {
        src.push_back(v.src[e] + n);
        disp.insert(disp.end(), v.disp + 3 * e, v.disp + 3 * e + 3);
      }
      off.push_back((int64_t)src.size());
    }
    n += v.nlocal;
  }
  void add(const Batch &b) {
    symgnn_graph_view v = b.view();
    add(v);
    labels.insert(labels.end(), b.labels.begin(), b.labels.end());
  }
  symgnn_graph_view view() const {
    return {n, n, species.data(), off.data(), src.data(), disp.data()};
  }
  int64_t nedges() const { return off.back(); }
};

// One glass-like configuration of `natoms` atoms at the Cu64Zr36 number density.
Batch make_config(int natoms, int nelem, double cutoff, unsigned seed) {
  const double L = std::cbrt(natoms / 0.0631);
  const double lat[9] = {L, 0, 0, 0.3, 0.97 * L, 0, -0.2, 0.4, 1.03 * L};
  const std::vector<double> pos = random_config(natoms, lat, 2.0, seed);
  std::mt19937_64 rng(seed * 7 + 1);
  std::vector<int> sp(natoms);
  for (int &s : sp) s = (int)(rng() % (unsigned)nelem);
  symgnn_graph *g = nullptr;
  symgnn_error err;
  EXPECT_EQ(symgnn_graph_build(natoms, pos.data(), lat, sp.data(), cutoff, &g, &err), SYMGNN_OK)
      << err.message;
  Batch b;
  b.add(symgnn_graph_get_view(g));
  symgnn_graph_free(g);
  std::normal_distribution<double> nd(0.0, 1.0);
  for (int i = 0; i < natoms; ++i) b.labels.push_back((float)nd(rng));
  return b;
}

Batch make_batch(int nconf, int natoms, int nelem, double cutoff, unsigned seed) {
  Batch b;
  for (int c = 0; c < nconf; ++c) b.add(make_config(natoms, nelem, cutoff, seed + 31 * c));
  return b;
}

// The paper's architecture, or a small one with a multi-head last layer.
symgnn_arch paper_arch() {
  const char *names[2] = {"Cu", "Zr"};
  symgnn_arch a;
  symgnn_arch_default(&a, 2, names);
  return a;
}

symgnn_arch odd_arch() {
  const char *names[5] = {"Cu", "Zr", "Al", "Ni", "Ag"};
  symgnn_arch a;
  symgnn_arch_default(&a, 5, names);
  a.width = 8;
  a.nlayers = 3;
  a.heads[0] = 3;
  a.heads[1] = 1;
  a.heads[2] = 2; // last layer averages two heads
  a.decoder_depth = 2;
  a.cutoff = 4.0;
  return a;
}

// Model with default initialization, then every parameter perturbed so BN
// gammas/betas, biases, attention bias and PReLU slopes are all generic.
symgnn_model *make_model(const symgnn_arch &arch, const std::vector<double> &tr, uint64_t seed) {
  symgnn_model *m = nullptr;
  symgnn_error err;
  EXPECT_EQ(symgnn_model_create(&arch, (int)tr.size() / 9, tr.empty() ? nullptr : tr.data(), seed,
                                &m, &err),
            SYMGNN_OK)
      << err.message;
  std::mt19937_64 rng(seed + 5);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  float *p = symgnn_model_params(m);
  for (size_t i = 0; i < symgnn_model_nparams(m); ++i) p[i] += (float)(0.2 * u(rng));
  return m;
}

// ------------------------------------------------------------------ naive reference

// The shared reference (unittest/reference_model.h) in train mode, with the
// trainer's dropout masks and the MSE loss of a batch.
struct TrainReference : ReferenceModel {
  explicit TrainReference(const symgnn_model *m) : ReferenceModel(m) { draw = symgnn_dropout_draw; }
  double loss(const Batch &b, const std::vector<double> &O) {
    const std::vector<double> y = run(b.view(), O);
    double l = 0.0;
    for (int i = 0; i < b.n; ++i) l += (y[i] - b.labels[i]) * (y[i] - b.labels[i]);
    return l / b.n;
  }
};

// ------------------------------------------------------------------ trainer helpers

struct Trainer {
  symgnn_trainer *tr = nullptr;
  explicit Trainer(const symgnn_model *m) {
    symgnn_error err;
    EXPECT_EQ(symgnn_trainer_create(m, &tr, &err), SYMGNN_OK) << err.message;
  }
  ~Trainer() { symgnn_trainer_free(tr); }
  Trainer(const Trainer &) = delete;
  Trainer &operator=(const Trainer &) = delete;
};

struct StepResult {
  double loss = 0.0;
  std::vector<float> grad, pred;
  std::vector<double> dtr;
};

symgnn_train_opts no_dropout() {
  symgnn_train_opts o;
  symgnn_train_opts_default(&o);
  o.dropout = 0.0;
  o.update_stats = 0;
  return o;
}

StepResult run_step(symgnn_trainer *tr, symgnn_model *m, const Batch &b,
                    const std::vector<double> &t, const symgnn_train_opts &o, bool backward) {
  StepResult r;
  r.pred.assign(b.n, 0.0f);
  if (backward) {
    r.grad.assign(symgnn_model_nparams(m), 0.0f);
    r.dtr.assign(t.size(), 0.0);
  }
  const symgnn_graph_view v = b.view();
  symgnn_error err;
  const symgnn_status st = symgnn_trainer_step(
      tr, m, &v, b.labels.data(), (int)t.size() / 9, t.empty() ? nullptr : t.data(), &o, &r.loss,
      backward ? r.grad.data() : nullptr, backward ? r.dtr.data() : nullptr, r.pred.data(), &err);
  EXPECT_EQ(st, SYMGNN_OK) << err.message;
  return r;
}

// ------------------------------------------------------------------ tensor table

struct Tensor {
  std::string name, group;
  size_t off, size;
  bool dead; // never used by the forward pass: gradient must be exactly zero
  // Compared against the whole gradient's norm, not its own size: a bias right in front of a
  // BatchNorm (exact gradient zero, float noise only) or the attention bias (it shifts all
  // logits of a destination alike, which the softmax removes except through the LeakyReLU's
  // kink: a near-total cancellation whose rounding depends on the BLAS kernels' row tiling).
  bool prebn;
};

std::vector<Tensor> tensor_table(const symgnn_layout *L, int nelements) {
  std::vector<Tensor> t;
  const size_t d = (size_t)L->width;
  auto lin = [&](const std::string &n, const symgnn_lin_ref &r, const std::string &grp, bool dead,
                 bool prebn) {
    t.push_back({n + ".w", grp, r.w, (size_t)r.out * r.in, dead, false});
    t.push_back({n + ".b", grp, r.b, (size_t)r.out, dead, prebn});
  };
  auto bn = [&](const std::string &n, const symgnn_bn_ref &r, bool dead) {
    t.push_back({n + ".gamma", "bn", r.gamma, (size_t)r.width, dead, false});
    t.push_back({n + ".beta", "bn", r.beta, (size_t)r.width, dead, false});
  };
  t.push_back({"emb", "node_encoder", L->emb, (size_t)nelements * d, false, false});
  bn("node_bn0", L->node_bn0, false);
  lin("node_lin", L->node_lin, "node_encoder", false, true);
  bn("node_bn1", L->node_bn1, false);
  lin("edge_lin0", L->edge_lin0, "edge_encoder", false, true);
  bn("edge_bn0", L->edge_bn0, false);
  lin("edge_lin1", L->edge_lin1, "edge_encoder", false, true);
  bn("edge_bn1", L->edge_bn1, false);
  for (int l = 0; l < L->nlayers; ++l) {
    const symgnn_layer_ref &r = L->layer[l];
    const std::string n = "layer" + std::to_string(l) + ".";
    const bool last = l == L->nlayers - 1;
    const size_t hwd = (size_t)r.hw * d;
    t.push_back({n + "w_ni", "egat", r.w_ni, hwd, false, false});
    t.push_back({n + "w_nj", "egat", r.w_nj, hwd, false, false});
    t.push_back({n + "w_fij", "egat", r.w_fij, hwd, false, false});
    t.push_back({n + "w_src", "egat", r.w_src, hwd, false, false});
    t.push_back({n + "attn", "attention", r.attn, (size_t)r.hw, false, false});
    t.push_back({n + "bias", "attention", r.bias, (size_t)r.hw, false, true});
    bn(n + "bn_node", r.bn_node, false);
    bn(n + "bn_edge", r.bn_edge, last);
    // the last layer's node shifts are removed again by the decoder's first BN
    const bool shift = last && L->decoder_depth > 0;
    t[t.size() - 3].prebn = shift; // bn_node.beta
    lin(n + "proj_node", r.proj_node, "egat", false, shift);
    lin(n + "proj_edge", r.proj_edge, "egat", last, false);
  }
  for (int k = 0; k < L->decoder_depth; ++k) {
    const std::string n = "dec" + std::to_string(k) + ".";
    lin(n + "lin", L->dec[k].lin, "decoder", false, true);
    bn(n + "bn", L->dec[k].bn, false);
    t.push_back({n + "prelu", "prelu", L->dec[k].prelu, 1, false, false});
  }
  lin("out", L->out, "decoder", false, false);
  return t;
}

// ------------------------------------------------------------------ finite differences

// Analytic gradients of the float kernels against central differences of the
// double reference loss (tiny steps in double: no float noise and almost no
// ReLU kinks crossed). Float finite differences of the kernels' own loss cannot
// resolve 1e-3: steps large enough to beat float rounding cross many kinks.
struct GradCheck {
  symgnn_model *m;
  const Batch &b;
  std::vector<double> t;
  StepResult base;
  TrainReference ref;
  double scale = 0.0; // largest analytic gradient entry of the model

  GradCheck(symgnn_model *model, const Batch &batch, const std::vector<double> &tr,
            const symgnn_train_opts &o)
      : m(model), b(batch), t(tr), ref(model) {
    Trainer trainer(m);
    base = run_step(trainer.tr, m, b, t, o, true);
    for (float g : base.grad) scale = std::max(scale, (double)std::fabs(g));
    ref.dropout = o.dropout;
    ref.seed = o.seed;
  }
  double fd_param(size_t i) {
    const double p0 = ref.P[i], h = 1e-7 * std::max(1.0, std::fabs(p0));
    ref.P[i] = p0 + h;
    const double lp = ref.loss(b, t);
    ref.P[i] = p0 - h;
    const double lm = ref.loss(b, t);
    ref.P[i] = p0;
    return (lp - lm) / (2 * h);
  }
  // Smaller step for the transforms: every edge feature moves with them, and
  // identical self-loop features can sit close to a ReLU kink.
  double fd_transform(size_t i) {
    const double t0 = t[i], h = 1e-8;
    t[i] = t0 + h;
    const double lp = ref.loss(b, t);
    t[i] = t0 - h;
    const double lm = ref.loss(b, t);
    t[i] = t0;
    return (lp - lm) / (2 * h);
  }
  double rel(double a, double f) const {
    return std::fabs(a - f) / std::max({std::fabs(a), std::fabs(f), 1e-3 * scale});
  }
  // Max relative error over `samples` entries of a tensor (all entries if fewer).
  double check(const Tensor &x, int samples, unsigned seed) {
    std::vector<size_t> idx(x.size);
    for (size_t i = 0; i < x.size; ++i) idx[i] = i;
    std::shuffle(idx.begin(), idx.end(), std::mt19937_64(seed));
    idx.resize(std::min(idx.size(), (size_t)samples));
    double worst = 0.0;
    for (size_t i : idx) {
      const double a = base.grad[x.off + i], f = fd_param(x.off + i);
      if (x.dead) {
        EXPECT_EQ(a, 0.0) << x.name << "[" << i << "] is unused but has a gradient";
        EXPECT_EQ(f, 0.0) << x.name << "[" << i << "] is unused but changes the loss";
        continue;
      }
      worst = std::max(worst, rel(a, f));
    }
    return worst;
  }
  double check_transforms() {
    double worst = 0.0;
    for (size_t i = 0; i < t.size(); ++i)
      worst = std::max(worst, rel(base.dtr[i], fd_transform(i)));
    return worst;
  }
};

// Checks the tensors of a group ("" = every tensor), printing max rel error per tensor.
void check_group(const symgnn_arch &arch, const std::string &group, int K, double dropout,
                 int samples, double tol) {
  const std::vector<double> t = random_transforms(K, 3);
  symgnn_model *m = make_model(arch, t, 21);
  const Batch b = make_batch(2, 24, arch.nelements, arch.cutoff, 9);
  symgnn_train_opts o = no_dropout();
  o.dropout = dropout;
  o.seed = 1234;
  GradCheck gc(m, b, t, o);
  ASSERT_GT(gc.scale, 0.0);
  int checked = 0;
  for (const Tensor &x : tensor_table(symgnn_model_layout(m), arch.nelements)) {
    if (!group.empty() && x.group != group) continue;
    const double e = gc.check(x, samples, 77 + checked);
    std::printf("  %-22s %6zu entries  max rel err %.2e%s\n", x.name.c_str(), x.size, e,
                x.dead ? "  (unused: exactly zero)" : "");
    EXPECT_LT(e, tol) << x.name;
    ++checked;
  }
  if (group.empty() || group == "edge_encoder") {
    const double e = gc.check_transforms();
    std::printf("  %-22s %6zu entries  max rel err %.2e\n", "transforms (dO_k)", t.size(), e);
    EXPECT_LT(e, tol) << "transforms";
  }
  EXPECT_GT(checked, 0);
  symgnn_model_free(m);
}

// Paper-sized model with eight species. The node encoder output takes one
// value per species, so the first layer's messages are convex mixtures of
// `nelements` vectors; with two or three species some BN_node features are
// nearly constant, BatchNorm amplifies float rounding by up to 1/sqrt(eps), and
// the first layers' gradients are only good to ~1e-5 of the largest entry
// (measured: 1e-3..5e-2 relative errors on small entries with three species,
// below 3e-4 with six or more). The check needs a well-conditioned model.
symgnn_arch paper_arch8() {
  const char *names[8] = {"Cu", "Zr", "Al", "Ni", "Ag", "Ti", "Fe", "Co"};
  symgnn_arch a;
  symgnn_arch_default(&a, 8, names);
  return a;
}

// ------------------------------------------------------------------ tests

TEST(TrainForward, MatchesNaiveDoubleReference) {
  for (const symgnn_arch &arch : {paper_arch(), odd_arch()})
    for (double p : {0.0, 0.25}) {
      const std::vector<double> t = random_transforms(3, 4);
      symgnn_model *m = make_model(arch, t, 8);
      const Batch b = make_batch(2, 40, arch.nelements, arch.cutoff, 5);
      Trainer tr(m);
      symgnn_train_opts o = no_dropout();
      o.dropout = p;
      o.seed = 99;
      const StepResult r = run_step(tr.tr, m, b, t, o, false);
      TrainReference ref(m);
      ref.dropout = p;
      ref.seed = o.seed;
      const std::vector<double> want = ref.run(b.view(), t);
      double worst = 0.0, spread = 0.0, loss = 0.0;
      for (int i = 0; i < b.n; ++i) {
        worst = std::max(worst, std::fabs(r.pred[i] - want[i]) / std::max(1.0, std::fabs(want[i])));
        spread = std::max(spread, std::fabs(want[i] - want[0]));
        loss += (want[i] - b.labels[i]) * (want[i] - b.labels[i]) / b.n;
      }
      EXPECT_GT(spread, 1e-2) << "predictions should depend on the atom";
      EXPECT_LT(worst, 1e-4) << "width " << arch.width << " dropout " << p;
      EXPECT_NEAR(r.loss, loss, 1e-5 * loss);
      symgnn_model_free(m);
    }
}

TEST(TrainGradCheck, NodeEncoder) { check_group(paper_arch8(), "node_encoder", 2, 0.0, 8, 1e-3); }
TEST(TrainGradCheck, EdgeEncoderAndTransforms) {
  check_group(paper_arch8(), "edge_encoder", 2, 0.0, 8, 1e-3);
}
TEST(TrainGradCheck, EgatLayers) { check_group(paper_arch8(), "egat", 2, 0.0, 4, 1e-3); }
TEST(TrainGradCheck, AttentionAndSoftmax) {
  check_group(paper_arch8(), "attention", 2, 0.0, 8, 1e-3);
}
TEST(TrainGradCheck, BatchNorms) { check_group(paper_arch8(), "bn", 2, 0.0, 4, 1e-3); }
TEST(TrainGradCheck, PReluSlopes) { check_group(paper_arch8(), "prelu", 2, 0.0, 1, 1e-3); }
TEST(TrainGradCheck, Decoder) { check_group(paper_arch8(), "decoder", 2, 0.0, 8, 1e-3); }
TEST(TrainGradCheck, EveryTensorSmallModelMultiHeadLastLayer) {
  check_group(odd_arch(), "", 3, 0.0, 10, 1e-3);
}
// Haar models (no transforms): the grid edge encoder with its exact BatchNorm
// statistics, every tensor, against the double reference of the same
// discretization.
TEST(TrainGradCheck, EveryTensorHaar) { check_group(odd_arch(), "", 0, 0.0, 5, 1e-3); }
// The paper's width in haar mode: layer 0's edge term from the grid, the
// register-blocked block products (widths a multiple of 16) everywhere else.
TEST(TrainGradCheck, EgatLayersHaarPaperWidth) {
  check_group(paper_arch8(), "egat", 0, 0.0, 1, 1e-3);
}
TEST(TrainForward, HaarMatchesNaiveDoubleReference) {
  const symgnn_arch arch = odd_arch();
  symgnn_model *m = make_model(arch, {}, 8);
  const Batch b = make_batch(2, 40, arch.nelements, arch.cutoff, 5);
  Trainer tr(m);
  const StepResult r = run_step(tr.tr, m, b, {}, no_dropout(), false);
  TrainReference ref(m);
  const std::vector<double> want = ref.run(b.view(), {});
  double worst = 0.0;
  for (int i = 0; i < b.n; ++i)
    worst = std::max(worst, std::fabs(r.pred[i] - want[i]) / std::max(1.0, std::fabs(want[i])));
  EXPECT_LT(worst, 1e-4);
  symgnn_model_free(m);
}
TEST(TrainGradCheck, EveryTensorWithDropoutFixedSeed) {
  check_group(odd_arch(), "", 2, 0.25, 6, 1e-3);
}

// ------------------------------------------------------------------ BatchNorm kernel

// A fake second rank: each reduction adds the partner's precomputed sums, in call order.
struct FakePartner {
  std::vector<std::vector<double>> adds;
  size_t calls = 0;
  static void fn(double *buf, size_t n, void *user) {
    FakePartner *f = static_cast<FakePartner *>(user);
    ASSERT_LT(f->calls, f->adds.size());
    ASSERT_EQ(n, f->adds[f->calls].size());
    for (size_t i = 0; i < n; ++i) buf[i] += f->adds[f->calls][i];
    ++f->calls;
  }
};

TEST(TrainBatchNorm, RowsMatchDirectFormulasAndSplitAcrossFakeRanks) {
  const int w = 5, n = 30, na = 12;
  std::mt19937_64 rng(3);
  std::normal_distribution<double> nd(0.0, 1.0);
  std::vector<float> x(n * w), dy(n * w), gamma(w), beta(w);
  for (float &v : x) v = (float)(2.0 + 1.5 * nd(rng));
  for (float &v : dy) v = (float)nd(rng);
  for (int j = 0; j < w; ++j) {
    gamma[j] = (float)(1.0 + 0.3 * nd(rng));
    beta[j] = (float)(0.2 * nd(rng));
  }
  // direct double formulas
  std::vector<double> mean(w, 0.0), var(w, 0.0), dxr(n * w), dg(w, 0.0), db(w, 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < w; ++j) mean[j] += x[i * w + j] / (double)n;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < w; ++j) var[j] += std::pow(x[i * w + j] - mean[j], 2) / n;
  for (int j = 0; j < w; ++j) {
    const double is = 1.0 / std::sqrt(var[j] + 1e-5);
    double mdy = 0.0, mdyx = 0.0;
    for (int i = 0; i < n; ++i) {
      const double xh = (x[i * w + j] - mean[j]) * is;
      mdy += dy[i * w + j] / (double)n;
      mdyx += dy[i * w + j] * xh / n;
      dg[j] += dy[i * w + j] * xh;
      db[j] += dy[i * w + j];
    }
    for (int i = 0; i < n; ++i) {
      const double xh = (x[i * w + j] - mean[j]) * is;
      dxr[i * w + j] = gamma[j] * is * (dy[i * w + j] - mdy - xh * mdyx);
    }
  }
  auto make = [&](std::vector<double> &m, std::vector<double> &is, std::vector<double> &gacc,
                  std::vector<float> &run, std::vector<double> &work) {
    symgnn_bn bn{};
    bn.width = w;
    bn.gamma = gamma.data();
    bn.beta = beta.data();
    run.assign(2 * w, 0.0f);
    for (int j = 0; j < w; ++j) run[w + j] = 1.0f;
    bn.run_mean = run.data();
    bn.run_var = run.data() + w;
    bn.momentum = 0.1;
    m.assign(w, 0.0);
    is.assign(w, 0.0);
    gacc.assign(2 * w, 0.0);
    work.assign(5 * w, 0.0);
    bn.mean = m.data();
    bn.istd = is.data();
    bn.dgamma = gacc.data();
    bn.dbeta = gacc.data() + w;
    bn.work = work.data();
    return bn;
  };
  // one rank with every row
  std::vector<double> m1, is1, g1, wk1;
  std::vector<float> run1, y1(n * w), dx1(n * w);
  symgnn_bn bn1 = make(m1, is1, g1, run1, wk1);
  symgnn_bn_rows_forward(&bn1, x.data(), n, n, nullptr, y1.data());
  symgnn_bn_rows_backward(&bn1, x.data(), dy.data(), n, n, nullptr, dx1.data());
  for (int j = 0; j < w; ++j) {
    EXPECT_NEAR(m1[j], mean[j], 1e-12 * (1 + std::fabs(mean[j])));
    EXPECT_NEAR(run1[j], 0.1 * mean[j], 1e-6);
    EXPECT_NEAR(run1[w + j], 0.9 + 0.1 * var[j] * n / (n - 1), 1e-6);
    EXPECT_NEAR(g1[j], dg[j], 1e-5 * (1 + std::fabs(dg[j])));
    EXPECT_NEAR(g1[w + j], db[j], 1e-5 * (1 + std::fabs(db[j])));
    for (int i = 0; i < n; ++i) {
      const double xh = (x[i * w + j] - mean[j]) / std::sqrt(var[j] + 1e-5);
      EXPECT_NEAR(y1[i * w + j], gamma[j] * xh + beta[j], 1e-5);
      EXPECT_NEAR(dx1[i * w + j], dxr[i * w + j], 1e-5);
    }
  }
  // rank A holds rows [0, na); the partner (rows [na, n)) adds its sums
  FakePartner fp;
  std::vector<double> sx(2 * w, 0.0), sg(2 * w, 0.0);
  for (int i = na; i < n; ++i)
    for (int j = 0; j < w; ++j) {
      const double xh = (x[i * w + j] - mean[j]) / std::sqrt(var[j] + 1e-5);
      sx[j] += x[i * w + j];
      sx[w + j] += (double)x[i * w + j] * x[i * w + j];
      sg[j] += dy[i * w + j];
      sg[w + j] += dy[i * w + j] * xh;
    }
  fp.adds = {sx, sg};
  const symgnn_reduce red = {FakePartner::fn, &fp};
  std::vector<double> m2, is2, g2, wk2;
  std::vector<float> run2, y2(na * w), dx2(na * w);
  symgnn_bn bn2 = make(m2, is2, g2, run2, wk2);
  symgnn_bn_rows_forward(&bn2, x.data(), na, n, &red, y2.data());
  symgnn_bn_rows_backward(&bn2, x.data(), dy.data(), na, n, &red, dx2.data());
  EXPECT_EQ(fp.calls, 2u);
  for (int j = 0; j < w; ++j) {
    EXPECT_NEAR(run2[w + j], run1[w + j], 1e-6); // global statistics on the split rank
    EXPECT_NEAR(g2[j] + sg[w + j], g1[j], 1e-5); // local share + partner share = total
    EXPECT_NEAR(g2[w + j] + sg[j], g1[w + j], 1e-5);
    for (int i = 0; i < na; ++i) {
      EXPECT_NEAR(y2[i * w + j], y1[i * w + j], 1e-6);
      EXPECT_NEAR(dx2[i * w + j], dx1[i * w + j], 1e-6);
    }
  }
}

// ------------------------------------------------------------------ two ranks

// Two threads act as two data-parallel ranks; the callback sums over both with
// a barrier (both ranks add the two slots in the same order).
class PairReduce {
public:
  void sum(int rank, double *buf, size_t n) {
    slot_[rank].assign(buf, buf + n);
    barrier();
    for (size_t i = 0; i < n; ++i) buf[i] = slot_[0][i] + slot_[1][i];
    barrier();
  }

private:
  void barrier() {
    std::unique_lock<std::mutex> lk(mu_);
    const int gen = gen_;
    if (++arrived_ == 2) {
      arrived_ = 0;
      ++gen_;
      cv_.notify_all();
    } else {
      cv_.wait(lk, [&] { return gen != gen_; });
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  int arrived_ = 0, gen_ = 0;
  std::vector<double> slot_[2];
};

struct RankCtx {
  PairReduce *pr;
  int rank;
  static void fn(double *buf, size_t n, void *user) {
    RankCtx *c = static_cast<RankCtx *>(user);
    c->pr->sum(c->rank, buf, n);
  }
};

// ||a - b|| / max(||b||, floor) over one tensor's entries.
double tensor_rel_diff(const std::vector<float> &a, const std::vector<float> &b, size_t off,
                       size_t n, double floor) {
  double num = 0.0, den = 0.0;
  for (size_t i = off; i < off + n; ++i) {
    num += std::pow((double)a[i] - b[i], 2);
    den += std::pow((double)b[i], 2);
  }
  return std::sqrt(num) / std::max(std::sqrt(den), floor);
}

// Gradients of one step computed in two decompositions (threads, ranks) agree
// tensor by tensor to kDecompositionTol relative, with a floor of 1e-3 of the
// whole gradient's norm for tiny tensors (a single PReLU slope); biases in
// front of a BatchNorm have a zero exact gradient (float noise only) and, like
// the attention biases, are compared to the norm. Dead tensors are skipped.
// The tolerance is not float rounding: a decomposition changes the rounding of
// the products (OpenBLAS' kernels round rows by their position in a tile), and
// a LeakyReLU pre-activation within rounding of 0 then takes the other branch,
// moving that edge's whole contribution: measured up to 4.7e-3 of a weight
// tensor on an AVX-512 machine. A reduction or decomposition bug moves whole
// tensors; TrainReduce checks that an unreduced gradient fails this test.
constexpr double kDecompositionTol = 2e-2;

// The largest per-tensor relative difference as above, and its tensor.
double worst_tensor_difference(const std::vector<float> &got, const std::vector<float> &ref,
                               const symgnn_model *m, int nelements, std::string *worst_name) {
  double norm = 0.0;
  for (float g : ref) norm += (double)g * g;
  norm = std::sqrt(norm);
  double worst = 0.0;
  for (const Tensor &x : tensor_table(symgnn_model_layout(m), nelements)) {
    if (x.dead) continue;
    const double e = tensor_rel_diff(got, ref, x.off, x.size, x.prebn ? norm : 1e-3 * norm);
    if (e > worst) {
      worst = e;
      *worst_name = x.name;
    }
  }
  return worst;
}

void expect_same_gradient(const std::vector<float> &got, const std::vector<float> &ref,
                          const symgnn_model *m, int nelements) {
  std::string name;
  const double worst = worst_tensor_difference(got, ref, m, nelements, &name);
  std::printf("  worst per-tensor relative gradient difference %.2e (%s)\n", worst, name.c_str());
  EXPECT_LT(worst, kDecompositionTol) << name;
}

// Transform gradients of two decompositions agree to kDecompositionTol of their norm.
void expect_same_dtr(const std::vector<double> &got, const std::vector<double> &ref) {
  double norm = 0.0;
  for (double v : ref) norm += v * v;
  norm = std::sqrt(norm);
  ASSERT_EQ(got.size(), ref.size());
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(got[i], ref[i], kDecompositionTol * norm);
}

TEST(TrainReduce, TwoRanksEachWithOneConfigurationMatchOneRankWithBoth) {
  const symgnn_arch arch = paper_arch8();
  const std::vector<double> t = random_transforms(2, 6);
  const Batch a = make_config(40, 8, 5.0, 61), c = make_config(40, 8, 5.0, 62);
  Batch both;
  both.add(a);
  both.add(c);
  symgnn_train_opts o = no_dropout();
  o.update_stats = 1;
  symgnn_model *m = make_model(arch, t, 30);
  StepResult one;
  {
    Trainer tr(m);
    one = run_step(tr.tr, m, both, t, o, true);
  }
  symgnn_model *ma = make_model(arch, t, 30), *mc = make_model(arch, t, 30);
  PairReduce pr;
  RankCtx ca{&pr, 0}, cc{&pr, 1};
  StepResult ra, rc;
  auto rank = [&](symgnn_model *mm, const Batch *b, RankCtx *ctx, StepResult *out) {
    symgnn_train_opts oo = o;
    oo.reduce.fn = RankCtx::fn;
    oo.reduce.user = ctx;
    Trainer tr(mm);
    *out = run_step(tr.tr, mm, *b, t, oo, true);
  };
  std::thread th(rank, ma, &a, &ca, &ra);
  rank(mc, &c, &cc, &rc);
  th.join();
  EXPECT_NEAR(ra.loss, one.loss, 1e-6 * one.loss);
  EXPECT_EQ(ra.loss, rc.loss) << "both ranks see the global loss";
  double pmax = 0.0;
  for (int i = 0; i < a.n; ++i) pmax = std::max(pmax, (double)std::fabs(ra.pred[i] - one.pred[i]));
  for (int i = 0; i < c.n; ++i)
    pmax = std::max(pmax, (double)std::fabs(rc.pred[i] - one.pred[a.n + i]));
  EXPECT_LT(pmax, 1e-5);
  std::vector<float> sum(one.grad.size());
  for (size_t i = 0; i < sum.size(); ++i) sum[i] = ra.grad[i] + rc.grad[i];
  expect_same_gradient(sum, one.grad, m, arch.nelements);
  std::vector<double> dsum(t.size());
  for (size_t i = 0; i < t.size(); ++i) dsum[i] = ra.dtr[i] + rc.dtr[i];
  expect_same_dtr(dsum, one.dtr);
  // The tolerance separates: one rank's gradient without the other's is far off.
  std::string name;
  EXPECT_GT(worst_tensor_difference(ra.grad, one.grad, m, arch.nelements, &name),
            10 * kDecompositionTol);
  // running statistics updated identically on both ranks and equal to the single rank's
  const float *s1 = symgnn_model_stats(m), *sa = symgnn_model_stats(ma),
              *sc = symgnn_model_stats(mc);
  double sdiff = 0.0;
  for (size_t i = 0; i < symgnn_model_nstats(m); ++i) {
    EXPECT_EQ(sa[i], sc[i]);
    sdiff = std::max(sdiff, (double)std::fabs(sa[i] - s1[i]) / (1.0 + std::fabs(s1[i])));
  }
  EXPECT_LT(sdiff, 1e-5);
  symgnn_model_free(m);
  symgnn_model_free(ma);
  symgnn_model_free(mc);
}

// The trainer's block loops run on OpenMP threads, each with its own partial
// sums and gradient copies: one and two threads must give the same step up to
// the order of float sums, with stored transforms and with a haar model (whose
// grid encoder and layer-0 edge table have their own per-thread sums).
TEST(TrainThreads, OneAndTwoThreadsGiveTheSameStep) {
#ifndef SYMGNN_TEST_OPENMP
  GTEST_SKIP() << "built without OpenMP";
#else
  const symgnn_arch arch = paper_arch8();
  const Batch b = make_config(300, 8, 5.0, 71); // about 10000 edges: several edge blocks
  ASSERT_GT(b.off.back(), 4 * 1024) << "the batch should span several edge blocks";
  for (int haar : {0, 1})
    for (double dropout : {0.0, 0.25}) { /* the masks come from the seed, not the threads */
      const std::vector<double> t = haar ? std::vector<double>() : random_transforms(2, 8);
      SCOPED_TRACE("dropout " + std::to_string(dropout) + (haar ? ", haar" : ", transforms"));
      symgnn_train_opts o = no_dropout();
      o.dropout = dropout;
      o.seed = 77;
      symgnn_model *m = make_model(arch, t, 31);
      StepResult r[2];
      for (int k = 0; k < 2; ++k) {
        o.threads = k + 1; /* two threads even on a one-core machine */
        Trainer tr(m);
        r[k] = run_step(tr.tr, m, b, t, o, true);
      }
      EXPECT_NEAR(r[1].loss, r[0].loss, 1e-6 * r[0].loss);
      double pmax = 0.0;
      for (int i = 0; i < b.n; ++i)
        pmax = std::max(pmax, (double)std::fabs(r[1].pred[i] - r[0].pred[i]));
      EXPECT_LT(pmax, 1e-5);
      expect_same_gradient(r[1].grad, r[0].grad, m, arch.nelements);
      expect_same_dtr(r[1].dtr, r[0].dtr);
      symgnn_model_free(m);
    }
#endif
}

// ------------------------------------------------------------------ running statistics

// Every BN instance of the model in layout order, with whether it sees edges and
// whether it is the dead last-layer edge BN.
struct BnInfo {
  symgnn_bn_ref ref;
  bool edge, dead;
};
std::vector<BnInfo> all_bns(const symgnn_layout *L) {
  std::vector<BnInfo> v = {{L->node_bn0, false, false},
                           {L->node_bn1, false, false},
                           {L->edge_bn0, true, false},
                           {L->edge_bn1, true, false}};
  for (int l = 0; l < L->nlayers; ++l) {
    v.push_back({L->layer[l].bn_node, false, false});
    v.push_back({L->layer[l].bn_edge, true, l == L->nlayers - 1});
  }
  for (int k = 0; k < L->decoder_depth; ++k) v.push_back({L->dec[k].bn, false, false});
  return v;
}

TEST(TrainRunningStats, MomentumOneGivesBatchMeanAndUnbiasedVariance) {
  const symgnn_arch arch = paper_arch();
  const std::vector<double> t = random_transforms(1, 8);
  symgnn_model *m = make_model(arch, t, 40);
  const Batch b = make_batch(2, 30, 2, 5.0, 41);
  const symgnn_layout *L = symgnn_model_layout(m);
  const std::vector<float> before(symgnn_model_stats(m),
                                  symgnn_model_stats(m) + symgnn_model_nstats(m));
  symgnn_train_opts o = no_dropout();
  o.update_stats = 1;
  o.bn_momentum = 1.0;
  {
    Trainer tr(m);
    run_step(tr.tr, m, b, t, o, true);
  }
  const float *s = symgnn_model_stats(m);
  // independent check of the first BN: embedding rows of the two species
  const int d = L->width;
  for (int j = 0; j < d; ++j) {
    double sum = 0.0, sq = 0.0;
    for (int i = 0; i < b.n; ++i) {
      const double v = symgnn_model_params(m)[L->emb + (size_t)b.species[i] * d + j];
      sum += v;
      sq += v * v;
    }
    const double mean = sum / b.n, var = (sq / b.n - mean * mean) * b.n / (b.n - 1);
    EXPECT_NEAR(s[L->node_bn0.mean + j], mean, 1e-5 * (1 + std::fabs(mean)));
    EXPECT_NEAR(s[L->node_bn0.var + j], var, 1e-5 * (1 + var));
  }
  // every BN against the naive reference's batch statistics
  TrainReference ref(m);
  ref.run(b.view(), t);
  for (const BnInfo &bi : all_bns(L)) {
    const symgnn_bn_ref &r = bi.ref;
    if (bi.dead) {
      for (int j = 0; j < r.width; ++j) {
        EXPECT_EQ(s[r.mean + j], before[r.mean + j]) << "the dead edge BN is never run";
        EXPECT_EQ(s[r.var + j], before[r.var + j]);
      }
      continue;
    }
    const TrainReference::Stat &st = ref.stats.at(r.gamma).back();
    EXPECT_EQ(st.count, bi.edge ? (double)b.nedges() : (double)b.n);
    for (int j = 0; j < r.width; ++j) {
      const double uv = st.var[j] * st.count / (st.count - 1);
      EXPECT_NEAR(s[r.mean + j], st.mean[j], 1e-4 * (1 + std::fabs(st.mean[j])));
      EXPECT_NEAR(s[r.var + j], uv, 1e-4 * (1 + uv));
    }
  }
  symgnn_model_free(m);
}

TEST(TrainRunningStats, EdgeEncoderStatisticsUpdatedOncePerTransform) {
  const symgnn_arch arch = odd_arch();
  const std::vector<double> t = random_transforms(2, 9);
  symgnn_model *m = make_model(arch, t, 42);
  const Batch b = make_batch(1, 30, arch.nelements, arch.cutoff, 43);
  const symgnn_layout *L = symgnn_model_layout(m);
  float *s = symgnn_model_stats(m);
  for (int j = 0; j < L->edge_bn1.width; ++j) {
    s[L->edge_bn1.mean + j] = 0.7f;
    s[L->edge_bn1.var + j] = 2.0f;
  }
  symgnn_train_opts o = no_dropout();
  o.update_stats = 1;
  o.bn_momentum = 0.5;
  {
    Trainer tr(m);
    run_step(tr.tr, m, b, t, o, false);
  }
  TrainReference ref(m);
  ref.run(b.view(), t);
  const std::vector<TrainReference::Stat> &st = ref.stats.at(L->edge_bn1.gamma);
  ASSERT_EQ(st.size(), 2u);
  const double n = (double)b.nedges();
  for (int j = 0; j < L->edge_bn1.width; ++j) {
    // branch 0 then branch 1: r = 0.25 r0 + 0.25 b0 + 0.5 b1
    const double mean = 0.25 * 0.7 + 0.25 * st[0].mean[j] + 0.5 * st[1].mean[j];
    const double var = 0.25 * 2.0 + (0.25 * st[0].var[j] + 0.5 * st[1].var[j]) * n / (n - 1);
    EXPECT_NEAR(s[L->edge_bn1.mean + j], mean, 1e-4 * (1 + std::fabs(mean)));
    EXPECT_NEAR(s[L->edge_bn1.var + j], var, 1e-4 * (1 + var));
  }
  symgnn_model_free(m);
}

// ------------------------------------------------------------------ train vs eval

// With one transform, dropout off and every running statistic set to the batch
// statistics (biased variance), train mode and the eval forward are the same function.
TEST(TrainEval, TrainModeWithBatchStatisticsEqualsEvalForward) {
  // (with the two-species paper model the two float paths differ by ~1e-3: the
  // ill-conditioning described at paper_arch8)
  for (const symgnn_arch &arch : {paper_arch8(), odd_arch()}) {
    const std::vector<double> t = random_transforms(1, 10);
    symgnn_model *m = make_model(arch, t, 50);
    const Batch b = make_batch(2, 40, arch.nelements, arch.cutoff, 51);
    symgnn_train_opts o = no_dropout();
    o.update_stats = 1;
    o.bn_momentum = 1.0;
    StepResult r;
    {
      Trainer tr(m);
      r = run_step(tr.tr, m, b, t, o, false);
    }
    float *s = symgnn_model_stats(m);
    for (const BnInfo &bi : all_bns(symgnn_model_layout(m))) {
      if (bi.dead) continue;
      const double n = bi.edge ? (double)b.nedges() : (double)b.n;
      for (int j = 0; j < bi.ref.width; ++j) s[bi.ref.var + j] *= (float)((n - 1) / n);
    }
    symgnn_eval *ev = nullptr;
    symgnn_error err;
    ASSERT_EQ(symgnn_eval_create(m, &ev, &err), SYMGNN_OK) << err.message;
    std::vector<double> eb(b.n);
    const symgnn_graph_view v = b.view();
    ASSERT_EQ(symgnn_predict(ev, &v, eb.data(), &err), SYMGNN_OK) << err.message;
    double mean, sd, worst = 0.0;
    symgnn_model_label_norm(m, &mean, &sd);
    for (int i = 0; i < b.n; ++i)
      worst = std::max(worst, std::fabs((eb[i] - mean) / sd - r.pred[i]) /
                                  std::max(1.0, (double)std::fabs(r.pred[i])));
    EXPECT_LT(worst, 1e-4) << "width " << arch.width;
    symgnn_eval_free(ev);
    symgnn_model_free(m);
  }
}

// ------------------------------------------------------------------ dropout, errors

TEST(TrainDropout, FixedSeedIsDeterministicAndSeedsDiffer) {
  const std::vector<double> t = random_transforms(2, 11);
  symgnn_model *m = make_model(odd_arch(), t, 60);
  const Batch b = make_batch(2, 30, odd_arch().nelements, 4.0, 61);
  Trainer tr(m);
  symgnn_train_opts o = no_dropout();
  o.dropout = 0.25;
  o.seed = 5;
  const StepResult a = run_step(tr.tr, m, b, t, o, true), a2 = run_step(tr.tr, m, b, t, o, true);
  EXPECT_EQ(a.loss, a2.loss);
  EXPECT_EQ(a.grad, a2.grad);
  o.seed = 6;
  const StepResult c = run_step(tr.tr, m, b, t, o, false);
  EXPECT_NE(a.loss, c.loss);
  const StepResult off = run_step(tr.tr, m, b, t, no_dropout(), false);
  EXPECT_NE(a.loss, off.loss);
  // about a quarter of the decoder inputs are dropped: with dropout on the last
  // layer's output, predictions change for most atoms
  int changed = 0;
  for (int i = 0; i < b.n; ++i) changed += a.pred[i] != off.pred[i];
  EXPECT_GT(changed, b.n / 2);
  symgnn_model_free(m);
}

// reuse_inputs keeps the encoders' outputs of the previous step, for a haar
// model also the grid values and layer 0's edge table: after a full train
// step with its backward pass, a reusing step with the same model and graph
// gives the same loss and gradient, twice in a row.
TEST(TrainReuse, ReusedHaarInputsGiveTheSameTrainStep) {
  const Batch b = make_batch(2, 30, odd_arch().nelements, 4.0, 83);
  symgnn_model *m = make_model(odd_arch(), {}, 84);
  Trainer tr(m);
  symgnn_train_opts o = no_dropout();
  const StepResult full = run_step(tr.tr, m, b, {}, o, true);
  o.reuse_inputs = 1;
  for (int k = 0; k < 2; ++k) {
    const StepResult again = run_step(tr.tr, m, b, {}, o, true);
    EXPECT_EQ(again.loss, full.loss) << "reusing step " << k + 1;
    EXPECT_EQ(again.grad, full.grad) << "reusing step " << k + 1;
  }
  symgnn_model_free(m);
}

// A mask drawn on 2 or 3 threads is the one drawn on 1 (chunks have their own
// generators), over several chunks and a partial last word; the drop rate is
// the asked one, and neighbouring chunks are not copies of each other.
TEST(TrainDropout, DrawDoesNotDependOnTheThreadCount) {
  const size_t n = 3 * 4096 * 64 + 77; /* 4 chunks, the last one short */
  const size_t nw = (n + 63) / 64;
  std::vector<uint64_t> one(nw), many(nw);
  symgnn_dropout_draw(one.data(), n, 0.25, 42, 3);
  for (int nth : {2, 3}) {
    std::fill(many.begin(), many.end(), ~uint64_t(0));
    symgnn_dropout_draw_threads(many.data(), n, 0.25, 42, 3, nth);
    EXPECT_EQ(one, many) << "threads " << nth;
  }
  size_t kept = 0;
  for (uint64_t w : one) kept += (size_t)__builtin_popcountll(w);
  EXPECT_NEAR((double)kept / (double)n, 0.75, 0.005);
  EXPECT_EQ(one[nw - 1] >> (n % 64), 0u); // bits past n are clear
  EXPECT_NE(std::vector<uint64_t>(one.begin(), one.begin() + 4096),
            std::vector<uint64_t>(one.begin() + 4096, one.begin() + 8192));
}

// Masks applied element by element as documented (bit i of word i/64 keeps
// element i), over several of the applier's chunks and any element count, on
// one and two threads.
TEST(TrainDropout, ApplyKeepsExactlyTheMaskedElements) {
  std::mt19937_64 rng(9);
  for (size_t n : {size_t(1), size_t(63), size_t(200003)}) {
    std::vector<uint64_t> bits((n + 63) / 64);
    for (uint64_t &w : bits) w = rng();
    std::vector<float> x0(n);
    for (size_t i = 0; i < n; ++i) x0[i] = 1.0f + (float)(i % 97);
    for (int nth : {1, 2}) {
      std::vector<float> x = x0;
      symgnn_dropout_apply(x.data(), bits.data(), n, 4.0f / 3.0f, nth);
      size_t wrong = 0;
      for (size_t i = 0; i < n; ++i) {
        const bool keep = (bits[i / 64] >> (i % 64)) & 1u;
        wrong += x[i] != (keep ? x0[i] * (4.0f / 3.0f) : 0.0f);
      }
      EXPECT_EQ(wrong, 0u) << "n " << n << ", threads " << nth;
    }
  }
}

TEST(TrainErrors, BadInputsAreRejectedWithSpecificMessages) {
  const std::vector<double> t = random_transforms(1, 12);
  symgnn_model *m = make_model(odd_arch(), t, 70);
  Batch b = make_batch(1, 20, odd_arch().nelements, 4.0, 71);
  Trainer tr(m);
  symgnn_train_opts o = no_dropout();
  symgnn_error err;
  symgnn_graph_view v = b.view();
  auto step = [&](const symgnn_graph_view &gv, const float *labels, int K, const double *tt,
                  const symgnn_train_opts &oo) {
    double loss;
    return symgnn_trainer_step(tr.tr, m, &gv, labels, K, tt, &oo, &loss, nullptr, nullptr, nullptr,
                               &err);
  };
  symgnn_graph_view ghost = v;
  ghost.ntotal = v.nlocal + 1;
  EXPECT_EQ(step(ghost, b.labels.data(), 1, t.data(), o), SYMGNN_ERR_ARG);
  EXPECT_NE(std::string(err.message).find("without ghosts"), std::string::npos);
  EXPECT_EQ(step(v, b.labels.data(), 0, t.data(), o), SYMGNN_ERR_ARG);
  EXPECT_NE(std::string(err.message).find("transforms"), std::string::npos);
  symgnn_train_opts bad = o;
  bad.dropout = 1.0;
  EXPECT_EQ(step(v, b.labels.data(), 1, t.data(), bad), SYMGNN_ERR_ARG);
  EXPECT_NE(std::string(err.message).find("dropout"), std::string::npos);
  std::vector<float> nan_labels = b.labels;
  nan_labels[3] = std::nanf("");
  EXPECT_EQ(step(v, nan_labels.data(), 1, t.data(), o), SYMGNN_ERR_NONFINITE);
  EXPECT_NE(std::string(err.message).find("label of node 3"), std::string::npos);
  std::vector<int> sp = b.species;
  sp[2] = 99;
  symgnn_graph_view badsp = v;
  badsp.species = sp.data();
  EXPECT_EQ(step(badsp, b.labels.data(), 1, t.data(), o), SYMGNN_ERR_ARG);
  EXPECT_NE(std::string(err.message).find("species 99"), std::string::npos);
  const int64_t off1[2] = {0, 1};
  const int src1[1] = {0}, sp1[1] = {0};
  const double disp1[3] = {0, 0, 0};
  const symgnn_graph_view single = {1, 1, sp1, off1, src1, disp1};
  EXPECT_EQ(step(single, b.labels.data(), 1, t.data(), o), SYMGNN_ERR_ARG);
  EXPECT_NE(std::string(err.message).find("at least 2 nodes"), std::string::npos);
  symgnn_model *other = make_model(paper_arch(), t, 70);
  double loss;
  EXPECT_EQ(symgnn_trainer_step(tr.tr, other, &v, b.labels.data(), 1, t.data(), &o, &loss, nullptr,
                                nullptr, nullptr, &err),
            SYMGNN_ERR_ARG);
  EXPECT_NE(std::string(err.message).find("architecture"), std::string::npos);
  // a failing rank makes every rank fail (the flag travels in the first reduction)
  symgnn_train_opts flagged = o;
  flagged.reduce.fn = [](double *buf, size_t n, void *) {
    if (n == 3) buf[2] += 1.0; // the partner reports a failure
  };
  EXPECT_EQ(step(v, b.labels.data(), 1, t.data(), flagged), SYMGNN_ERR_ARG);
  EXPECT_NE(std::string(err.message).find("another rank"), std::string::npos);
  // and the trainer still works afterwards
  EXPECT_EQ(step(v, b.labels.data(), 1, t.data(), o), SYMGNN_OK) << err.message;
  symgnn_model_free(other);
  symgnn_model_free(m);
}

} // namespace
