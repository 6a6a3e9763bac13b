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

/* Largest order of a sphere rule (2 order^2 directions). */
#define SYMGNN_HAAR_MAX_ORDER 2048
/* Most distances a table holds (its spacing is halved at most this far). */
#define SYMGNN_HAAR_MAX_NDIST 16385

/* The product rule on the unit sphere of a given order: `order`
 * Gauss-Legendre nodes in cos(theta) times 2*order equally spaced azimuths.
 * [out] u[2 order^2][3] directions and w[2 order^2] weights (sum 1); returns
 * 0 when out of memory. */
int symgnn_sphere_directions(int order, double *u, double *w);

/* The rule's mean of phi(r u) over the sphere, exact for the rule at each of
 * [in] r[m] (ascending, >= 0): [out] h[m][width] and, when dh is not NULL,
 * dh[m][width] its r-derivative. phi is piecewise linear along every ray,
 * so each ray is followed once through its slope changes (the same code
 * builds the table). Cost: about 2 order^2 rays, whatever m. nthreads:
 * OpenMP threads (0: OpenMP's default). */
symgnn_status symgnn_haar_means(const symgnn_encoder_ref *enc, int order, int m, const double *r,
                                int nthreads, double *h, double *dh, symgnn_error *err);

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
