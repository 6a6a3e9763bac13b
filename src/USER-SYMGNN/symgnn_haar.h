/* Internal: the exact O(3) average of the edge encoder (haar models).
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

/* The table: ncell cells of width dr0 cover [0, rmax]; cell k is split into
 * 2^level[k] equal intervals whose nodes (both ends included) hold g0 and
 * its r-derivative, for cubic Hermite interpolation. Cells are halved where
 * the measured interpolation error demands it (near kinks of g0). */
typedef struct {
  int width, ncell;
  double dr0, inv_dr0, rmax;
  int *level;     /* [ncell] */
  int64_t *start; /* [ncell]: index of the cell's first node */
  float *val;     /* per node [2*width]: g0(r), then dg0/dr (per Angstrom) */
  symgnn_haar_table_info info;
} symgnn_haar_table;

/* Build the table on [0, rmax] for an encoder: choose the rule's order and
 * the spacing by refinement until both measured errors are below their
 * tolerances (documented in doc/model-format.md). nthreads: OpenMP threads
 * (0: OpenMP's default). */
symgnn_status symgnn_haar_table_build(symgnn_haar_table *tab, const symgnn_encoder_ref *enc,
                                      double rmax, int nthreads, symgnn_error *err);
void symgnn_haar_table_free(symgnn_haar_table *tab);

/* g0 at distance r (0 <= r <= rmax; larger r are clamped to rmax) into out[width]. */
void symgnn_haar_table_lookup(const symgnn_haar_table *tab, double r, float *out);

#ifdef __cplusplus
}
#endif
#endif
