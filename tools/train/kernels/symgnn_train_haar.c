/* Edge-encoder BatchNorm statistics of the exact O(3) average. With edge
 * directions uniform on the sphere, the batch statistics of the encoder's two
 * BatchNorms are expectations over the edges' distances and over directions:
 *   BN0 input y0 = x W0^T + b0:  mean b0, variance |W0_j|^2 E[r^2] / 3;
 *   BN1 input y1 = relu(BN0(y0)) W1^T + b1: a sphere rule at each distance. */
#include "symgnn_ext.h"
#include "symgnn_train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Sphere rule for the BN1 moments: 2 * 48^2 = 4608 directions (the moments
 * are smooth averages; this order changes them by < 1e-5 relative). */
#define STATS_ORDER 48

/* Sums over the rule of y1 and y1^2 at distance r into s1, s2 (double). */
static void moments_at(int d, double r, int nq, const double *u, const double *wq, const double *a0,
                       const double *c0, const float *W1, const float *b1, double *a, double *s1,
                       double *s2) {
  for (int q = 0; q < nq; ++q) {
    for (int j = 0; j < d; ++j) {
      const double v =
          r * (u[3 * q] * a0[3 * j] + u[3 * q + 1] * a0[3 * j + 1] + u[3 * q + 2] * a0[3 * j + 2]) +
          c0[j];
      a[j] = v > 0.0 ? v : 0.0;
    }
    for (int k = 0; k < d; ++k) {
      double y = b1[k];
      const float *wk = W1 + (size_t)k * d;
      for (int j = 0; j < d; ++j) y += wk[j] * a[j];
      s1[k] += wq[q] * y;
      s2[k] += wq[q] * y * y;
    }
  }
}

symgnn_status symgnn_train_haar_encoder_stats(symgnn_model *model, int n, const double *r,
                                              const double *weight, symgnn_error *err) {
  const symgnn_layout *L = symgnn_model_layout(model);
  const float *p = symgnn_model_params_const(model);
  float *stats = symgnn_model_stats(model);
  float *mean0 = stats + L->edge_bn0.mean, *var0 = stats + L->edge_bn0.var;
  float *mean1 = stats + L->edge_bn1.mean, *var1 = stats + L->edge_bn1.var;
  const int d = L->width, nq = 2 * STATS_ORDER * STATS_ORDER;
  double wsum = 0.0, r2 = 0.0;
  for (int i = 0; i < n; ++i) {
    if (!(weight[i] >= 0.0) || !(r[i] >= 0.0) || !isfinite(r[i]) || !isfinite(weight[i]))
      return symgnn_set_error(err, SYMGNN_ERR_ARG, "distance %d: r %g, weight %g", i, r[i],
                              weight[i]);
    wsum += weight[i];
    r2 += weight[i] * r[i] * r[i];
  }
  if (!(wsum > 0.0))
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "no edges: the distance weights sum to 0");
  r2 /= wsum;
  double *u = malloc((size_t)nq * 4 * sizeof(double)), *wq = u ? u + 3 * (size_t)nq : NULL;
  double *work = malloc((size_t)d * 9 * sizeof(double));
  if (!u || !work || !symgnn_sphere_directions(STATS_ORDER, u, wq)) {
    free(u);
    free(work);
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for the haar statistics");
  }
  double *a0 = work, *c0 = work + 3 * d, *a = c0 + d, *s1 = a + d, *s2 = s1 + d, *t1 = s2 + d;
  const float *W0 = p + L->edge_lin0.w, *b0 = p + L->edge_lin0.b;
  const float *g0 = p + L->edge_bn0.gamma, *be0 = p + L->edge_bn0.beta;
  for (int j = 0; j < d; ++j) { /* BN0 statistics, then BN0 folded into the first layer */
    const double w2 = (double)W0[3 * j] * W0[3 * j] + (double)W0[3 * j + 1] * W0[3 * j + 1] +
                      (double)W0[3 * j + 2] * W0[3 * j + 2];
    mean0[j] = b0[j];
    var0[j] = (float)(w2 * r2 / 3.0);
    const double sc = g0[j] / sqrt(w2 * r2 / 3.0 + SYMGNN_BN_EPS);
    for (int c = 0; c < 3; ++c) a0[3 * j + c] = sc * W0[3 * j + c];
    c0[j] = be0[j]; /* (y0 - mean0) has no constant part: x W0^T */
  }
  memset(t1, 0, 2 * (size_t)d * sizeof(double));
  for (int i = 0; i < n; ++i) {
    if (weight[i] == 0.0) continue;
    memset(s1, 0, 2 * (size_t)d * sizeof(double));
    moments_at(d, r[i], nq, u, wq, a0, c0, p + L->edge_lin1.w, p + L->edge_lin1.b, a, s1, s2);
    for (int k = 0; k < d; ++k) {
      t1[k] += weight[i] * s1[k];
      t1[d + k] += weight[i] * s2[k];
    }
  }
  for (int k = 0; k < d; ++k) {
    const double m = t1[k] / wsum;
    mean1[k] = (float)m;
    var1[k] = (float)fmax(0.0, t1[d + k] / wsum - m * m);
  }
  free(u);
  free(work);
  return SYMGNN_OK;
}
