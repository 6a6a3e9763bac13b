/* Layer 0's edge term of a haar model on the distance grid. Under the exact
 * O(3) average g0 of an edge is the linear interpolation of the grid values h
 * between its two grid points, so its term in the first layer's
 * pre-activation, c = g0 W_fij^T, is the same interpolation of C = h W_fij^T:
 * one product on G + 1 grid points instead of one per edge (the widest
 * layer's, 32 x 8 heads). Backward, each edge adds its gradient dc to the two
 * grid rows of dC (per thread, in double), and dC gives dW_fij = dC^T h and
 * the gradient of h, dC W_fij, which the encoder's backward takes. */
#include "symgnn_train_impl.h"

#include <string.h>

/* Grid points (G + 1). */
static size_t grid_points(const symgnn_step *s) {
  int G, Q;
  symgnn_haar_train_grid(s->tr->arch.cutoff, &G, &Q);
  return (size_t)G + 1;
}

void symgnn_haar_edge_term_table(symgnn_step *s) {
  symgnn_trainer *tr = s->tr;
  const symgnn_layer_ref *L = &tr->lay.layer[0];
  const int d = tr->lay.width, hw = L->hw;
  const size_t np = grid_points(s);
  const double *h = symgnn_haar_grid_values(s);
  const float *w = s->params + L->w_fij; /* [hw][d] */
  float *c = TB_F(tr->hc);
  for (size_t i = 0; i < np; ++i)
    for (int j = 0; j < hw; ++j) {
      double acc = 0.0;
      for (int k = 0; k < d; ++k) acc += h[i * d + k] * w[(size_t)j * d + k];
      c[i * hw + j] = (float)acc;
    }
}

void symgnn_haar_edge_term_rows(const symgnn_step *s, int64_t e0, int nb, float *out) {
  const symgnn_trainer *tr = s->tr;
  const int hw = tr->lay.layer[0].hw;
  const int *idx = (const int *)tr->hidx.p;
  const double *frac = TB_D(tr->hfrac);
  const float *c = TB_F(tr->hc);
  for (int r = 0; r < nb; ++r) {
    const int64_t e = e0 + r;
    const float f = (float)frac[e], f0 = 1.0f - f;
    const float *restrict c0 = c + (size_t)idx[e] * hw, *restrict c1 = c0 + hw;
    float *restrict o = out + (size_t)r * hw;
#pragma omp simd
    for (int j = 0; j < hw; ++j) o[j] = f0 * c0[j] + f * c1[j];
  }
}

void symgnn_haar_edge_term_zero(symgnn_step *s) {
  symgnn_trainer *tr = s->tr;
  memset(tr->hdc.p, 0,
         (size_t)tr->nth * grid_points(s) * (size_t)tr->lay.layer[0].hw * sizeof(double));
}

void symgnn_haar_edge_term_grad(const symgnn_step *s, int tid, int64_t e0, int nb,
                                const float *du) {
  const symgnn_trainer *tr = s->tr;
  const int hw = tr->lay.layer[0].hw;
  const int *idx = (const int *)tr->hidx.p;
  const double *frac = TB_D(tr->hfrac);
  double *dc = TB_D(tr->hdc) + (size_t)tid * grid_points(s) * hw;
  for (int r = 0; r < nb; ++r) {
    const int64_t e = e0 + r;
    const double f = frac[e], f0 = 1.0 - f;
    double *restrict d0 = dc + (size_t)idx[e] * hw, *restrict d1 = d0 + hw;
    const float *restrict g = du + (size_t)r * hw;
#pragma omp simd
    for (int j = 0; j < hw; ++j) {
      d0[j] += f0 * g[j];
      d1[j] += f * g[j];
    }
  }
}

void symgnn_haar_edge_term_finish(symgnn_step *s) {
  symgnn_trainer *tr = s->tr;
  const symgnn_layer_ref *L = &tr->lay.layer[0];
  const int d = tr->lay.width, hw = L->hw;
  const size_t np = grid_points(s), slice = np * hw;
  double *dc = TB_D(tr->hdc), *dcw = TB_D(tr->hdcw), *dw = s->gacc + L->w_fij;
  for (int t = 1; t < tr->nth; ++t) /* the threads' slices, added in thread order */
    for (size_t i = 0; i < slice; ++i) dc[i] += dc[(size_t)t * slice + i];
  const double *h = symgnn_haar_grid_values(s);
  const float *w = s->params + L->w_fij;
  for (size_t i = 0; i < np; ++i) {
    const double *dci = dc + i * hw, *hi = h + i * d;
    double *o = dcw + i * d;
    memset(o, 0, (size_t)d * sizeof(double));
    for (int j = 0; j < hw; ++j) {
      const double v = dci[j];
      if (v == 0.0) continue;
      const float *wj = w + (size_t)j * d;
      double *dwj = dw + (size_t)j * d;
      for (int k = 0; k < d; ++k) {
        o[k] += v * wj[k];
        dwj[k] += v * hi[k];
      }
    }
  }
}
