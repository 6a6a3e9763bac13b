/* The exact O(3) average of the edge encoder: the sphere rule, the direct
 * sphere mean of phi at one distance (direct mode, verification) and the
 * table lookup. The table itself is built in symgnn_haar_table.c. */
#include "symgnn_haar.h"
#include "symgnn_error.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Directions processed together: one sgemm of [2*CHUNK][width] x W1^T. */
#define CHUNK 128

/* Gauss-Legendre nodes x[i] and weights w[i] on [-1, 1] (Newton on the
 * three-term recurrence, from the classical initial guesses). */
static void gauss_legendre(int n, double *x, double *w) {
  for (int i = 0; i < n; ++i) {
    double z = cos(M_PI * (i + 0.75) / (n + 0.5)), dp = 1.0;
    for (int it = 0; it < 100; ++it) {
      double p0 = 1.0, p1 = 0.0;
      for (int j = 1; j <= n; ++j) {
        const double p2 = p1;
        p1 = p0;
        p0 = ((2.0 * j - 1.0) * z * p1 - (j - 1.0) * p2) / j;
      }
      dp = n * (z * p0 - p1) / (z * z - 1.0);
      const double step = p0 / dp;
      z -= step;
      if (fabs(step) < 1e-16) break;
    }
    x[i] = z;
    w[i] = 2.0 / ((1.0 - z * z) * dp * dp);
  }
}

int symgnn_sphere_directions(int order, double *u, double *w) {
  const int nphi = 2 * order;
  double *z = malloc(2 * (size_t)order * sizeof(double));
  if (!z) return 0;
  double *wz = z + order;
  gauss_legendre(order, z, wz);
  for (int i = 0; i < order; ++i) {
    const double s = sqrt(fmax(0.0, 1.0 - z[i] * z[i]));
    for (int p = 0; p < nphi; ++p) {
      const double psi = 2.0 * M_PI * (p + 0.5) / nphi;
      const size_t q = (size_t)i * nphi + p;
      u[3 * q] = s * cos(psi);
      u[3 * q + 1] = s * sin(psi);
      u[3 * q + 2] = z[i];
      w[q] = wz[i] / (2.0 * nphi); /* dz dpsi / (4 pi) */
    }
  }
  free(z);
  return 1;
}

symgnn_status symgnn_sphere_rule_make(int order, const symgnn_encoder_ref *enc,
                                      symgnn_sphere_rule *rule, symgnn_error *err) {
  memset(rule, 0, sizeof *rule);
  if (order < 1 || order > 2048)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "sphere rule order %d outside 1..2048", order);
  const int d = enc->width;
  rule->order = order;
  rule->n = 2 * order * order;
  rule->width = d;
  double *u = malloc(3 * (size_t)rule->n * sizeof(double));
  rule->w = malloc((size_t)rule->n * sizeof(double));
  rule->uw0 = malloc((size_t)rule->n * (size_t)d * sizeof(float));
  if (!u || !rule->w || !rule->uw0 || !symgnn_sphere_directions(order, u, rule->w)) {
    free(u);
    symgnn_sphere_rule_free(rule);
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for a sphere rule of order %d",
                            order);
  }
  for (size_t q = 0; q < (size_t)rule->n; ++q)
    for (int j = 0; j < d; ++j)
      rule->uw0[q * d + j] = (float)(u[3 * q] * enc->w0[j] + u[3 * q + 1] * enc->w0[d + j] +
                                     u[3 * q + 2] * enc->w0[2 * (size_t)d + j]);
  free(u);
  return SYMGNN_OK;
}

void symgnn_sphere_rule_free(symgnn_sphere_rule *rule) {
  free(rule->w);
  free(rule->uw0);
  memset(rule, 0, sizeof *rule);
}

/* One chunk of directions [q0, q0+n): the first layer and its r-derivative
 * stacked in a (2n x d), one sgemm for the second layer, then the masked
 * outputs summed with the rule's weights. */
static void average_chunk(const symgnn_encoder_ref *enc, const symgnn_sphere_rule *rule, double r,
                          int q0, int n, float *a, float *z, double *h, double *dh) {
  const int d = enc->width;
  const float rf = (float)r;
  for (int c = 0; c < n; ++c) {
    const float *p = rule->uw0 + (size_t)(q0 + c) * d;
    float *ac = a + (size_t)c * d, *vc = a + (size_t)(n + c) * d;
    for (int j = 0; j < d; ++j) {
      const float u = enc->b0[j] + rf * p[j];
      ac[j] = u > 0.0f ? u : 0.0f;
      vc[j] = u > 0.0f ? p[j] : 0.0f;
    }
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 2 * n, d, d, 1.0f, a, d, enc->w1, d, 0.0f, z,
              d);
  for (int j = 0; j < d; ++j) {
    double sh = 0.0, sd = 0.0;
    for (int c = 0; c < n; ++c) {
      const float u = z[(size_t)c * d + j] + enc->b1[j];
      if (u > 0.0f) {
        const double wq = rule->w[q0 + c];
        sh += wq * u;
        sd += wq * z[(size_t)(n + c) * d + j];
      }
    }
    h[j] += sh;
    if (dh) dh[j] += sd;
  }
}

int symgnn_sphere_average(const symgnn_encoder_ref *enc, const symgnn_sphere_rule *rule, double r,
                          double *h, double *dh) {
  const int d = enc->width;
  float *a = malloc(4 * (size_t)CHUNK * (size_t)d * sizeof(float));
  if (!a) return 0;
  memset(h, 0, (size_t)d * sizeof(double));
  if (dh) memset(dh, 0, (size_t)d * sizeof(double));
  for (int q0 = 0; q0 < rule->n; q0 += CHUNK) {
    const int n = rule->n - q0 < CHUNK ? rule->n - q0 : CHUNK;
    average_chunk(enc, rule, r, q0, n, a, a + 2 * (size_t)CHUNK * d, h, dh);
  }
  free(a);
  return 1;
}

/* Cubic Hermite basis at s in [0, 1]: value weights of the left and right
 * node and derivative weights (in units of the spacing). */
void symgnn_hermite_basis(double s, double b[4]) {
  b[0] = (1.0 + 2.0 * s) * (1.0 - s) * (1.0 - s);
  b[1] = s * (1.0 - s) * (1.0 - s);
  b[2] = s * s * (3.0 - 2.0 * s);
  b[3] = s * s * (s - 1.0);
}

void symgnn_haar_table_free(symgnn_haar_table *t) {
  free(t->val);
  t->val = NULL;
}

void symgnn_haar_table_lookup(const symgnn_haar_table *t, double r, float *out) {
  const int d = t->width;
  const double x = r * t->inv_dr;
  int i = x > 0.0 ? (int)x : 0;
  if (i > t->ndist - 2) i = t->ndist - 2;
  double s = x - i;
  s = s < 0.0 ? 0.0 : (s > 1.0 ? 1.0 : s);
  double b[4];
  symgnn_hermite_basis(s, b);
  const float b0 = (float)b[0], b1 = (float)b[1], b2 = (float)b[2], b3 = (float)b[3];
  const float *p = t->val + (size_t)i * 2 * d, *q = p + 2 * (size_t)d;
#pragma omp simd
  for (int j = 0; j < d; ++j) out[j] = b0 * p[j] + b1 * p[d + j] + b2 * q[j] + b3 * q[d + j];
}
