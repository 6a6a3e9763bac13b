// Trainer pieces in isolation: config parsing and its errors, the Rodrigues
// map and its derivative, the chain rule to the learned distribution, Adam
// with AMSGrad, clipping, the schedule, checkpoint and learning-curve files.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" {
#include "symgnn_file.h"
#include "symgnn_tr_config.h"
#include "symgnn_tr_optim.h"
#include "symgnn_tr_state.h"
#include "symgnn_tr_symm.h"
#include "symgnn_train.h"
}
#include "test_support.h"

#include <random>

namespace {

using symgnn_test::identity_model;
using symgnn_test::tiny_arch;

const char *kMinimal = "data:\n"
                       "  train: [a.extxyz, b.extxyz]\n"
                       "  validation: [c.extxyz]\n"
                       "  elements: [Cu, Zr]\n";

struct Parsed {
  int rc;
  std::string msg;
  symgnn_tr_config cfg;
};

Parsed parse(const std::string &text, const char *path = "/cfg/dir/train.yaml") {
  Parsed p;
  char msg[1024] = "";
  p.rc = symgnn_tr_config_parse(text.data(), text.size(), path, &p.cfg, msg, sizeof msg);
  p.msg = msg;
  return p;
}

TEST(TrainerConfig, MinimalConfigGetsDefaultsAndResolvedPaths) {
  Parsed p = parse(kMinimal);
  ASSERT_EQ(p.rc, 0) << p.msg;
  EXPECT_EQ(p.cfg.ntrain, 2);
  EXPECT_STREQ(p.cfg.train_files[0], "/cfg/dir/a.extxyz");
  EXPECT_STREQ(p.cfg.val_files[0], "/cfg/dir/c.extxyz");
  EXPECT_STREQ(p.cfg.label, "eb");
  EXPECT_EQ(p.cfg.arch.nelements, 2);
  EXPECT_STREQ(p.cfg.arch.elements[1], "Zr");
  EXPECT_EQ(p.cfg.arch.nlayers, 4);
  EXPECT_EQ(p.cfg.arch.heads[0], 8);
  EXPECT_DOUBLE_EQ(p.cfg.arch.cutoff, 5.0);
  EXPECT_DOUBLE_EQ(p.cfg.dropout, 0.25);
  EXPECT_EQ(p.cfg.norm_given, 0);
  EXPECT_EQ(p.cfg.symm, SYMGNN_TR_FIXED);
  ASSERT_EQ(p.cfg.ntransforms, 2);
  EXPECT_DOUBLE_EQ(p.cfg.transforms[0], 1.0);
  EXPECT_DOUBLE_EQ(p.cfg.transforms[9 + 1], -0.83722241);
  EXPECT_DOUBLE_EQ(p.cfg.lr, 1e-4);
  EXPECT_DOUBLE_EQ(p.cfg.peak_lr, 1e-4);
  EXPECT_EQ(p.cfg.amsgrad, 1);
  EXPECT_DOUBLE_EQ(p.cfg.clip_norm, 0.1);
  EXPECT_EQ(p.cfg.batch, 0);
  EXPECT_EQ(p.cfg.eval_interval, 10);
  EXPECT_EQ(p.cfg.patience, 100);
  EXPECT_STREQ(p.cfg.out_curve, "/cfg/dir/learning_curve.csv");
  symgnn_tr_config_free(&p.cfg);
}

TEST(TrainerConfig, FullConfigValuesAreRead) {
  std::string t = std::string(kMinimal) +
                  "  label: eb2\n  cutoff: 4.5\n"
                  "model: {width: 8, heads: [2, 1], decoder_depth: 2, dropout: 0,\n"
                  "        label_norm: {mean: 1.5, std: 0.25}}\n"
                  "symmetrization: {mode: learned, samples_per_step: 4, inference_transforms: 6,\n"
                  "                 seed: 9, init_sigma: 0.5}\n"
                  "optimizer: {lr: 0.001, betas: [0.8, 0.99], eps: 1e-7, amsgrad: false,\n"
                  "            clip_norm: 0, weight_decay: 0.05}\n"
                  "schedule: {warmup_steps: 5, peak_lr: 0.002, decay: cosine, min_lr: 1e-5}\n"
                  "training: {batch: 1, epochs: 7, eval_interval: 3, patience: 0, seed: 42}\n"
                  "output: {model: /abs/m.model, best_model: b.model, checkpoint: c.ckpt,\n"
                  "         learning_curve: lc.csv}\n";
  Parsed p = parse(t);
  ASSERT_EQ(p.rc, 0) << p.msg;
  const symgnn_tr_config &c = p.cfg;
  EXPECT_STREQ(c.label, "eb2");
  EXPECT_DOUBLE_EQ(c.arch.cutoff, 4.5);
  EXPECT_EQ(c.arch.width, 8);
  EXPECT_EQ(c.arch.nlayers, 2);
  EXPECT_EQ(c.arch.heads[0], 2);
  EXPECT_EQ(c.arch.decoder_depth, 2);
  EXPECT_DOUBLE_EQ(c.dropout, 0.0);
  EXPECT_EQ(c.norm_given, 1);
  EXPECT_DOUBLE_EQ(c.label_mean, 1.5);
  EXPECT_DOUBLE_EQ(c.label_std, 0.25);
  EXPECT_EQ(c.symm, SYMGNN_TR_LEARNED);
  EXPECT_EQ(c.samples_per_step, 4);
  EXPECT_EQ(c.inference_transforms, 6);
  EXPECT_EQ(c.symm_seed, 9u);
  EXPECT_DOUBLE_EQ(c.init_sigma, 0.5);
  EXPECT_DOUBLE_EQ(c.beta1, 0.8);
  EXPECT_DOUBLE_EQ(c.beta2, 0.99);
  EXPECT_DOUBLE_EQ(c.eps, 1e-7);
  EXPECT_EQ(c.amsgrad, 0);
  EXPECT_DOUBLE_EQ(c.clip_norm, 0.0);
  EXPECT_DOUBLE_EQ(c.weight_decay, 0.05);
  EXPECT_EQ(c.warmup_steps, 5);
  EXPECT_DOUBLE_EQ(c.peak_lr, 0.002);
  EXPECT_EQ(c.decay, SYMGNN_TR_COSINE);
  EXPECT_DOUBLE_EQ(c.min_lr, 1e-5);
  EXPECT_EQ(c.batch, 1);
  EXPECT_EQ(c.epochs, 7);
  EXPECT_EQ(c.eval_interval, 3);
  EXPECT_EQ(c.patience, 0);
  EXPECT_EQ(c.seed, 42u);
  EXPECT_STREQ(c.out_model, "/abs/m.model");
  EXPECT_STREQ(c.out_best, "/cfg/dir/b.model");
  symgnn_tr_config_free(&p.cfg);
}

// Each bad config must fail with a message naming the problem and the line.
struct BadCase {
  const char *name;
  std::string text;
  const char *expect;
};

TEST(TrainerConfig, ErrorsNameTheKeyAndLine) {
  const std::string m = kMinimal;
  const std::vector<BadCase> cases = {
      {"unknown top key", m + "trainingg:\n  epochs: 3\n",
       "train.yaml:5: unknown key 'trainingg' in section '(top level)'"},
      {"unknown nested key", m + "optimizer:\n  lr: 0.1\n  momentum: 0.9\n",
       "train.yaml:7: unknown key 'momentum' in section 'optimizer'"},
      {"wrong type int", m + "training:\n  epochs: many\n",
       "train.yaml:6: 'training.epochs' must be an integer, got 'many'"},
      {"wrong type list", m + "model:\n  heads: 4\n", "'model.heads' must be a list"},
      {"wrong type bool", m + "optimizer: {amsgrad: maybe}\n",
       "'optimizer.amsgrad' must be true or false"},
      {"wrong type number", m + "data2: 1\n", "unknown key 'data2'"},
      {"number", m + "schedule: {min_lr: [1]}\n", "'schedule.min_lr' must be a number"},
      {"duplicate", m + "training: {epochs: 1, epochs: 2}\n", "duplicate key 'epochs'"},
      {"empty validation", "data: {train: [a], validation: [], elements: [Cu]}\n",
       "validation set is empty"},
      {"missing elements", "data: {train: [a], validation: [b]}\n", "'data.elements' is missing"},
      {"not orthogonal", m + "symmetrization: {transforms: [[1,0,0,0,1,0,0,0,2]]}\n",
       "transform 1 is not orthogonal"},
      {"nine numbers", m + "symmetrization: {transforms: [[1,0,0]]}\n",
       "must be a list of 9 numbers"},
      {"learned key in fixed", m + "symmetrization: {mode: fixed, samples_per_step: 4}\n",
       "only valid with symmetrization mode 'learned'"},
      {"transforms in learned",
       m + "symmetrization: {mode: learned, transforms: [[1,0,0,0,1,0,0,0,1]]}\n",
       "only valid with symmetrization mode 'fixed'"},
      {"transforms in haar",
       m + "symmetrization: {mode: haar, transforms: [[1,0,0,0,1,0,0,0,1]]}\n",
       "only valid with symmetrization mode 'fixed'"},
      {"learned key in haar", m + "symmetrization: {mode: haar, init_sigma: 1}\n",
       "only valid with symmetrization mode 'learned'"},
      {"odd samples", m + "symmetrization: {mode: learned, samples_per_step: 3}\n", "must be even"},
      {"batch too big", m + "training: {batch: 3}\n", "exceeds the 2 training files"},
      {"bad mode", m + "symmetrization: {mode: random}\n", "must be fixed, learned or haar"},
      {"dropout range", m + "model: {dropout: 1.5}\n", "'model.dropout' must be in [0, 1)"},
      {"weight decay range", m + "optimizer: {weight_decay: -0.1}\n",
       "'optimizer.weight_decay' must be in [0, 1), got -0.1"},
      {"bn stats", m + "training: {bn_stats: exact}\n",
       "'training.bn_stats' must be ema or recalibrated, got 'exact'"},
      {"syntax", m + "model: {width: [}\n", "YAML syntax error"},
      {"element twice", "data: {train: [a], validation: [b], elements: [Cu, Cu]}\n",
       "element 'Cu' is listed twice"},
  };
  for (const BadCase &c : cases) {
    Parsed p = parse(c.text);
    EXPECT_NE(p.rc, 0) << c.name;
    EXPECT_NE(p.msg.find(c.expect), std::string::npos)
        << c.name << ": message was: " << p.msg << "\nexpected to contain: " << c.expect;
  }
}

TEST(TrainerConfig, TemplateParsesToTheDefaults) {
  char *buf = nullptr;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  ASSERT_NE(f, nullptr);
  symgnn_tr_config_template(f);
  fclose(f);
  const std::string text(buf, len);
  free(buf);
  Parsed p = parse(text);
  ASSERT_EQ(p.rc, 0) << p.msg;
  symgnn_tr_config d;
  symgnn_tr_config_defaults(&d);
  EXPECT_EQ(p.cfg.ntrain, 6);
  EXPECT_EQ(p.cfg.nval, 1);
  EXPECT_EQ(p.cfg.arch.width, d.arch.width);
  EXPECT_EQ(p.cfg.arch.nlayers, d.arch.nlayers);
  EXPECT_DOUBLE_EQ(p.cfg.dropout, d.dropout);
  EXPECT_EQ(p.cfg.epochs, d.epochs);
  EXPECT_EQ(p.cfg.patience, d.patience);
  EXPECT_DOUBLE_EQ(p.cfg.clip_norm, d.clip_norm);
  EXPECT_DOUBLE_EQ(p.cfg.weight_decay, d.weight_decay);
  ASSERT_EQ(p.cfg.ntransforms, 2);
  // The example O1 is the released code's R_z(1) R_y(-1) R_x(1).
  const double c = std::cos(1.0), s = std::sin(1.0);
  const double Rz[9] = {c, -s, 0, s, c, 0, 0, 0, 1};
  const double Ry[9] = {c, 0, -s, 0, 1, 0, s, 0, c};
  const double Rx[9] = {1, 0, 0, 0, c, -s, 0, s, c};
  double t[9], o1[9];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      t[3 * i + j] = 0;
      for (int k = 0; k < 3; ++k) t[3 * i + j] += Rz[3 * i + k] * Ry[3 * k + j];
    }
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      o1[3 * i + j] = 0;
      for (int k = 0; k < 3; ++k) o1[3 * i + j] += t[3 * i + k] * Rx[3 * k + j];
    }
  for (int a = 0; a < 9; ++a) EXPECT_NEAR(p.cfg.transforms[9 + a], o1[a], 1e-8);
  symgnn_tr_config_free(&p.cfg);
}

// ------------------------------------------------------------ symmetrization

TEST(TrainerSymm, RodriguesIsARotationAndMatchesAxisAngle) {
  const double w[3] = {0.3, -1.1, 0.7};
  double R[9];
  symgnn_tr_rodrigues(w, R, nullptr);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      double s = 0;
      for (int k = 0; k < 3; ++k) s += R[3 * i + k] * R[3 * j + k];
      EXPECT_NEAR(s, i == j ? 1.0 : 0.0, 1e-14);
    }
  const double det = R[0] * (R[4] * R[8] - R[5] * R[7]) - R[1] * (R[3] * R[8] - R[5] * R[6]) +
                     R[2] * (R[3] * R[7] - R[4] * R[6]);
  EXPECT_NEAR(det, 1.0, 1e-14);
  // The axis is fixed and a perpendicular vector turns by |w|.
  double Rw[3];
  for (int i = 0; i < 3; ++i) Rw[i] = R[3 * i] * w[0] + R[3 * i + 1] * w[1] + R[3 * i + 2] * w[2];
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(Rw[i], w[i], 1e-14);
  const double th = std::sqrt(0.09 + 1.21 + 0.49);
  const double trace = R[0] + R[4] + R[8];
  EXPECT_NEAR(trace, 1.0 + 2.0 * std::cos(th), 1e-14);
}

TEST(TrainerSymm, RodriguesDerivativeMatchesFiniteDifferences) {
  const double ws[][3] = {{0.3, -1.1, 0.7}, {2.5, 0.4, -1.9}, {1e-3, 2e-3, -5e-4},
                          {0.0, 0.0, 0.0},  {4e-3, 0, 0},     {0.009, 0.0, 0.0042}};
  for (const auto &w0 : ws) {
    double R[9], dR[27];
    symgnn_tr_rodrigues(w0, R, dR);
    for (int i = 0; i < 3; ++i) {
      const double h = 1e-6;
      double wp[3] = {w0[0], w0[1], w0[2]}, wm[3] = {w0[0], w0[1], w0[2]};
      wp[i] += h;
      wm[i] -= h;
      double Rp[9], Rm[9];
      symgnn_tr_rodrigues(wp, Rp, nullptr);
      symgnn_tr_rodrigues(wm, Rm, nullptr);
      for (int a = 0; a < 9; ++a)
        EXPECT_NEAR(dR[9 * i + a], (Rp[a] - Rm[a]) / (2 * h), 1e-8)
            << "w = " << w0[0] << "," << w0[1] << "," << w0[2] << " i=" << i << " a=" << a;
    }
  }
}

TEST(TrainerSymm, SamplesAreRotationsThenReflections) {
  double theta[SYMGNN_TR_NTHETA];
  symgnn_tr_symm_init(theta, 1.0);
  symgnn_rng rng;
  symgnn_rng_seed(&rng, 3);
  const int K = 6;
  double t[K * 9], eps[K * 3];
  symgnn_tr_symm_sample(theta, K, &rng, t, eps);
  for (int k = 0; k < K; ++k) {
    const double *R = t + 9 * k;
    const double det = R[0] * (R[4] * R[8] - R[5] * R[7]) - R[1] * (R[3] * R[8] - R[5] * R[6]) +
                       R[2] * (R[3] * R[7] - R[4] * R[6]);
    EXPECT_NEAR(det, k < K / 2 ? 1.0 : -1.0, 1e-12);
  }
  // Inference transforms depend only on theta and the seed.
  double a[4 * 9], b[4 * 9];
  symgnn_tr_symm_inference(theta, 4, 77, a);
  symgnn_tr_symm_inference(theta, 4, 77, b);
  EXPECT_EQ(0, std::memcmp(a, b, sizeof a));
  symgnn_tr_symm_inference(theta, 4, 78, b);
  EXPECT_NE(0, std::memcmp(a, b, sizeof a));
}

// L(theta) = sum_k <C_k, O_k(theta)> with fixed eps: its analytic gradient
// from symgnn_tr_symm_backward must match central differences in theta.
TEST(TrainerSymm, ChainRuleToDistributionParameters) {
  double theta[SYMGNN_TR_NTHETA] = {0.2,  -0.4, 0.9, -0.3, 0.1,  -0.7,
                                    -1.0, 0.5,  0.3, 0.2,  -0.2, 0.0};
  const int K = 4;
  double eps[K * 3], t[K * 9], C[K * 9];
  symgnn_rng rng;
  symgnn_rng_seed(&rng, 11);
  symgnn_tr_symm_sample(theta, K, &rng, t, eps);
  for (double &c : C) c = symgnn_rng_normal(&rng);
  auto loss = [&](const double *th) {
    // Rebuild the samples from the same eps.
    double L = 0;
    for (int k = 0; k < K; ++k) {
      const int fam = k >= K / 2;
      double w[3], R[9];
      for (int i = 0; i < 3; ++i)
        w[i] = th[6 * fam + i] + std::exp(th[6 * fam + 3 + i]) * eps[3 * k + i];
      symgnn_tr_rodrigues(w, R, nullptr);
      for (int a = 0; a < 9; ++a) L += C[9 * k + a] * (fam ? -R[a] : R[a]);
    }
    return L;
  };
  double g[SYMGNN_TR_NTHETA] = {0};
  symgnn_tr_symm_backward(theta, K, eps, C, g);
  for (int j = 0; j < SYMGNN_TR_NTHETA; ++j) {
    double tp[SYMGNN_TR_NTHETA], tm[SYMGNN_TR_NTHETA];
    std::memcpy(tp, theta, sizeof tp);
    std::memcpy(tm, theta, sizeof tm);
    tp[j] += 1e-6;
    tm[j] -= 1e-6;
    EXPECT_NEAR(g[j], (loss(tp) - loss(tm)) / 2e-6, 1e-7) << "theta index " << j;
  }
}

// End to end through the training kernel: the loss as a function of the 12
// distribution parameters (fixed deviates eps) has the gradient the trainer
// computes from the kernel's d loss / d transforms and the chain rule.
TEST(TrainerSymm, DistributionGradientThroughTheKernel) {
  const symgnn_arch arch = tiny_arch();
  const int K = 4, n = 40;
  const double L = std::cbrt(n / 0.063);
  const double lat[9] = {L, 0, 0, 0, L, 0, 0, 0, L};
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(0.0, L);
  std::vector<double> pos;
  while ((int)pos.size() < 3 * n) {
    const double x[3] = {u(rng), u(rng), u(rng)};
    bool ok = true;
    for (size_t j = 0; ok && j < pos.size(); j += 3) {
      double d2 = 0;
      for (int k = 0; k < 3; ++k) {
        const double d = x[k] - pos[j + k] - L * std::round((x[k] - pos[j + k]) / L);
        d2 += d * d;
      }
      ok = d2 > 4.0;
    }
    if (ok) pos.insert(pos.end(), x, x + 3);
  }
  std::vector<int> sp(n);
  std::vector<float> labels(n);
  for (int i = 0; i < n; ++i) {
    sp[i] = i % 3 == 0;
    labels[i] = (float)std::sin(pos[3 * i] + 2 * pos[3 * i + 1]);
  }
  symgnn_error err;
  symgnn_graph *g = nullptr;
  ASSERT_EQ(SYMGNN_OK, symgnn_graph_build(n, pos.data(), lat, sp.data(), 4.0, &g, &err))
      << err.message;
  double theta[SYMGNN_TR_NTHETA] = {0.3, -0.2, 0.5,  -0.4, -0.1, 0.2,
                                    0.7, 0.1,  -0.6, 0.1,  -0.3, -0.2};
  double t[K * 9], eps[K * 3];
  symgnn_rng r;
  symgnn_rng_seed(&r, 8);
  symgnn_tr_symm_sample(theta, K, &r, t, eps);
  symgnn_model *model = nullptr;
  ASSERT_EQ(SYMGNN_OK, symgnn_model_create(&arch, K, t, 3, &model, &err)) << err.message;
  symgnn_trainer *tr = nullptr;
  ASSERT_EQ(SYMGNN_OK, symgnn_trainer_create(model, &tr, &err)) << err.message;
  symgnn_train_opts o;
  symgnn_train_opts_default(&o);
  o.dropout = 0.0;
  o.update_stats = 0;
  std::vector<float> grad(symgnn_model_nparams(model));
  const symgnn_graph_view v = symgnn_graph_get_view(g);
  // Loss and (optionally) d loss / d transforms at parameters th.
  auto loss_at = [&](const double *th, double *dtr) {
    double tt[K * 9];
    for (int k = 0; k < K; ++k) {
      const int fam = k >= K / 2;
      double w[3];
      for (int i = 0; i < 3; ++i)
        w[i] = th[6 * fam + i] + std::exp(th[6 * fam + 3 + i]) * eps[3 * k + i];
      symgnn_tr_rodrigues(w, tt + 9 * k, nullptr);
      if (fam)
        for (int a = 0; a < 9; ++a) tt[9 * k + a] = -tt[9 * k + a];
    }
    double loss = 0;
    EXPECT_EQ(SYMGNN_OK, symgnn_trainer_step(tr, model, &v, labels.data(), K, tt, &o, &loss,
                                             grad.data(), dtr, nullptr, &err))
        << err.message;
    return loss;
  };
  double dtr[K * 9] = {0}, g_an[SYMGNN_TR_NTHETA] = {0};
  loss_at(theta, dtr);
  symgnn_tr_symm_backward(theta, K, eps, dtr, g_an);
  double gmax = 0;
  for (double x : g_an) gmax = std::max(gmax, std::fabs(x));
  ASSERT_GT(gmax, 1e-4) << "the distribution parameters must receive a gradient";
  for (int j = 0; j < SYMGNN_TR_NTHETA; ++j) {
    const double h = 5e-4; // the loss has ReLU kinks: small steps
    double tp[SYMGNN_TR_NTHETA], tm[SYMGNN_TR_NTHETA];
    std::memcpy(tp, theta, sizeof tp);
    std::memcpy(tm, theta, sizeof tm);
    tp[j] += h;
    tm[j] -= h;
    const double fd = (loss_at(tp, nullptr) - loss_at(tm, nullptr)) / (2 * h);
    EXPECT_NEAR(g_an[j], fd, 0.03 * gmax) << "theta index " << j;
  }
  symgnn_trainer_free(tr);
  symgnn_model_free(model);
  symgnn_graph_free(g);
}

// ------------------------------------------------------------ optimizer

// Reference AMSGrad written out per step, as PyTorch applies it (doc/symgnn-train.md).
TEST(TrainerOptim, AdamAmsgradMatchesTheSpecFormula) {
  const double lr = 0.01, b1 = 0.9, b2 = 0.999, e = 1e-8;
  symgnn_tr_adam a;
  ASSERT_EQ(0, symgnn_tr_adam_init(&a, 2, b1, b2, e, 1));
  symgnn_tr_adam plain;
  ASSERT_EQ(0, symgnn_tr_adam_init(&plain, 2, b1, b2, e, 0));
  double p[2] = {1.0, -2.0}, q[2] = {1.0, -2.0};
  double m[2] = {0, 0}, v[2] = {0, 0}, vmax[2] = {0, 0}, ref[2] = {1.0, -2.0};
  // Large then small gradients: v decays, so vmax differs from v.
  const double gs[5][2] = {{3.0, -1.0}, {0.1, 0.2}, {0.01, -0.3}, {-0.02, 0.0}, {0.0, 0.05}};
  for (int t = 1; t <= 5; ++t) {
    symgnn_tr_adam_step_d(&a, p, gs[t - 1], lr);
    symgnn_tr_adam_step_d(&plain, q, gs[t - 1], lr);
    for (int i = 0; i < 2; ++i) {
      const double g = gs[t - 1][i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      vmax[i] = std::max(vmax[i], v[i]);
      ref[i] -= lr / (1 - std::pow(b1, t)) * m[i] /
                (std::sqrt(vmax[i]) / std::sqrt(1 - std::pow(b2, t)) + e);
      EXPECT_NEAR(p[i], ref[i], 1e-14) << "step " << t;
    }
  }
  EXPECT_EQ(a.t, 5);
  EXPECT_GT(std::fabs(q[0] - p[0]), 1e-6) << "without AMSGrad the trajectory must differ";
  // The float variant follows the same arithmetic.
  symgnn_tr_adam af;
  ASSERT_EQ(0, symgnn_tr_adam_init(&af, 1, b1, b2, e, 1));
  float pf = 1.0f;
  const float gf = 3.0f;
  symgnn_tr_adam_step_f(&af, &pf, &gf, lr);
  EXPECT_NEAR(pf, 1.0 - lr, 1e-7); // first step moves by lr * sign(g)
  symgnn_tr_adam_free(&a);
  symgnn_tr_adam_free(&plain);
  symgnn_tr_adam_free(&af);
}

// Decoupled weight decay (AdamW): p *= 1 - lr * wd before the Adam update, in both variants;
// with a zero gradient only the decay acts.
TEST(TrainerOptim, DecoupledWeightDecay) {
  const double lr = 0.01, wd = 0.5;
  symgnn_tr_adam a, z;
  ASSERT_EQ(0, symgnn_tr_adam_init(&a, 1, 0.9, 0.999, 1e-8, 1));
  ASSERT_EQ(0, symgnn_tr_adam_init(&z, 1, 0.9, 0.999, 1e-8, 1));
  EXPECT_EQ(a.weight_decay, 0.0); // off unless asked for
  a.weight_decay = z.weight_decay = wd;
  double p = 2.0, q = 2.0;
  const double g = 3.0, zero = 0.0;
  symgnn_tr_adam_step_d(&a, &p, &g, lr);
  EXPECT_NEAR(p, 2.0 * (1 - lr * wd) - lr, 1e-9); // first Adam step: lr * sign(g), up to eps
  for (int t = 0; t < 3; ++t) symgnn_tr_adam_step_d(&z, &q, &zero, lr);
  EXPECT_NEAR(q, 2.0 * std::pow(1 - lr * wd, 3), 1e-12);
  symgnn_tr_adam fa;
  ASSERT_EQ(0, symgnn_tr_adam_init(&fa, 1, 0.9, 0.999, 1e-8, 1));
  fa.weight_decay = wd;
  float pf = 2.0f;
  const float gf = 3.0f;
  symgnn_tr_adam_step_f(&fa, &pf, &gf, lr);
  EXPECT_NEAR(pf, 2.0 * (1 - lr * wd) - lr, 1e-6);
  symgnn_tr_adam_free(&a);
  symgnn_tr_adam_free(&z);
  symgnn_tr_adam_free(&fa);
}

TEST(TrainerOptim, ClipAndSchedule) {
  EXPECT_DOUBLE_EQ(symgnn_tr_clip_coef(0.05, 0.1), 1.0);
  EXPECT_NEAR(symgnn_tr_clip_coef(2.0, 0.1), 0.1 / (2.0 + 1e-6), 1e-15);
  EXPECT_DOUBLE_EQ(symgnn_tr_clip_coef(1e9, 0.0), 1.0);
  const float g[3] = {3.0f, 4.0f, 0.0f};
  EXPECT_DOUBLE_EQ(symgnn_tr_sumsq_f(g, 3), 25.0);
  // Warm-up: linear to the peak; cosine: half-way value, min at the end.
  EXPECT_DOUBLE_EQ(symgnn_tr_schedule_lr(1, 100, 10, 1e-3, 1e-5, 1), 1e-4);
  EXPECT_DOUBLE_EQ(symgnn_tr_schedule_lr(10, 100, 10, 1e-3, 1e-5, 1), 1e-3);
  EXPECT_NEAR(symgnn_tr_schedule_lr(55, 100, 10, 1e-3, 1e-5, 1), 0.5 * (1e-3 + 1e-5), 1e-15);
  EXPECT_NEAR(symgnn_tr_schedule_lr(100, 100, 10, 1e-3, 1e-5, 1), 1e-5, 1e-15);
  EXPECT_DOUBLE_EQ(symgnn_tr_schedule_lr(77, 100, 0, 2e-4, 0, 0), 2e-4);
  // Monotone decay after the warm-up.
  for (int t = 11; t < 100; ++t)
    EXPECT_GE(symgnn_tr_schedule_lr(t, 100, 10, 1e-3, 1e-5, 1),
              symgnn_tr_schedule_lr(t + 1, 100, 10, 1e-3, 1e-5, 1));
}

// ------------------------------------------------------------ checkpoint

class TrainerCheckpoint : public ::testing::Test {
protected:
  void SetUp() override {
    symgnn_arch arch = tiny_arch();
    arch.nlayers = 2;
    arch.heads[0] = 2;
    arch.heads[1] = 1;
    symgnn_error err;
    ASSERT_NE(model = identity_model(arch, 5, &err), nullptr) << err.message;
    ASSERT_NE(other = identity_model(arch, 6, &err), nullptr) << err.message;
    symgnn_model_set_label_norm(model, 1.25, 0.5);
    for (size_t i = 0; i < symgnn_model_nstats(model); ++i)
      symgnn_model_stats(model)[i] = 0.01f * (float)i;
    fill(&st, 3);
    path = ::testing::TempDir() + "trainer_ckpt_test.ckpt";
  }
  void TearDown() override {
    symgnn_model_free(model);
    symgnn_model_free(other);
    symgnn_tr_state_free(&st);
    std::remove(path.c_str());
  }
  // A state with recognizable values everywhere.
  void fill(symgnn_tr_state *s, int ntrain) {
    std::memset(s, 0, sizeof *s);
    const size_t np = symgnn_model_nparams(model);
    s->ntrain = ntrain;
    s->perm = static_cast<int *>(malloc(sizeof(int) * ntrain));
    for (int i = 0; i < ntrain; ++i) s->perm[i] = ntrain - 1 - i;
    s->learned = 1;
    ASSERT_EQ(0, symgnn_tr_adam_init(&s->adam, np, 0.9, 0.999, 1e-8, 1));
    ASSERT_EQ(0, symgnn_tr_adam_init(&s->adam_theta, SYMGNN_TR_NTHETA, 0.9, 0.999, 1e-8, 1));
    s->step = 17;
    s->epoch = 5;
    s->pos = 2;
    symgnn_rng_seed(&s->rng, 99);
    s->best_pearson = 0.75;
    s->best_step = 10;
    s->bad_evals = 2;
    s->loss_sum = 1.5;
    s->loss_count = 3;
    s->wall_time = 12.5;
    for (size_t i = 0; i < np; ++i) {
      s->adam.m[i] = 1e-3 * (double)i;
      s->adam.v[i] = 2e-6 * (double)i;
      s->adam.vmax[i] = 3e-6 * (double)i;
    }
    s->adam.t = 17;
    for (int i = 0; i < SYMGNN_TR_NTHETA; ++i) {
      s->theta[i] = 0.1 * i;
      s->adam_theta.m[i] = -0.01 * i;
    }
    s->adam_theta.t = 17;
    for (int r = 0; r < 2; ++r) {
      symgnn_tr_curve_row row = {10 * (r + 1), 0.5, 0.4, 0.3, 0.7 + 0.01 * r, 0.5, 1e-4, 3.0};
      ASSERT_EQ(0, symgnn_tr_state_add_row(s, &row));
    }
  }
  // An empty state shaped like the config (what the trainer has before parsing).
  void shape(symgnn_tr_state *s, int ntrain, int learned) {
    std::memset(s, 0, sizeof *s);
    s->ntrain = ntrain;
    s->learned = learned;
    s->perm = static_cast<int *>(malloc(sizeof(int) * ntrain));
    ASSERT_EQ(0, symgnn_tr_adam_init(&s->adam, symgnn_model_nparams(model), 0.9, 0.999, 1e-8, 1));
    ASSERT_EQ(0, symgnn_tr_adam_init(&s->adam_theta, SYMGNN_TR_NTHETA, 0.9, 0.999, 1e-8, 1));
  }
  std::vector<unsigned char> bytes() {
    std::ifstream f(path, std::ios::binary);
    return std::vector<unsigned char>((std::istreambuf_iterator<char>(f)),
                                      std::istreambuf_iterator<char>());
  }
  int parse_into(const std::vector<unsigned char> &b, symgnn_tr_state *s, std::string *m) {
    char msg[800] = "";
    const int rc = symgnn_tr_ckpt_parse(b.data(), b.size(), s, other, msg, sizeof msg);
    *m = msg;
    return rc;
  }
  symgnn_model *model = nullptr, *other = nullptr;
  symgnn_tr_state st;
  std::string path;
};

TEST_F(TrainerCheckpoint, RoundTripRestoresEverything) {
  char msg[800];
  ASSERT_EQ(0, symgnn_tr_ckpt_write(path.c_str(), &st, model, msg, sizeof msg)) << msg;
  symgnn_tr_state r;
  shape(&r, 3, 1);
  std::string m;
  ASSERT_EQ(0, parse_into(bytes(), &r, &m)) << m;
  EXPECT_EQ(r.step, 17);
  EXPECT_EQ(r.epoch, 5);
  EXPECT_EQ(r.pos, 2);
  EXPECT_EQ(r.perm[0], 2);
  EXPECT_EQ(r.perm[2], 0);
  EXPECT_EQ(0, std::memcmp(&r.rng, &st.rng, sizeof r.rng));
  EXPECT_EQ(r.best_pearson, 0.75);
  EXPECT_EQ(r.best_step, 10);
  EXPECT_EQ(r.bad_evals, 2);
  EXPECT_EQ(r.loss_sum, 1.5);
  EXPECT_EQ(r.loss_count, 3);
  EXPECT_EQ(r.wall_time, 12.5);
  const size_t np = symgnn_model_nparams(model);
  EXPECT_EQ(
      0, std::memcmp(symgnn_model_params(other), symgnn_model_params(model), np * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(symgnn_model_stats(other), symgnn_model_stats(model),
                           symgnn_model_nstats(model) * sizeof(float)));
  double mean, std;
  symgnn_model_label_norm(other, &mean, &std);
  EXPECT_EQ(mean, 1.25);
  EXPECT_EQ(std, 0.5);
  EXPECT_EQ(r.adam.t, 17);
  EXPECT_EQ(0, std::memcmp(r.adam.m, st.adam.m, np * sizeof(double)));
  EXPECT_EQ(0, std::memcmp(r.adam.v, st.adam.v, np * sizeof(double)));
  EXPECT_EQ(0, std::memcmp(r.adam.vmax, st.adam.vmax, np * sizeof(double)));
  EXPECT_EQ(0, std::memcmp(r.theta, st.theta, sizeof r.theta));
  EXPECT_EQ(0, std::memcmp(r.adam_theta.m, st.adam_theta.m, SYMGNN_TR_NTHETA * sizeof(double)));
  ASSERT_EQ(r.ncurve, 2);
  EXPECT_EQ(r.curve[1].step, 20);
  EXPECT_EQ(r.curve[1].val_pearson, 0.71);
  symgnn_tr_state_free(&r);
}

TEST_F(TrainerCheckpoint, DamagedFilesAreRejected) {
  char msg[800];
  ASSERT_EQ(0, symgnn_tr_ckpt_write(path.c_str(), &st, model, msg, sizeof msg)) << msg;
  const std::vector<unsigned char> good = bytes();
  std::string m;
  symgnn_tr_state r;
  shape(&r, 3, 1);
  // One flipped bit anywhere in the body: CRC mismatch.
  std::vector<unsigned char> b = good;
  b[b.size() / 2] ^= 0x10;
  EXPECT_NE(0, parse_into(b, &r, &m));
  EXPECT_NE(m.find("CRC-32 mismatch"), std::string::npos) << m;
  // Truncated.
  b.assign(good.begin(), good.begin() + good.size() - 9);
  EXPECT_NE(0, parse_into(b, &r, &m));
  EXPECT_NE(m.find("CRC-32"), std::string::npos) << m;
  // Wrong magic.
  b = good;
  b[0] = 'X';
  EXPECT_NE(0, parse_into(b, &r, &m));
  EXPECT_NE(m.find("bad magic"), std::string::npos) << m;
  // Future version.
  b = good;
  b[8] = 9;
  EXPECT_NE(0, parse_into(b, &r, &m));
  EXPECT_NE(m.find("version 9"), std::string::npos) << m;
  symgnn_tr_state_free(&r);
  // A config with a different training set size or mode.
  symgnn_tr_state r4;
  shape(&r4, 4, 1);
  EXPECT_NE(0, parse_into(good, &r4, &m));
  EXPECT_NE(m.find("3 training configurations, the config lists 4"), std::string::npos) << m;
  symgnn_tr_state_free(&r4);
  symgnn_tr_state rf;
  shape(&rf, 3, 0);
  EXPECT_NE(0, parse_into(good, &rf, &m));
  EXPECT_NE(m.find("does not match the config"), std::string::npos) << m;
  symgnn_tr_state_free(&rf);
}

TEST_F(TrainerCheckpoint, LearningCurveCsvHasTheExactHeader) {
  char msg[800];
  const std::string csv = ::testing::TempDir() + "trainer_curve_test.csv";
  ASSERT_EQ(0, symgnn_tr_curve_write(csv.c_str(), &st, msg, sizeof msg)) << msg;
  std::ifstream f(csv);
  std::string header, row1, row2, extra;
  std::getline(f, header);
  std::getline(f, row1);
  std::getline(f, row2);
  EXPECT_EQ(header, "step,train_loss,val_mse,val_mae,val_pearson,val_r2,lr,wall_time");
  EXPECT_EQ(row1.substr(0, 7), "10,0.5,");
  EXPECT_EQ(row2.substr(0, 3), "20,");
  EXPECT_FALSE(std::getline(f, extra));
  std::remove(csv.c_str());
}

} // namespace
