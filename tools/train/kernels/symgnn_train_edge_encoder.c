/* Edge encoder in training mode: g0 = (1/K) sum_k phi(x O_k) with
 * phi = Linear(3,d) -> BN -> ReLU -> Linear(d,d) -> BN -> ReLU. Each branch k
 * normalizes with its own batch statistics. The first Linear is folded with
 * the transform (V = O_k W0^T), and its BN statistics and gradients come from
 * the 3x3 moments of x, so only the second Linear needs edge-sized products.
 * The backward pass recomputes each branch instead of storing it. */
#include "symgnn_train_impl.h"

#include <cblas.h>
#include <string.h>

/* Per-branch constants: V = O W0^T (3 x d) and c0 = b0 - mean0, so that
 * y0 - mean0 = x V + c0; va, ba fold the first BN: relu(x va + ba) = r0. */
typedef struct {
  int d;
  double *V;       /* [3][d] */
  double *c0;      /* [d] */
  float *va;       /* [3][d] */
  float *ba;       /* [d] */
  float *vf, *c0f; /* float V and c0 */
} branch;

/* Fill the branch constants in `area` (4 d doubles) and `farea` (8 d floats);
 * the folded first-BN terms need the branch's BN0 statistics (bn0 != NULL). */
static void branch_setup(const symgnn_step *s, int k, double *area, float *farea,
                         const symgnn_bn *bn0, branch *b) {
  const symgnn_layout *L = &s->tr->lay;
  const int d = L->width;
  const double *O = s->transforms + 9 * (size_t)k;
  const float *W0 = s->params + L->edge_lin0.w, *b0 = s->params + L->edge_lin0.b;
  b->d = d;
  b->V = area;
  b->c0 = area + 3 * d;
  b->va = farea;
  b->ba = b->va + 3 * d;
  b->vf = b->ba + d;
  b->c0f = b->vf + 3 * d;
  for (int r = 0; r < 3; ++r)
    for (int j = 0; j < d; ++j)
      b->V[r * d + j] =
          O[3 * r] * W0[3 * j] + O[3 * r + 1] * W0[3 * j + 1] + O[3 * r + 2] * W0[3 * j + 2];
  if (!bn0) return;
  for (int j = 0; j < d; ++j) {
    const double a = bn0->gamma[j] * bn0->istd[j];
    b->c0[j] = b0[j] - bn0->mean[j];
    b->ba[j] = (float)(b->c0[j] * a + bn0->beta[j]);
    b->c0f[j] = (float)b->c0[j];
    for (int r = 0; r < 3; ++r) {
      b->va[r * d + j] = (float)(b->V[r * d + j] * a);
      b->vf[r * d + j] = (float)b->V[r * d + j];
    }
  }
}

/* Local sums of y0 = x V + b0 and y0^2 from the moments of x. */
static void y0_sums(const symgnn_step *s, const branch *b, double *sums) {
  const int d = b->d;
  const float *b0 = s->params + s->tr->lay.edge_lin0.b;
  const double n = (double)s->ne;
  for (int j = 0; j < d; ++j) {
    double xv = 0.0, vxxv = 0.0;
    for (int r = 0; r < 3; ++r) {
      xv += s->xs[r] * b->V[r * d + j];
      for (int q = 0; q < 3; ++q) vxxv += b->V[r * d + j] * s->xx[3 * r + q] * b->V[q * d + j];
    }
    sums[j] = xv + n * b0[j];
    sums[d + j] = vxxv + 2.0 * b0[j] * xv + n * (double)b0[j] * b0[j];
  }
}

/* acc[j] += part[j] for n entries, then part = 0 (float partial sums of up to
 * PART_ROWS rows go into the double accumulators). */
#define PART_ROWS 256
static void flush(double *acc, float *part, int n) {
  for (int j = 0; j < n; ++j) {
    acc[j] += part[j];
    part[j] = 0.0f;
  }
}

/* sums[0..d) += column sums of y, sums[d..2d) += of y^2, for nb rows, in
 * double: batch statistics must not depend on how rows are split over ranks. */
SYMGNN_HOT
static void y_stats(const float *y, int nb, int d, double *sums) {
  for (int i = 0; i < nb; ++i) {
    const float *yi = y + (size_t)i * d;
#pragma omp simd
    for (int j = 0; j < d; ++j) {
      sums[j] += yi[j];
      sums[d + j] += (double)yi[j] * yi[j];
    }
  }
}

/* Terms of the second BN for the backward: its mean, gamma*istd, beta, istd
 * (t[0..4d)) and the ReLU-gated gradient dy1 = relu'(.) * dg0 / K. */
static inline float dy1_of(const float *t, int d, int j, float yv, float g, float inv_k) {
  const float c = yv - t[j];
  return c * t[d + j] + t[2 * d + j] > 0.0f ? g * inv_k : 0.0f;
}

/* sums[0..d) += sum dy1, sums[d..2d) += sum dy1 * xhat1 over nb rows. */
SYMGNN_HOT
static void dy1_sums(const float *y, const float *g, int nb, int d, const float *t, float inv_k,
                     double *sums, float *part) {
  float *p1 = part, *p2 = part + d;
  for (int i = 0; i < nb; ++i) {
    const float *yi = y + (size_t)i * d, *gi = g + (size_t)i * d;
#pragma omp simd
    for (int j = 0; j < d; ++j) {
      const float dy = dy1_of(t, d, j, yi[j], gi[j], inv_k);
      p1[j] += dy;
      p2[j] += dy * ((yi[j] - t[j]) * t[3 * d + j]);
    }
    if (i % PART_ROWS == PART_ROWS - 1 || i == nb - 1) flush(sums, part, 2 * d);
  }
}

/* dx1 = c1 * dy1 + c2 * (y1 - mean1) + c3 for nb rows (c at t[4d..7d)). */
SYMGNN_HOT
static void dx1_rows(const float *y, const float *g, int nb, int d, const float *t, float inv_k,
                     float *dx) {
  for (int i = 0; i < nb; ++i) {
    const float *yi = y + (size_t)i * d, *gi = g + (size_t)i * d;
    float *di = dx + (size_t)i * d;
#pragma omp simd
    for (int j = 0; j < d; ++j) {
      const float dy = dy1_of(t, d, j, yi[j], gi[j], inv_k);
      di[j] = t[4 * d + j] * dy + t[5 * d + j] * (yi[j] - t[j]) + t[6 * d + j];
    }
  }
}

/* r0 = relu(BN0(x V + b0)) for edges [e0, e0 + nb). */
SYMGNN_HOT
static void first_layer(const symgnn_step *s, const branch *b, int64_t e0, int nb, float *r) {
  const int d = b->d;
  for (int i = 0; i < nb; ++i) {
    const double *x = s->disp + 3 * (size_t)(e0 + i);
    const float x0 = (float)x[0], x1 = (float)x[1], x2 = (float)x[2];
    float *ri = r + (size_t)i * d;
    for (int j = 0; j < d; ++j) {
      const float v = x0 * b->va[j] + x1 * b->va[d + j] + x2 * b->va[2 * d + j] + b->ba[j];
      ri[j] = v > 0.0f ? v : 0.0f;
    }
  }
}

/* y1 = r0 W1^T + b1 for a block, into y (rows of the y1 buffer). */
static void second_linear(const symgnn_step *s, const float *r, int nb, float *y) {
  const symgnn_lin_ref *lin = &s->tr->lay.edge_lin1;
  const int d = lin->out;
  for (int i = 0; i < nb; ++i)
    memcpy(y + (size_t)i * d, s->params + lin->b, (size_t)d * sizeof(float));
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, d, d, 1.0f, r, d, s->params + lin->w, d,
              1.0f, y, d);
}

void symgnn_edge_encoder_forward(symgnn_step *s) {
  symgnn_trainer *tr = s->tr;
  const symgnn_layout *L = &tr->lay;
  const int d = L->width;
  const int64_t E = s->ne;
  float *g0 = TB_F(tr->g[0]), *y1 = TB_F(tr->y1), *r = TB_F(tr->er);
  double *work = TB_D(tr->work), *sums = work + 5 * (size_t)tr->hwmax;
  double *area = sums + 2 * (size_t)d;
  float *fl = TB_F(tr->fwork);
  const float inv_k = 1.0f / (float)s->ntr;
  memset(g0, 0, (size_t)E * d * sizeof(float));
  for (int k = 0; k < s->ntr; ++k) {
    symgnn_bn bn0, bn1;
    branch b;
    symgnn_step_bn(s, &L->edge_bn0, symgnn_slot_edge_bn(s, k, 0), work, &bn0);
    symgnn_step_bn(s, &L->edge_bn1, symgnn_slot_edge_bn(s, k, 1), work, &bn1);
    if (s->opts->bn_average_step > 0) /* one update per transform: count them all */
      bn0.momentum = bn1.momentum = 1.0 / ((double)(s->opts->bn_average_step - 1) * s->ntr + k + 1);
    branch_setup(s, k, area, fl, NULL, &b);
    y0_sums(s, &b, sums);
    symgnn_bn_stats(&bn0, sums, s->eglob, &s->opts->reduce);
    branch_setup(s, k, area, fl, &bn0, &b);
    memset(sums, 0, 2 * (size_t)d * sizeof(double));
    for (int64_t e0 = 0; e0 < E; e0 += s->blkcap) {
      const int nb = (int)(E - e0 < s->blkcap ? E - e0 : s->blkcap);
      float *y = y1 + (size_t)e0 * d;
      first_layer(s, &b, e0, nb, r);
      second_linear(s, r, nb, y);
      y_stats(y, nb, d, sums);
    }
    symgnn_bn_stats(&bn1, sums, s->eglob, &s->opts->reduce);
    float *m1 = fl + 8 * d, *a1 = m1 + d, *b1 = a1 + d;
    for (int j = 0; j < d; ++j) {
      m1[j] = (float)bn1.mean[j];
      a1[j] = (float)(bn1.gamma[j] * bn1.istd[j]) * inv_k;
      b1[j] = bn1.beta[j] * inv_k;
    }
    for (int64_t e = 0; e < E; ++e) {
      const float *y = y1 + (size_t)e * d;
      float *g = g0 + (size_t)e * d;
      for (int j = 0; j < d; ++j) {
        const float v = (y[j] - m1[j]) * a1[j] + b1[j];
        g[j] += v > 0.0f ? v : 0.0f;
      }
    }
  }
}

/* BN0 backward sums of rows [e0, e0 + nb): acc[0..d) += dy0, acc[d..2d) +=
 * dy0 (y0 - mean0), acc[(2+r)d ..] += x_r dy0, where dy0 = dr0 gated by the ReLU. */
SYMGNN_HOT
static void dy0_sums(const symgnn_step *s, const branch *b, int64_t e0, int nb, const float *r,
                     const float *dr, double *acc, float *part) {
  const int d = b->d;
  for (int i = 0; i < nb; ++i) {
    const double *x = s->disp + 3 * (size_t)(e0 + i);
    const float x0 = (float)x[0], x1 = (float)x[1], x2 = (float)x[2];
    const float *ri = r + (size_t)i * d, *dri = dr + (size_t)i * d;
#pragma omp simd
    for (int j = 0; j < d; ++j) {
      const float dy = ri[j] > 0.0f ? dri[j] : 0.0f;
      const float c = x0 * b->vf[j] + x1 * b->vf[d + j] + x2 * b->vf[2 * d + j] + b->c0f[j];
      part[j] += dy;
      part[d + j] += dy * c;
      part[2 * d + j] += x0 * dy;
      part[3 * d + j] += x1 * dy;
      part[4 * d + j] += x2 * dy;
    }
    if (i % PART_ROWS == PART_ROWS - 1 || i == nb - 1) flush(acc, part, 5 * d);
  }
}

/* Backward of branch k, second half: from the BN0 sums to the gradients of the
 * first Linear and of the transform, via the moments of x. */
static void first_layer_grads(symgnn_step *s, int k, const branch *b, const double *coef,
                              const double *dsum_local, const double *xdy, double *dtr) {
  const symgnn_layout *L = &s->tr->lay;
  const int d = L->width;
  const double *O = s->transforms + 9 * (size_t)k;
  const float *W0 = s->params + L->edge_lin0.w;
  double *dW0 = s->gacc + L->edge_lin0.w, *db0 = s->gacc + L->edge_lin0.b;
  const double n = (double)s->ne;
  for (int j = 0; j < d; ++j) {
    const double c1 = coef[j], c2 = coef[d + j], c3 = coef[2 * d + j];
    double G[3], xv = 0.0;
    for (int r = 0; r < 3; ++r) {
      double xxv = 0.0; /* sum_e x_r (y0_j - mean0_j) */
      for (int q = 0; q < 3; ++q) xxv += s->xx[3 * r + q] * b->V[q * d + j];
      xxv += b->c0[j] * s->xs[r];
      G[r] = c1 * xdy[r * d + j] + c2 * xxv + c3 * s->xs[r];
      xv += s->xs[r] * b->V[r * d + j];
    }
    db0[j] += c1 * dsum_local[j] + c2 * (xv + n * b->c0[j]) + c3 * n;
    for (int c = 0; c < 3; ++c) dW0[3 * j + c] += G[0] * O[c] + G[1] * O[3 + c] + G[2] * O[6 + c];
    if (dtr)
      for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) dtr[9 * (size_t)k + 3 * r + c] += G[r] * W0[3 * j + c];
  }
}

void symgnn_edge_encoder_backward(symgnn_step *s, double *dtr) {
  symgnn_trainer *tr = s->tr;
  const symgnn_layout *L = &tr->lay;
  const int d = L->width;
  const int64_t E = s->ne;
  const float *dg0 = TB_F(tr->dg);
  float *y1 = TB_F(tr->y1), *r = TB_F(tr->er), *dx = TB_F(tr->ed), *dr = TB_F(tr->et);
  float *tmp = TB_F(tr->gtmp);
  double *work = TB_D(tr->work), *sums = work + 5 * (size_t)tr->hwmax;
  double *area = sums + 2 * (size_t)d;
  float *fl = TB_F(tr->fwork);
  double *coef = area + 4 * (size_t)d, *xdy = coef + 3 * (size_t)d, *dloc = xdy + 3 * (size_t)d;
  double *acc0 = dloc + d;   /* sum dy0, sum dy0 (y0 - mean0), sum x_r dy0 (5 d) */
  float *cf = fl + 8 * d;    /* mean1, gamma1*istd1, beta1, istd1, c1, c2, c3 (7 d floats) */
  float *part = fl + 16 * d; /* float partial sums (5 d) */
  const float inv_k = 1.0f / (float)s->ntr;
  const symgnn_lin_ref *lin1 = &L->edge_lin1;
  for (int k = 0; k < s->ntr; ++k) {
    symgnn_bn bn0, bn1;
    branch b;
    symgnn_step_bn(s, &L->edge_bn0, symgnn_slot_edge_bn(s, k, 0), work, &bn0);
    symgnn_step_bn(s, &L->edge_bn1, symgnn_slot_edge_bn(s, k, 1), work, &bn1);
    branch_setup(s, k, area, fl, &bn0, &b);
    float *m1 = cf, *a1 = cf + d, *b1 = cf + 2 * d, *i1 = cf + 3 * d;
    for (int j = 0; j < d; ++j) {
      m1[j] = (float)bn1.mean[j];
      a1[j] = (float)(bn1.gamma[j] * bn1.istd[j]);
      b1[j] = bn1.beta[j];
      i1[j] = (float)bn1.istd[j];
    }
    /* pass 1: recompute y1, sums of dy1 and dy1 * xhat1 */
    memset(sums, 0, 2 * (size_t)d * sizeof(double));
    memset(part, 0, 5 * (size_t)d * sizeof(float));
    for (int64_t e0 = 0; e0 < E; e0 += s->blkcap) {
      const int nb = (int)(E - e0 < s->blkcap ? E - e0 : s->blkcap);
      float *y = y1 + (size_t)e0 * d;
      first_layer(s, &b, e0, nb, r);
      second_linear(s, r, nb, y);
      dy1_sums(y, dg0 + (size_t)e0 * d, nb, d, cf, inv_k, sums, part);
    }
    symgnn_bn_coeffs(&bn1, sums, s->eglob, &s->opts->reduce, coef);
    float *c1 = cf + 4 * d, *c2 = cf + 5 * d, *c3 = cf + 6 * d;
    for (int j = 0; j < d; ++j) {
      c1[j] = (float)coef[j];
      c2[j] = (float)coef[d + j];
      c3[j] = (float)coef[2 * d + j];
    }
    /* pass 2: dx1, second Linear gradients, dr0, sums for BN0 */
    memset(acc0, 0, 5 * (size_t)d * sizeof(double));
    for (int64_t e0 = 0; e0 < E; e0 += s->blkcap) {
      const int nb = (int)(E - e0 < s->blkcap ? E - e0 : s->blkcap);
      const float *y = y1 + (size_t)e0 * d, *g = dg0 + (size_t)e0 * d;
      first_layer(s, &b, e0, nb, r);
      dx1_rows(y, g, nb, d, cf, inv_k, dx);
      symgnn_acc_tn(s->gacc + lin1->w, dx, d, r, d, nb, d, d, tmp);
      symgnn_acc_colsum(s->gacc + lin1->b, dx, nb, d);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nb, d, d, 1.0f, dx, d,
                  s->params + lin1->w, d, 0.0f, dr, d);
      dy0_sums(s, &b, e0, nb, r, dr, acc0, part);
    }
    for (int j = 0; j < d; ++j) {
      sums[j] = acc0[j];
      sums[d + j] = acc0[d + j] * bn0.istd[j];
      for (int q = 0; q < 3; ++q) xdy[q * d + j] = acc0[(2 + q) * d + j];
    }
    memcpy(dloc, sums, (size_t)d * sizeof(double));
    symgnn_bn_coeffs(&bn0, sums, s->eglob, &s->opts->reduce, coef);
    first_layer_grads(s, k, &b, coef, dloc, xdy, dtr);
  }
}
