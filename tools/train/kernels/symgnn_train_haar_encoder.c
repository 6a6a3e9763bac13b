/* Edge encoder in training mode under the exact O(3) average (haar models):
 * g0(e) = h(r_e), h(r) the mean over directions u of phi(r u), where phi's
 * two BatchNorms normalize with their batch statistics over the step's edges
 * and uniform directions:
 *   BN0 (input y0 = x W0^T + b0): mean b0 and variance |W0_j|^2 E[r^2] / 3,
 *     exact (E[u] = 0, E[u u^T] = I/3), E[r^2] over the step's edges;
 *   BN1: over a grid of distances R_i = i dr, each weighted by the edges'
 *     linear-interpolation weights (the edges' r distribution on the grid),
 *     times a sphere rule (exact for these moments of u).
 * h is computed at the grid distances and interpolated linearly to each edge,
 * so the loss depends on phi only at the grid points and the backward pass
 * is the exact derivative of this discretization (gradient-checked). The
 * cost is per grid point, not per edge. */
#include "symgnn_ext.h"
#include "symgnn_threads.h"
#include "symgnn_train_impl.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* Grid spacing (Angstrom) and sphere rule order (2 * 16^2 = 512 directions):
 * quadrature and interpolation errors of h below 1e-3 of its scale, far
 * below what training resolves; inference uses the exact table. */
#define HAAR_DR 0.02
#define HAAR_ORDER 16
#define HAAR_CHUNK 256 /* grid points per product */

void symgnn_haar_train_grid(double cutoff, int *nint, int *ndir) {
  *nint = (int)ceil(cutoff / HAAR_DR);
  if (*nint < 2) *nint = 2;
  *ndir = 2 * HAAR_ORDER * HAAR_ORDER;
}

/* The step's grid: interval count G (G + 1 distances), directions u and
 * weights w, and the double work areas carved from tr->hgrid. */
typedef struct {
  int G, Q, d;
  double dr;
  double *u, *w;         /* [Q][3], [Q] */
  double *rho_loc, *rho; /* [G + 1], [G + 2]: this rank's and all ranks' interpolation
                            weights (rho[G + 1]: the sum of r^2, reduced with them) */
  double *H, *dH;        /* [G + 1][d] */
  double *sums;          /* [2 d] */
  double m2;             /* E[r^2] over all ranks' edges */
  float *y1;             /* [(G + 1) Q][d] BN1 input at every grid point */
  float *a;              /* [nth][3][HAAR_CHUNK][d]: per thread, a chunk's activations and
                            gradients (a, dy, da) */
  double *acc;           /* [nth][HAAR_ACC(d)]: per-thread sums and gradients */
  int nth;
} grid;

/* Doubles of one thread's accumulators: BN1 sums or gradient sums (4d), the
 * second Linear's weight and bias gradients (d*d + d), BN0's gamma and beta
 * gradients (2d), the variance-path sums (d) and the first Linear's weight
 * gradient (3d). */
#define HAAR_ACC(d) ((size_t)(d) * (d) + 11 * (size_t)(d))

static void grid_of(const symgnn_step *s, grid *g) {
  symgnn_trainer *tr = s->tr;
  const int d = tr->lay.width;
  symgnn_haar_train_grid(tr->arch.cutoff, &g->G, &g->Q);
  g->d = d;
  g->dr = tr->arch.cutoff / g->G;
  const size_t n = (size_t)g->G + 1;
  g->u = TB_D(tr->hgrid);
  g->w = g->u + 3 * (size_t)g->Q;
  g->rho_loc = g->w + g->Q;
  g->rho = g->rho_loc + n;
  g->H = g->rho + n + 1;
  g->dH = g->H + n * d;
  g->sums = g->dH + n * d;
  g->y1 = TB_F(tr->hy1);
  g->a = g->y1 + n * (size_t)g->Q * d;
  g->acc = TB_D(tr->hacc);
  g->nth = tr->nth;
}

void symgnn_haar_train_sizes(double cutoff, int width, int nth, size_t *ndouble, size_t *nfloat,
                             size_t *nacc) {
  int G, Q;
  symgnn_haar_train_grid(cutoff, &G, &Q);
  const size_t n = (size_t)G + 1, d = (size_t)width;
  *ndouble = 4 * (size_t)Q + 2 * n + 1 + 2 * n * d + 2 * d;
  *nfloat = n * (size_t)Q * d + (size_t)nth * 3 * HAAR_CHUNK * d;
  *nacc = (size_t)nth * HAAR_ACC(d);
}

/* Interval i and fraction f of edge e's length on the grid. */
static void locate(const symgnn_step *s, const grid *g, int64_t e, int *i, double *f, double *r) {
  const double *x = s->disp + 3 * e;
  *r = sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
  const double t = *r / g->dr;
  int k = t > 0.0 ? (int)t : 0;
  if (k > g->G - 1) k = g->G - 1;
  const double fr = t - k;
  *i = k;
  *f = fr < 0.0 ? 0.0 : (fr > 1.0 ? 1.0 : fr);
}

/* First layer at grid points [p0, p0 + n): a = relu(gamma0 (x W0^T) istd0 +
 * beta0) with x = R_i u_q (BN0's batch mean is b0 exactly, so y0 - mean0 =
 * x W0^T; in eval mode the running mean differs: y0 - mean0 = x W0^T + b0 -
 * mean0). */
static void first_layer(const symgnn_step *s, const grid *g, const symgnn_bn *bn0, int p0, int n,
                        float *a) {
  const symgnn_layout *L = &s->tr->lay;
  const float *W0 = s->params + L->edge_lin0.w, *b0 = s->params + L->edge_lin0.b;
  for (int c = 0; c < n; ++c) {
    const int p = p0 + c, i = p / g->Q, q = p % g->Q;
    const double *u = g->u + 3 * q, r = i * g->dr;
    for (int j = 0; j < g->d; ++j) {
      const double y = r * (u[0] * W0[3 * j] + u[1] * W0[3 * j + 1] + u[2] * W0[3 * j + 2]);
      const double sh = bn0->eval ? (double)b0[j] - bn0->mean[j] : 0.0; /* 0: exact no-op */
      const double v = bn0->gamma[j] * (y + sh) * bn0->istd[j] + bn0->beta[j];
      a[(size_t)c * g->d + j] = v > 0.0 ? (float)v : 0.0f;
    }
  }
}

/* BN0 statistics (exact) from this rank's edges: the sums symgnn_bn_stats
 * expects, sum y0 = n b0 and sum y0^2 = n b0^2 + |W0_j|^2 sum r^2 / 3. */
static void bn0_stats(const symgnn_step *s, grid *g, symgnn_bn *bn0, double r2_local) {
  const symgnn_layout *L = &s->tr->lay;
  const float *W0 = s->params + L->edge_lin0.w, *b0 = s->params + L->edge_lin0.b;
  const double n = (double)s->ne;
  for (int j = 0; j < g->d; ++j) {
    const double w2 = (double)W0[3 * j] * W0[3 * j] + (double)W0[3 * j + 1] * W0[3 * j + 1] +
                      (double)W0[3 * j + 2] * W0[3 * j + 2];
    g->sums[j] = n * b0[j];
    g->sums[g->d + j] = n * (double)b0[j] * b0[j] + w2 * r2_local / 3.0;
  }
  symgnn_bn_stats(bn0, g->sums, s->eglob, &s->opts->reduce);
}

/* The encoder's two BatchNorms with their batch-statistics slots. */
static void encoder_bns(const symgnn_step *s, symgnn_bn *bn0, symgnn_bn *bn1) {
  const symgnn_layout *L = &s->tr->lay;
  double *work = TB_D(s->tr->work);
  symgnn_step_bn(s, &L->edge_bn0, symgnn_slot_edge_bn(s, 0, 0), work, bn0);
  symgnn_step_bn(s, &L->edge_bn1, symgnn_slot_edge_bn(s, 0, 1), work, bn1);
}

void symgnn_haar_encoder_forward(symgnn_step *s) {
  symgnn_trainer *tr = s->tr;
  const symgnn_layout *L = &tr->lay;
  grid g;
  grid_of(s, &g);
  const int d = g.d, n = g.G + 1, P = n * g.Q;
  symgnn_sphere_directions(HAAR_ORDER, g.u, g.w);
  /* the edges' distribution on the grid, and E[r^2] */
  memset(g.rho_loc, 0, (size_t)n * sizeof(double));
  double r2 = 0.0;
  int *idx = (int *)tr->hidx.p;
  double *frac = TB_D(tr->hfrac);
  for (int64_t e = 0; e < s->ne; ++e) { /* kept for layer 0 and the backward pass */
    double r;
    locate(s, &g, e, idx + e, frac + e, &r);
    g.rho_loc[idx[e]] += 1.0 - frac[e];
    g.rho_loc[idx[e] + 1] += frac[e];
    r2 += r * r;
  }
  memcpy(g.rho, g.rho_loc, (size_t)n * sizeof(double));
  g.rho[n] = r2;
  symgnn_reduce_sum(&s->opts->reduce, g.rho, (size_t)n + 1);
  g.m2 = g.rho[n] / s->eglob;
  symgnn_bn bn0, bn1;
  encoder_bns(s, &bn0, &bn1);
  bn0_stats(s, &g, &bn0, r2);
  /* y1 at every grid point, and BN1's sums weighted by this rank's edges:
   * chunks of points shared among the threads, each summing into its own
   * accumulators, which are added in thread order */
  const symgnn_lin_ref *lin1 = &L->edge_lin1;
  const int nchunk = (P + HAAR_CHUNK - 1) / HAAR_CHUNK;
  const size_t accsz = HAAR_ACC(d);
#pragma omp parallel num_threads(g.nth) if (g.nth > 1)
  {
    const int tid = symgnn_thread_id();
    float *a = g.a + (size_t)tid * 3 * HAAR_CHUNK * d;
    double *sums = g.acc + (size_t)tid * accsz;
    memset(sums, 0, 2 * (size_t)d * sizeof(double));
#pragma omp for schedule(static)
    for (int ch = 0; ch < nchunk; ++ch) {
      const int p0 = ch * HAAR_CHUNK, m = P - p0 < HAAR_CHUNK ? P - p0 : HAAR_CHUNK;
      float *y = g.y1 + (size_t)p0 * d;
      first_layer(s, &g, &bn0, p0, m, a);
      for (int c = 0; c < m; ++c)
        memcpy(y + (size_t)c * d, s->params + lin1->b, (size_t)d * sizeof(float));
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, d, d, 1.0f, a, d, s->params + lin1->w,
                  d, 1.0f, y, d);
      for (int c = 0; c < m; ++c) {
        const int p = p0 + c;
        const double om = g.rho_loc[p / g.Q] * g.w[p % g.Q];
        if (om == 0.0) continue;
        for (int j = 0; j < d; ++j) {
          const double v = y[(size_t)c * d + j];
          sums[j] += om * v;
          sums[d + j] += om * v * v;
        }
      }
    }
  }
  memset(g.sums, 0, 2 * (size_t)d * sizeof(double));
  for (int t = 0; t < g.nth; ++t)
    for (int j = 0; j < 2 * d; ++j) g.sums[j] += g.acc[(size_t)t * accsz + j];
  symgnn_bn_stats(&bn1, g.sums, s->eglob, &s->opts->reduce);
  /* h at the grid distances (each distance's directions on one thread), then
   * g0 of every edge by linear interpolation */
#pragma omp parallel for schedule(static) num_threads(g.nth) if (g.nth > 1)
  for (int i = 0; i < n; ++i) {
    double *h = g.H + (size_t)i * d;
    memset(h, 0, (size_t)d * sizeof(double));
    for (int q = 0; q < g.Q; ++q) {
      const float *y = g.y1 + ((size_t)i * g.Q + q) * d;
      const double wq = g.w[q];
      for (int j = 0; j < d; ++j) {
        const double v = bn1.gamma[j] * (y[j] - bn1.mean[j]) * bn1.istd[j] + bn1.beta[j];
        if (v > 0.0) h[j] += wq * v;
      }
    }
  }
  float *g0 = TB_F(tr->g[0]);
#pragma omp parallel for schedule(static) num_threads(tr->nth) if (tr->nth > 1)
  for (int64_t e = 0; e < s->ne; ++e) {
    const double f = frac[e], *h0 = g.H + (size_t)idx[e] * d, *h1 = h0 + d;
    for (int j = 0; j < d; ++j) g0[(size_t)e * d + j] = (float)((1.0 - f) * h0[j] + f * h1[j]);
  }
}

const double *symgnn_haar_grid_values(const symgnn_step *s) {
  grid g;
  grid_of(s, &g);
  return g.H;
}

/* BN1's gradient sums over every grid point, G1 = sum g and G2 = sum g xhat
 * with g = dL/dxhat1, and its gamma and beta gradients, each distance's
 * points on one thread (per-thread sums added in thread order). The points
 * are shared by all ranks (only their weights come from the edges) and the
 * chain is linear in dH, so every rank's share uses its own sums: no
 * reduction. */
static void bn1_grad_sums(const grid *g, const symgnn_bn *bn1, double *G1, double *G2) {
  const int d = g->d, n = g->G + 1;
  const size_t accsz = HAAR_ACC(d);
#pragma omp parallel num_threads(g->nth) if (g->nth > 1)
  {
    double *acc = g->acc + (size_t)symgnn_thread_id() * accsz; /* G1, G2, dgamma, dbeta */
    memset(acc, 0, 4 * (size_t)d * sizeof(double));
#pragma omp for schedule(static)
    for (int i = 0; i < n; ++i) {
      const double *dh = g->dH + (size_t)i * d;
      for (int q = 0; q < g->Q; ++q) {
        const float *y = g->y1 + ((size_t)i * g->Q + q) * d;
        const double wq = g->w[q];
        for (int j = 0; j < d; ++j) {
          const double xh = (y[j] - bn1->mean[j]) * bn1->istd[j];
          const double v = bn1->gamma[j] * xh + bn1->beta[j];
          if (!(v > 0.0)) continue;
          const double dv = wq * dh[j];
          acc[j] += bn1->gamma[j] * dv;
          acc[d + j] += bn1->gamma[j] * dv * xh;
          acc[2 * d + j] += dv * xh;
          acc[3 * d + j] += dv;
        }
      }
    }
  }
  memset(G1, 0, 2 * (size_t)d * sizeof(double));
  for (int t = 0; t < g->nth; ++t) {
    const double *acc = g->acc + (size_t)t * accsz;
    for (int j = 0; j < d; ++j) {
      G1[j] += acc[j];
      G2[j] += acc[d + j];
      bn1->dgamma[j] += acc[2 * d + j];
      bn1->dbeta[j] += acc[3 * d + j];
    }
  }
}

/* Gradient of one chunk of m grid points from p0 on thread scratch a (a, dy,
 * da) into the thread's accumulators acc: the second Linear's weight and
 * bias (acc[0, d*d + d)), BN0's gamma and beta (next 2d), the variance-path
 * sums A (next d) and the first Linear's weight (next 3d). */
static void chunk_backward(const symgnn_step *s, const grid *g, const symgnn_bn *bn0,
                           const symgnn_bn *bn1, const double *G1, const double *G2, int p0, int m,
                           float *a, double *acc, float *tmp) {
  const int d = g->d;
  const symgnn_layout *L = &s->tr->lay;
  const float *W0 = s->params + L->edge_lin0.w, *W1 = s->params + L->edge_lin1.w;
  float *dy = a + (size_t)HAAR_CHUNK * d, *da = dy + (size_t)HAAR_CHUNK * d;
  double *dw1 = acc, *db1 = dw1 + (size_t)d * d, *dg0 = db1 + d, *db0 = dg0 + d, *A = db0 + d;
  double *dW0 = A + d;
  for (int c = 0; c < m; ++c) { /* weighted BN1: dL/dy1 = istd (g - om G1 - om xhat G2) */
    const int p = p0 + c;
    const float *y = g->y1 + (size_t)p * d;
    const double *dh = g->dH + (size_t)(p / g->Q) * d, wq = g->w[p % g->Q];
    const double om = g->rho[p / g->Q] * wq / s->eglob;
    for (int j = 0; j < d; ++j) {
      const double xh = (y[j] - bn1->mean[j]) * bn1->istd[j];
      const double v = bn1->gamma[j] * xh + bn1->beta[j];
      const double gp = v > 0.0 ? bn1->gamma[j] * wq * dh[j] : 0.0;
      dy[(size_t)c * d + j] = (float)(bn1->istd[j] * (gp - om * G1[j] - om * xh * G2[j]));
    }
  }
  first_layer(s, g, bn0, p0, m, a);
  symgnn_acc_tn(dw1, dy, d, a, d, m, d, d, tmp);
  symgnn_acc_colsum(db1, dy, m, d);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, d, d, 1.0f, dy, d, W1, d, 0.0f, da, d);
  for (int c = 0; c < m; ++c) { /* the first ReLU, BN0's gamma and beta, and W0 */
    const int p = p0 + c, i = p / g->Q;
    const double *u = g->u + 3 * (p % g->Q), r = i * g->dr;
    for (int j = 0; j < d; ++j) {
      if (!(a[(size_t)c * d + j] > 0.0f)) continue;
      const double dn = da[(size_t)c * d + j];
      const double wx = r * (u[0] * W0[3 * j] + u[1] * W0[3 * j + 1] + u[2] * W0[3 * j + 2]);
      const double xh = wx * bn0->istd[j];
      dg0[j] += dn * xh;
      db0[j] += dn;
      const double dx = bn0->gamma[j] * dn; /* dL/dxhat0 */
      A[j] += dx * wx;
      for (int k = 0; k < 3; ++k) dW0[3 * j + k] += bn0->istd[j] * dx * r * u[k];
    }
  }
}

void symgnn_haar_encoder_backward(symgnn_step *s) {
  symgnn_trainer *tr = s->tr;
  const symgnn_layout *L = &tr->lay;
  grid g;
  grid_of(s, &g);
  const int d = g.d, n = g.G + 1, P = n * g.Q;
  const float *dg0 = TB_F(tr->dg);
  g.m2 = g.rho[n] / s->eglob; /* kept from the forward pass, as are u, w, rho and y1 */
  /* layer 0's edge term gave dC W_fij on the grid; the residual path adds
   * each edge's gradient at its two grid points */
  memcpy(g.dH, tr->hdcw.p, (size_t)n * d * sizeof(double));
  const int *idx = (const int *)tr->hidx.p;
  const double *frac = TB_D(tr->hfrac);
  for (int64_t e = 0; e < s->ne; ++e) {
    const double f = frac[e];
    double *d0 = g.dH + (size_t)idx[e] * d, *d1 = d0 + d;
    for (int j = 0; j < d; ++j) {
      const double v = dg0[(size_t)e * d + j];
      d0[j] += (1.0 - f) * v;
      d1[j] += f * v;
    }
  }
  symgnn_bn bn0, bn1;
  encoder_bns(s, &bn0, &bn1);
  double *G1 = g.sums, *G2 = g.sums + d;
  bn1_grad_sums(&g, &bn1, G1, G2);
  /* chunks of points shared among the threads, per-thread accumulators added
   * in thread order */
  const int nchunk = (P + HAAR_CHUNK - 1) / HAAR_CHUNK;
  const size_t accsz = HAAR_ACC(d), nacc = (size_t)d * d + 7 * (size_t)d;
#pragma omp parallel num_threads(g.nth) if (g.nth > 1)
  {
    const int tid = symgnn_thread_id();
    double *acc = g.acc + (size_t)tid * accsz;
    float *tmp = TB_F(tr->gtmp) + (size_t)tid * 2 * tr->hwmax * d;
    memset(acc, 0, nacc * sizeof(double));
#pragma omp for schedule(static)
    for (int ch = 0; ch < nchunk; ++ch) {
      const int p0 = ch * HAAR_CHUNK, m = P - p0 < HAAR_CHUNK ? P - p0 : HAAR_CHUNK;
      chunk_backward(s, &g, &bn0, &bn1, G1, G2, p0, m, g.a + (size_t)tid * 3 * HAAR_CHUNK * d, acc,
                     tmp);
    }
  }
  double *dw1 = s->gacc + L->edge_lin1.w, *db1 = s->gacc + L->edge_lin1.b;
  /* A in place of G1, G2 (used up); h stays for layer 0's table and a reuse of the inputs */
  double *dW0 = s->gacc + L->edge_lin0.w, *A = g.sums;
  memset(A, 0, (size_t)d * sizeof(double));
  for (int t = 0; t < g.nth; ++t) {
    const double *acc = g.acc + (size_t)t * accsz, *a1 = acc + (size_t)d * d;
    for (size_t k = 0; k < (size_t)d * d; ++k) dw1[k] += acc[k];
    for (int j = 0; j < d; ++j) {
      db1[j] += a1[j];
      bn0.dgamma[j] += a1[d + j];
      bn0.dbeta[j] += a1[2 * d + j];
      A[j] += a1[3 * d + j];
    }
    for (int k = 0; k < 3 * d; ++k) dW0[k] += a1[4 * d + k];
  }
  const float *W0 = s->params + L->edge_lin0.w;
  /* the variance path: istd0 = (|W0_j|^2 m2/3 + eps)^(-1/2) depends on W0 */
  for (int j = 0; j < d; ++j) {
    const double s0 = bn0.istd[j], c = -s0 * s0 * s0 * g.m2 / 3.0 * A[j];
    for (int k = 0; k < 3; ++k) dW0[3 * j + k] += c * W0[3 * j + k];
  }
}
