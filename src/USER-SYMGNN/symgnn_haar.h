/* Extension API (symgnn_ext.h): the exact O(3) average of the edge encoder (haar models).
 *
 * For O Haar-distributed on O(3), x O is uniform on the sphere of radius |x|,
 * so g0(x) = E_O[phi(x O)] = h(|x|) with h(r) the mean of phi(r u) over unit
 * vectors u. h is computed with a product rule on the sphere and tabulated in
 * r; the table is interpolated by cubic Hermite polynomials. */
#ifndef SYMGNN_HAAR_H
#define SYMGNN_HAAR_H

#include "symgnn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Eval-mode edge encoder with BatchNorm folded in:
 * phi(x) = relu(relu(x W0 + b0) W1^T + b1), x a displacement row. */
typedef struct {
  int width;
  const float *w0; /* [3][width]: row r multiplies x_r */
  const float *b0; /* [width] */
  const float *w1; /* [width][width] */
  const float *b1; /* [width] */
} symgnn_encoder_ref;

/* A product rule on the unit sphere: `order` Gauss-Legendre nodes in
 * cos(theta) times 2*order equally spaced azimuths, weights summing to 1,
 * with each direction's first-layer projections u W0 precomputed. */
typedef struct {
  int order, n; /* n = 2 order^2 directions */
  int width;
  double *w;  /* [n] weights */
  float *uw0; /* [n][width]: u W0 */
} symgnn_sphere_rule;

/* The rule's 2 order^2 directions u[q][3] and weights w[q] (sum 1); returns
 * 0 when out of memory. */
int symgnn_sphere_directions(int order, double *u, double *w);
/* Build the rule of a given order for an encoder (1 <= order <= 2048). */
symgnn_status symgnn_sphere_rule_make(int order, const symgnn_encoder_ref *enc,
                                      symgnn_sphere_rule *rule, symgnn_error *err);
void symgnn_sphere_rule_free(symgnn_sphere_rule *rule);

/* Sphere means of phi(r u) into h[width] and, when dh is not NULL, of
 * d/dr phi(r u) into dh[width] (float32 kernels, double sums). Returns 0 when
 * out of memory. */
int symgnn_sphere_average(const symgnn_encoder_ref *enc, const symgnn_sphere_rule *rule, double r,
                          double *h, double *dh);

/* The table: g0 at the distances r_i = i dr, i = 0..ndist-1 (the last is
 * rmax), with dr times its r-derivative, for cubic Hermite interpolation. */
typedef struct {
  int width, ndist;
  double dr, inv_dr, rmax;
  float *val; /* [ndist][2*width]: g0(r_i), then dr * g0'(r_i) */
  symgnn_haar_table_info info;
} symgnn_haar_table;

/* Cubic Hermite basis at s in [0, 1]: weights of the left value, the left
 * derivative (times the spacing), the right value and the right derivative. */
void symgnn_hermite_basis(double s, double b[4]);

/* Build the table on [0, rmax] for an encoder (symgnn_haar_table.c): raise
 * the rule's order until two successive rules agree within tolerance over
 * the whole table, and measure the interpolation error at every midpoint
 * (doc/model-format.md, section 8). nthreads: OpenMP threads (0: OpenMP's
 * default); the table does not depend on it beyond rounding. */
symgnn_status symgnn_haar_table_build(symgnn_haar_table *tab, const symgnn_encoder_ref *enc,
                                      double rmax, int nthreads, symgnn_error *err);
void symgnn_haar_table_free(symgnn_haar_table *tab);

/* g0 at distance r (0 <= r <= rmax; larger r are clamped to rmax) into out[width]. */
void symgnn_haar_table_lookup(const symgnn_haar_table *tab, double r, float *out);

#ifdef __cplusplus
}
#endif
#endif
