// The one naive reference model of the tests: SymGNN straight from the model
// spec (section 4), in double, with per-row loops and its own copy of the
// parameters. Train mode (the default): BatchNorm with biased batch statistics
// over all rows, optional dropout with the trainer's documented masks (layer l:
// node stream 2l, edge stream 2l+1), the haar encoder as the trainer
// discretizes it; records every BN's batch statistics (each edge-encoder branch
// in order). Eval mode: BatchNorm with the running statistics, no dropout.
// Either mode takes the mean over the given transforms; no transforms means
// the trainer's haar encoder (train mode only).
#ifndef SYMGNN_REFERENCE_MODEL_H
#define SYMGNN_REFERENCE_MODEL_H

#include "symgnn_ext.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

struct ReferenceModel {
  const symgnn_layout *L;
  double cutoff;
  std::vector<double> P;
  bool eval = false;     // BatchNorm running statistics, displacements in double
  std::vector<double> S; // running statistics (eval)
  double dropout = 0.0;  // train mode: inverted dropout drawn by `draw`
  uint64_t seed = 0;
  // The trainer's documented keep masks (symgnn_dropout_draw), given by the
  // tests that use dropout, so that this header needs only the core.
  void (*draw)(uint64_t *bits, size_t n, double p, uint64_t seed, uint64_t stream) = nullptr;
  struct Stat {
    std::vector<double> mean, var;
    double count;
  };
  std::map<size_t, std::vector<Stat>> stats; // by gamma offset

  explicit ReferenceModel(const symgnn_model *m, bool eval_mode = false)
      : L(symgnn_model_layout(m)), cutoff(symgnn_model_arch(m)->cutoff), eval(eval_mode) {
    const float *p = symgnn_model_params_const(m);
    P.assign(p, p + symgnn_model_nparams(m));
    const float *s = symgnn_model_stats_const(m);
    S.assign(s, s + symgnn_model_nstats(m));
    symgnn_model_label_norm(m, &label_mean, &label_std);
  }
  double label_mean = 0.0, label_std = 1.0;

  // y[n][out] = x[n][in] W^T (+ b when bias is not npos).
  std::vector<double> mm(size_t w, size_t bias, int out, int in,
                         const std::vector<double> &x) const {
    const size_t n = x.size() / in;
    std::vector<double> y(n * out);
    for (size_t i = 0; i < n; ++i)
      for (int j = 0; j < out; ++j) {
        double a = bias == std::string::npos ? 0.0 : P[bias + j];
        const double *wr = &P[w + (size_t)j * in];
        const double *xr = &x[i * in];
        for (int k = 0; k < in; ++k) a += wr[k] * xr[k];
        y[i * out + j] = a;
      }
    return y;
  }
  std::vector<double> linear(const symgnn_lin_ref &r, const std::vector<double> &x) const {
    return mm(r.w, r.b, r.out, r.in, x);
  }
  void bn(const symgnn_bn_ref &r, std::vector<double> &x) {
    const int w = r.width;
    const size_t n = x.size() / w;
    Stat s{std::vector<double>(w, 0.0), std::vector<double>(w, 0.0), (double)n};
    if (eval) { // running statistics
      s.mean.assign(S.begin() + r.mean, S.begin() + r.mean + w);
      s.var.assign(S.begin() + r.var, S.begin() + r.var + w);
    } else { // biased batch statistics over all rows
      for (size_t i = 0; i < n; ++i)
        for (int j = 0; j < w; ++j) s.mean[j] += x[i * w + j] / n;
      for (size_t i = 0; i < n; ++i)
        for (int j = 0; j < w; ++j) s.var[j] += std::pow(x[i * w + j] - s.mean[j], 2) / n;
    }
    for (size_t i = 0; i < n; ++i)
      for (int j = 0; j < w; ++j)
        x[i * w + j] = (x[i * w + j] - s.mean[j]) / std::sqrt(s.var[j] + 1e-5) * P[r.gamma + j] +
                       P[r.beta + j];
    stats[r.gamma].push_back(s);
  }
  static void relu(std::vector<double> &x) {
    for (double &v : x) v = std::max(0.0, v);
  }
  void drop(std::vector<double> &x, uint64_t stream) const {
    if (eval || dropout <= 0.0) return;
    std::vector<uint64_t> bits((x.size() + 63) / 64);
    draw(bits.data(), x.size(), dropout, seed, stream);
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = ((bits[i / 64] >> (i % 64)) & 1u) ? x[i] / (1.0 - dropout) : 0.0;
  }

  // Haar edge encoder in train mode, as documented in symgnn_train.h: phi on
  // the grid r_i = i dr (dr = cutoff / ceil(cutoff / 0.02)) x the order-16
  // sphere rule; BN0 with mean b0 and variance |W0_j|^2 E[r^2] / 3; BN1 over
  // the grid points weighted by the edges' linear-interpolation weights times
  // the rule's; g0 interpolated linearly in r.
  std::vector<double> haar_encoder(const symgnn_graph_view &g, int64_t E) {
    const int d = L->width, G = (int)std::ceil(cutoff / 0.02), Q = 2 * 16 * 16;
    const double dr = cutoff / G;
    std::vector<double> u(3 * Q), w(Q), rho(G + 1, 0.0), fr(E);
    std::vector<int> iv(E);
    symgnn_sphere_directions(16, u.data(), w.data());
    double m2 = 0.0;
    for (int64_t q = 0; q < E; ++q) {
      const double *x = g.disp + 3 * q, r = std::sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
      iv[q] = std::min((int)(r / dr), G - 1);
      fr[q] = std::min(1.0, r / dr - iv[q]);
      rho[iv[q]] += 1.0 - fr[q];
      rho[iv[q] + 1] += fr[q];
      m2 += r * r / E;
    }
    Stat s0{std::vector<double>(d), std::vector<double>(d), (double)E};
    std::vector<double> x((size_t)(G + 1) * Q * 3);
    for (int i = 0; i <= G; ++i)
      for (int k = 0; k < Q; ++k)
        for (int c = 0; c < 3; ++c) x[((size_t)i * Q + k) * 3 + c] = i * dr * u[3 * k + c];
    std::vector<double> y = mm(L->edge_lin0.w, std::string::npos, d, 3, x);
    for (int j = 0; j < d; ++j) {
      const double *wj = &P[L->edge_lin0.w + 3 * (size_t)j];
      s0.mean[j] = P[L->edge_lin0.b + j];
      s0.var[j] = (wj[0] * wj[0] + wj[1] * wj[1] + wj[2] * wj[2]) * m2 / 3.0;
    }
    for (size_t p = 0; p < y.size() / d; ++p)
      for (int j = 0; j < d; ++j)
        y[p * d + j] =
            std::max(0.0, y[p * d + j] / std::sqrt(s0.var[j] + 1e-5) * P[L->edge_bn0.gamma + j] +
                              P[L->edge_bn0.beta + j]);
    stats[L->edge_bn0.gamma].push_back(s0);
    y = linear(L->edge_lin1, y);
    Stat s1{std::vector<double>(d, 0.0), std::vector<double>(d, 0.0), (double)E};
    for (size_t p = 0; p < y.size() / d; ++p)
      for (int j = 0; j < d; ++j) s1.mean[j] += rho[p / Q] * w[p % Q] / E * y[p * d + j];
    for (size_t p = 0; p < y.size() / d; ++p)
      for (int j = 0; j < d; ++j)
        s1.var[j] += rho[p / Q] * w[p % Q] / E * std::pow(y[p * d + j] - s1.mean[j], 2);
    stats[L->edge_bn1.gamma].push_back(s1);
    std::vector<double> H((size_t)(G + 1) * d, 0.0), e((size_t)E * d);
    for (size_t p = 0; p < y.size() / d; ++p)
      for (int j = 0; j < d; ++j)
        H[p / Q * d + j] +=
            w[p % Q] * std::max(0.0, (y[p * d + j] - s1.mean[j]) / std::sqrt(s1.var[j] + 1e-5) *
                                             P[L->edge_bn1.gamma + j] +
                                         P[L->edge_bn1.beta + j]);
    for (int64_t q = 0; q < E; ++q)
      for (int j = 0; j < d; ++j)
        e[q * d + j] =
            (1.0 - fr[q]) * H[(size_t)iv[q] * d + j] + fr[q] * H[(size_t)(iv[q] + 1) * d + j];
    return e;
  }

  std::vector<double> run(const symgnn_graph_view &g, const std::vector<double> &O) {
    const int d = L->width, n = g.nlocal, K = (int)O.size() / 9;
    const int64_t E = g.offsets[n];
    std::vector<double> h((size_t)n * d), e((size_t)E * d, 0.0);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < d; ++j) h[(size_t)i * d + j] = P[L->emb + (size_t)g.species[i] * d + j];
    bn(L->node_bn0, h);
    relu(h);
    h = linear(L->node_lin, h);
    bn(L->node_bn1, h);
    relu(h);
    if (K == 0 && eval) // the exact O(3) average has its own reference (test_haar.cpp)
      throw std::logic_error("ReferenceModel: eval mode needs transforms");
    if (K == 0) e = haar_encoder(g, E);
    for (int k = 0; k < K; ++k) {
      std::vector<double> x((size_t)E * 3, 0.0);
      for (int64_t q = 0; q < E; ++q)
        for (int c = 0; c < 3; ++c)
          for (int r = 0; r < 3; ++r)
            x[3 * q + c] += (eval ? g.disp[3 * q + r] : (double)(float)g.disp[3 * q + r]) *
                            O[9 * k + 3 * r + c];
      x = linear(L->edge_lin0, x);
      bn(L->edge_bn0, x);
      relu(x);
      x = linear(L->edge_lin1, x);
      bn(L->edge_bn1, x);
      relu(x);
      for (size_t i = 0; i < e.size(); ++i) e[i] += x[i] / K;
    }
    for (int l = 0; l < L->nlayers; ++l) {
      const symgnn_layer_ref &r = L->layer[l];
      const int H = r.heads, hw = r.hw;
      const bool last = (l == L->nlayers - 1);
      const size_t no = std::string::npos;
      const std::vector<double> a = mm(r.w_ni, no, hw, d, h), b = mm(r.w_nj, no, hw, d, h),
                                z = mm(r.w_src, no, hw, d, h), c = mm(r.w_fij, no, hw, d, e);
      std::vector<double> f((size_t)E * hw), logit((size_t)E * H, 0.0), m((size_t)n * hw, 0.0);
      for (int t = 0; t < n; ++t)
        for (int64_t q = g.offsets[t]; q < g.offsets[t + 1]; ++q)
          for (int j = 0; j < hw; ++j) {
            const double u = a[(size_t)g.src[q] * hw + j] + b[(size_t)t * hw + j] +
                             c[(size_t)q * hw + j] + P[r.bias + j];
            f[(size_t)q * hw + j] = u > 0 ? u : 0.01 * u;
            logit[(size_t)q * H + j / d] += f[(size_t)q * hw + j] * P[r.attn + j];
          }
      for (int t = 0; t < n; ++t)
        for (int hh = 0; hh < H; ++hh) {
          double mx = -1e300, sum = 0.0;
          for (int64_t q = g.offsets[t]; q < g.offsets[t + 1]; ++q)
            mx = std::max(mx, logit[(size_t)q * H + hh]);
          for (int64_t q = g.offsets[t]; q < g.offsets[t + 1]; ++q)
            sum += std::exp(logit[(size_t)q * H + hh] - mx);
          for (int64_t q = g.offsets[t]; q < g.offsets[t + 1]; ++q) {
            const double w = std::exp(logit[(size_t)q * H + hh] - mx) / sum;
            for (int j = hh * d; j < (hh + 1) * d; ++j)
              m[(size_t)t * hw + j] += w * z[(size_t)g.src[q] * hw + j];
          }
        }
      if (last && H > 1) { // mean over heads
        std::vector<double> mm1((size_t)n * d, 0.0);
        for (int t = 0; t < n; ++t)
          for (int j = 0; j < hw; ++j) mm1[(size_t)t * d + j % d] += m[(size_t)t * hw + j] / H;
        m = mm1;
      }
      bn(r.bn_node, m);
      std::vector<double> hn = linear(r.proj_node, m);
      for (size_t i = 0; i < hn.size(); ++i) hn[i] += h[i];
      drop(hn, 2 * (uint64_t)l);
      h = hn;
      if (!last) {
        bn(r.bn_edge, f);
        std::vector<double> en = linear(r.proj_edge, f);
        for (size_t i = 0; i < en.size(); ++i) en[i] += e[i];
        drop(en, 2 * (uint64_t)l + 1);
        e = en;
      }
    }
    for (int k = 0; k < L->decoder_depth; ++k) {
      h = linear(L->dec[k].lin, h);
      bn(L->dec[k].bn, h);
      const double slope = P[L->dec[k].prelu];
      for (double &v : h) v = v > 0 ? v : slope * v;
    }
    return linear(L->out, h);
  }

  // Eval mode: the barriers in eV (the output denormalized with the model's
  // label statistics).
  std::vector<double> predict_eb(const symgnn_graph_view &g, const std::vector<double> &O) {
    std::vector<double> y = run(g, O);
    for (double &v : y) v = v * label_std + label_mean;
    return y;
  }
};

#endif
