// Shared helpers of the tests: random models, random glass-like configurations, small
// architectures and identity-transform models.
#ifndef SYMGNN_TEST_SUPPORT_H
#define SYMGNN_TEST_SUPPORT_H

#include "symgnn.h"
#include "symgnn_layout.h"

#include <array>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

namespace symgnn_test {

// Owning pointers of the core's model and evaluation handles.
struct ModelDeleter {
  void operator()(symgnn_model *m) const { symgnn_model_free(m); }
};
struct EvalDeleter {
  void operator()(symgnn_eval *e) const { symgnn_eval_free(e); }
};
using ModelPtr = std::unique_ptr<symgnn_model, ModelDeleter>;
using EvalPtr = std::unique_ptr<symgnn_eval, EvalDeleter>;

// Random dense periodic configuration: random sequential addition with a minimum
// distance, positions inside the cell spanned by the lattice rows.
inline std::vector<double> random_config(int n, const double lat[9], double dmin, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> pos;
  pos.reserve(3 * n);
  while ((int)(pos.size() / 3) < n) {
    const double f[3] = {u(rng), u(rng), u(rng)};
    double r[3];
    for (int k = 0; k < 3; ++k) r[k] = f[0] * lat[k] + f[1] * lat[3 + k] + f[2] * lat[6 + k];
    bool ok = true;
    for (size_t j = 0; ok && j < pos.size() / 3; ++j)
      for (int a = -1; ok && a <= 1; ++a)
        for (int b = -1; ok && b <= 1; ++b)
          for (int c = -1; ok && c <= 1; ++c) {
            double d2 = 0.0;
            for (int k = 0; k < 3; ++k) {
              const double d =
                  r[k] - pos[3 * j + k] - (a * lat[k] + b * lat[3 + k] + c * lat[6 + k]);
              d2 += d * d;
            }
            if (d2 < dmin * dmin) ok = false;
          }
    if (ok) pos.insert(pos.end(), r, r + 3);
  }
  return pos;
}

// Random rotation (det +1) from a normalized random quaternion.
inline std::array<double, 9> random_rotation(std::mt19937_64 &rng) {
  std::normal_distribution<double> n(0.0, 1.0);
  double q[4], s = 0.0;
  for (double &v : q) {
    v = n(rng);
    s += v * v;
  }
  s = std::sqrt(s);
  const double w = q[0] / s, x = q[1] / s, y = q[2] / s, z = q[3] / s;
  return {1 - 2 * (y * y + z * z), 2 * (x * y - z * w),     2 * (x * z + y * w),
          2 * (x * y + z * w),     1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
          2 * (x * z - y * w),     2 * (y * z + x * w),     1 - 2 * (x * x + y * y)};
}

// K random orthogonal transforms, alternately rotations and reflections (-R).
inline std::vector<double> random_transforms(int K, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> t;
  for (int k = 0; k < K; ++k) {
    std::array<double, 9> R = random_rotation(rng);
    if (k % 2 == 1)
      for (double &v : R) v = -v;
    t.insert(t.end(), R.begin(), R.end());
  }
  return t;
}

// Model with random weights AND non-trivial BN running statistics, biases and
// attention bias, so that every folded term is exercised. `custom` replaces the
// paper's architecture (its element count wins over nelem).
inline symgnn_model *random_model(int K, const double *transforms, uint64_t seed, int nelem = 2,
                                  const symgnn_arch *custom = nullptr) {
  const char *names[3] = {"Cu", "Zr", "Al"};
  symgnn_arch arch;
  symgnn_arch_default(&arch, nelem, names);
  if (custom) arch = *custom;
  symgnn_model *m = nullptr;
  symgnn_error err;
  if (symgnn_model_create(&arch, K, transforms, seed, &m, &err) != SYMGNN_OK) return nullptr;
  std::mt19937_64 rng(seed + 17);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  float *p = symgnn_model_params(m);
  float *s = symgnn_model_stats(m);
  // perturb every parameter a little (BN gamma/beta, biases, attention bias, PReLU slopes)
  for (size_t i = 0; i < symgnn_model_nparams(m); ++i) p[i] += (float)(0.1 * u(rng));
  // running stats: means around 0, variances in [0.5, 1.5]
  const symgnn_layout *L = symgnn_model_layout(m);
  std::vector<symgnn_bn_ref> bns = {L->node_bn0, L->node_bn1, L->edge_bn0, L->edge_bn1};
  for (int l = 0; l < L->nlayers; ++l) {
    bns.push_back(L->layer[l].bn_node);
    bns.push_back(L->layer[l].bn_edge);
  }
  for (int k = 0; k < L->decoder_depth; ++k) bns.push_back(L->dec[k].bn);
  for (const symgnn_bn_ref &b : bns)
    for (int i = 0; i < b.width; ++i) {
      s[b.mean + i] = (float)(0.3 * u(rng));
      s[b.var + i] = (float)(1.0 + 0.5 * u(rng));
    }
  symgnn_model_set_label_norm(m, 1.6346, 0.3104);
  return m;
}

// The paper's architecture for the elements Cu and Zr.
inline symgnn_arch cuzr_arch() {
  const char *names[2] = {"Cu", "Zr"};
  symgnn_arch arch;
  symgnn_arch_default(&arch, 2, names);
  return arch;
}

// The smallest architecture for Cu and Zr: width 4, one layer with one head,
// decoder depth 1 (tests of the tools, where the weights do not matter).
inline symgnn_arch tiny_arch() {
  symgnn_arch arch = cuzr_arch();
  arch.width = 4;
  arch.nlayers = 1;
  arch.heads[0] = 1;
  arch.decoder_depth = 1;
  return arch;
}

// Width 8, two layers (2 and 1 heads), decoder depth 1: small enough for
// naive double-precision references and quick trainer runs.
inline symgnn_arch narrow_arch() {
  symgnn_arch a = cuzr_arch();
  a.width = 8;
  a.nlayers = 2;
  a.heads[0] = 2;
  a.heads[1] = 1;
  a.decoder_depth = 1;
  return a;
}

// A model of `arch` with the identity as its one transform and initial
// weights from `seed`; nullptr (and err filled) when the architecture is refused.
inline symgnn_model *identity_model(const symgnn_arch &arch, uint64_t seed, symgnn_error *err) {
  const double id[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  symgnn_model *m = nullptr;
  return symgnn_model_create(&arch, 1, id, seed, &m, err) == SYMGNN_OK ? m : nullptr;
}

} // namespace symgnn_test
#endif
