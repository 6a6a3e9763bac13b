/* The exact O(3) average of the edge encoder: the sphere rule and the table
 * lookup. The ray sums that give the rule's means (for the table and for
 * direct quadrature) are in symgnn_haar_table.c. */
#include "symgnn_haar.h"

#include <math.h>
#include <stdlib.h>

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
