/* The exact O(3) average of the edge encoder: sphere rule, sphere means of
 * phi and its r-derivative, and the interpolation table built by refinement.
 *
 * phi is a ReLU network, so phi(r u) has kinks on curves of the sphere and
 * no rule converges spectrally; the error is measured while building, by
 * comparing rules and spacings, not assumed. */
#include "symgnn_haar.h"
#include "symgnn_layout.h"
#include "symgnn_threads.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Directions processed together: one sgemm of [2*CHUNK][width] x W1^T. */
#define CHUNK 128
/* Rule and table parameters: the first and the largest order, the cell
 * width (Angstrom) and the deepest halving of a cell. */
#define ORDER_FIRST 96
#define ORDER_MAX 432
#define CELL_WIDTH 0.08
#define LEVEL_MAX 10
/* Error budget relative to max |g0|: quadrature, then interpolation. */
#define TOL_QUAD 7e-6
#define TOL_INTERP 3e-6

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

/* Wall clock in seconds (C11). */
static double now(void) {
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Sphere means (value and derivative) at n distances r[i] into hv/dv
 * [n][d], the distances split over threads (each result depends on its
 * distance only, so not on the thread count). */
static int average_many(const symgnn_encoder_ref *enc, const symgnn_sphere_rule *rule, int n,
                        const double *r, double *hv, double *dv, int nthreads) {
  const size_t d = (size_t)enc->width;
  int ok = 1;
  const int nth = nthreads > 0 ? nthreads : symgnn_threads_max();
  const int blas = symgnn_blas_single(nth);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nth) if (nth > 1) reduction(&& : ok)
  for (int i = 0; i < n; ++i)
    ok = ok && symgnn_sphere_average(enc, rule, r[i], hv + i * d, dv ? dv + i * d : NULL);
  symgnn_blas_restore(nth, blas);
  return ok;
}

/* Largest |a - b| over n values. */
static double max_diff(size_t n, const double *a, const double *b) {
  double m = 0.0;
  for (size_t i = 0; i < n; ++i) m = fmax(m, fabs(a[i] - b[i]));
  return m;
}

/* Largest |x| over n values. */
static double max_abs(size_t n, const double *a) {
  double m = 0.0;
  for (size_t i = 0; i < n; ++i) m = fmax(m, fabs(a[i]));
  return m;
}

/* Cubic Hermite basis at s in [0, 1]: value weights of the left and right
 * node and derivative weights (in units of the spacing). */
static void hermite(double s, double b[4]) {
  b[0] = (1.0 + 2.0 * s) * (1.0 - s) * (1.0 - s);
  b[1] = s * (1.0 - s) * (1.0 - s);
  b[2] = s * s * (3.0 - 2.0 * s);
  b[3] = s * s * (s - 1.0);
}

/* The rule's order: the lowest of 96, 144, 216, ... whose means at four
 * probe distances agree with the rule of twice its order to TOL_QUAD of the
 * scale (ReLU kinks limit every rule's convergence, so it is measured). */
static symgnn_status choose_order(const symgnn_encoder_ref *enc, double rmax, int nthreads,
                                  symgnn_sphere_rule *rule, symgnn_haar_table_info *info,
                                  symgnn_error *err) {
  const size_t d = (size_t)enc->width;
  const double probe[4] = {0.55 * rmax, 0.7 * rmax, 0.85 * rmax, rmax};
  double *a = malloc(8 * d * sizeof(double)), *b = a ? a + 4 * d : NULL;
  if (!a) return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for the haar table");
  symgnn_sphere_rule finer;
  symgnn_status st = SYMGNN_OK;
  for (int order = ORDER_FIRST; st == SYMGNN_OK; order = order * 3 / 2) {
    if ((st = symgnn_sphere_rule_make(order, enc, rule, err)) != SYMGNN_OK) break;
    if ((st = symgnn_sphere_rule_make(2 * order, enc, &finer, err)) != SYMGNN_OK) break;
    const int ok = average_many(enc, rule, 4, probe, a, NULL, nthreads) &&
                   average_many(enc, &finer, 4, probe, b, NULL, nthreads);
    symgnn_sphere_rule_free(&finer);
    if (!ok) {
      st = symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for the haar table");
      break;
    }
    info->order = order;
    info->quad_error = max_diff(4 * d, a, b) / fmax(max_abs(4 * d, b), 1e-30);
    if (info->quad_error <= TOL_QUAD || order * 3 / 2 > ORDER_MAX) break;
    symgnn_sphere_rule_free(rule);
  }
  free(a);
  if (st != SYMGNN_OK) symgnn_sphere_rule_free(rule);
  return st;
}

/* One cell of the table while it is refined: its nodes at spacing
 * CELL_WIDTH / 2^level, values and r-derivatives in double. */
typedef struct {
  int level, open;
  double error;   /* measured at the midpoints of the previous level */
  double *h, *dh; /* [2^level + 1][d] */
} cell;

/* Halve the spacing of every open cell at once: compute all their
 * midpoints in one threaded batch, measure each cell's Hermite interpolant
 * there, merge, and close the cells within TOL_INTERP (or at LEVEL_MAX). */
static symgnn_status refine_round(cell *c, int ncell, double dr0, double scale,
                                  const symgnn_encoder_ref *enc, const symgnn_sphere_rule *rule,
                                  int nthreads, symgnn_error *err) {
  const size_t d = (size_t)enc->width;
  size_t n = 0;
  for (int k = 0; k < ncell; ++k)
    if (c[k].open) n += (size_t)1 << c[k].level;
  double *r = malloc(n * sizeof(double));
  double *mh = malloc(n * d * sizeof(double)), *md = malloc(n * d * sizeof(double));
  int ok = r && mh && md;
  size_t q = 0;
  for (int k = 0; ok && k < ncell; ++k) {
    const int m = c[k].open ? 1 << c[k].level : 0;
    for (int i = 0; i < m; ++i) r[q++] = dr0 * (k + (i + 0.5) / m);
  }
  ok = ok && average_many(enc, rule, (int)n, r, mh, md, nthreads);
  q = 0;
  for (int k = 0; ok && k < ncell; ++k) {
    if (!c[k].open) continue;
    const int m = 1 << c[k].level;
    const double hs = dr0 / m;
    double *nh = malloc((2 * (size_t)m + 1) * d * sizeof(double));
    double *nd = malloc((2 * (size_t)m + 1) * d * sizeof(double));
    if (!(ok = nh && nd)) {
      free(nh);
      free(nd);
      break;
    }
    double b[4], e = 0.0;
    hermite(0.5, b);
    for (int i = 0; i <= m; ++i) {
      memcpy(nh + 2 * i * d, c[k].h + i * d, d * sizeof(double));
      memcpy(nd + 2 * i * d, c[k].dh + i * d, d * sizeof(double));
      if (i == m) break;
      const double *h0 = c[k].h + i * d, *g0 = c[k].dh + i * d, *h1 = h0 + d, *g1 = g0 + d;
      const double *ph = mh + (q + i) * d, *pd = md + (q + i) * d;
      for (size_t j = 0; j < d; ++j)
        e = fmax(e,
                 fabs(b[0] * h0[j] + b[1] * hs * g0[j] + b[2] * h1[j] + b[3] * hs * g1[j] - ph[j]));
      memcpy(nh + (2 * i + 1) * d, ph, d * sizeof(double));
      memcpy(nd + (2 * i + 1) * d, pd, d * sizeof(double));
    }
    q += (size_t)m;
    free(c[k].h);
    free(c[k].dh);
    c[k].h = nh;
    c[k].dh = nd;
    c[k].level++;
    c[k].error = e / scale;
    c[k].open = c[k].error > TOL_INTERP && c[k].level < LEVEL_MAX;
  }
  free(r);
  free(mh);
  free(md);
  return ok ? SYMGNN_OK
            : symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for the haar table");
}

/* Coarse nodes at the cell edges, then refinement rounds until every cell is
 * closed. */
static symgnn_status build_cells(cell *c, int ncell, double dr0, const symgnn_encoder_ref *enc,
                                 const symgnn_sphere_rule *rule, int nthreads, double *scale,
                                 symgnn_error *err) {
  const size_t d = (size_t)enc->width;
  double *r = malloc(((size_t)ncell + 1) * sizeof(double));
  double *h = malloc(((size_t)ncell + 1) * d * sizeof(double));
  double *g = malloc(((size_t)ncell + 1) * d * sizeof(double));
  int ok = r && h && g;
  for (int k = 0; ok && k <= ncell; ++k) r[k] = k * dr0;
  ok = ok && average_many(enc, rule, ncell + 1, r, h, g, nthreads);
  for (int k = 0; ok && k < ncell; ++k) {
    c[k].open = 1;
    if ((ok = (c[k].h = malloc(2 * d * sizeof(double))) &&
              (c[k].dh = malloc(2 * d * sizeof(double))))) {
      memcpy(c[k].h, h + k * d, 2 * d * sizeof(double));
      memcpy(c[k].dh, g + k * d, 2 * d * sizeof(double));
    }
  }
  *scale = ok ? fmax(max_abs(((size_t)ncell + 1) * d, h), 1e-30) : 1.0;
  free(r);
  free(h);
  free(g);
  if (!ok) return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for the haar table");
  symgnn_status st = SYMGNN_OK;
  for (int round = 0; st == SYMGNN_OK && round < LEVEL_MAX; ++round)
    st = refine_round(c, ncell, dr0, *scale, enc, rule, nthreads, err);
  return st;
}

/* Move the refined cells into the float table. */
static symgnn_status pack(symgnn_haar_table *t, const cell *c, symgnn_error *err) {
  const size_t d = (size_t)t->width;
  int64_t n = 0;
  for (int k = 0; k < t->ncell; ++k) {
    t->start[k] = n;
    t->level[k] = c[k].level;
    n += ((int64_t)1 << c[k].level) + 1;
    t->info.interp_error = fmax(t->info.interp_error, c[k].error);
  }
  if (!(t->val = malloc((size_t)n * 2 * d * sizeof(float))))
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for the haar table");
  for (int k = 0; k < t->ncell; ++k)
    for (int64_t i = 0; i <= ((int64_t)1 << c[k].level); ++i) {
      float *v = t->val + (size_t)(t->start[k] + i) * 2 * d;
      for (size_t j = 0; j < d; ++j) {
        v[j] = (float)c[k].h[i * d + j];
        v[d + j] = (float)c[k].dh[i * d + j];
      }
    }
  t->info.ndist = (int)n;
  return SYMGNN_OK;
}

symgnn_status symgnn_haar_table_build(symgnn_haar_table *t, const symgnn_encoder_ref *enc,
                                      double rmax, int nthreads, symgnn_error *err) {
  const double t0 = now();
  memset(t, 0, sizeof *t);
  if (!(rmax > 0.0) || !isfinite(rmax))
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "haar table range %g is not positive", rmax);
  t->width = enc->width;
  t->rmax = rmax;
  t->ncell = (int)ceil(rmax / CELL_WIDTH);
  if (t->ncell < 4) t->ncell = 4;
  t->dr0 = rmax / t->ncell;
  t->inv_dr0 = 1.0 / t->dr0;
  symgnn_sphere_rule rule;
  symgnn_status st = choose_order(enc, rmax, nthreads, &rule, &t->info, err);
  if (st != SYMGNN_OK) return st;
  cell *c = calloc((size_t)t->ncell, sizeof *c);
  t->level = malloc((size_t)t->ncell * sizeof(int));
  t->start = malloc((size_t)t->ncell * sizeof(int64_t));
  if (!c || !t->level || !t->start)
    st = symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for the haar table");
  if (st == SYMGNN_OK)
    st = build_cells(c, t->ncell, t->dr0, enc, &rule, nthreads, &t->info.scale, err);
  if (st == SYMGNN_OK) st = pack(t, c, err);
  for (int k = 0; c && k < t->ncell; ++k) {
    free(c[k].h);
    free(c[k].dh);
  }
  free(c);
  symgnn_sphere_rule_free(&rule);
  if (st != SYMGNN_OK) {
    symgnn_haar_table_free(t);
    return st;
  }
  t->info.dr = t->dr0;
  t->info.build_seconds = now() - t0;
  return SYMGNN_OK;
}

void symgnn_haar_table_free(symgnn_haar_table *t) {
  free(t->val);
  free(t->level);
  free(t->start);
  t->val = NULL;
  t->level = NULL;
  t->start = NULL;
}

void symgnn_haar_table_lookup(const symgnn_haar_table *t, double r, float *out) {
  const int d = t->width;
  const double x = r * t->inv_dr0;
  int k = x > 0.0 ? (int)x : 0;
  if (k > t->ncell - 1) k = t->ncell - 1;
  double s = x - k;
  s = s < 0.0 ? 0.0 : (s > 1.0 ? 1.0 : s);
  const int m = 1 << t->level[k];
  const double y = s * m;
  int i = (int)y;
  if (i > m - 1) i = m - 1;
  double b[4];
  hermite(y - i, b);
  const double hs = t->dr0 / m; /* derivatives are stored per Angstrom */
  const float b0 = (float)b[0], b1 = (float)(b[1] * hs), b2 = (float)b[2], b3 = (float)(b[3] * hs);
  const float *p = t->val + (size_t)(t->start[k] + i) * 2 * d, *q = p + 2 * (size_t)d;
#pragma omp simd
  for (int j = 0; j < d; ++j) out[j] = b0 * p[j] + b1 * p[d + j] + b2 * q[j] + b3 * q[d + j];
}
