/* The table of g0(r) = mean over unit vectors u of phi(r u), exact for a
 * given sphere rule at every grid distance.
 *
 * phi(x) = relu(relu(x W0 + b0) W1^T + b1) is a ReLU network, so along the
 * ray r -> r u each output phi_k is continuous and piecewise linear in r:
 * its slope changes only where a first-layer unit switches (r = -b0_j / p_j,
 * p = u W0) or where the output itself crosses zero. A ray contributes
 *   phi_k(r) = phi_k(0) + s_k r + sum over events e < r of D_ke (r - r_e),
 * so the rule's weighted sum at every grid distance follows from prefix sums
 * of the slope changes D and of D r_e binned on the grid: the cost is per
 * ray (a few vector operations per event), not per ray and distance.
 *
 * The table's spacing is halved until the Hermite interpolant of the
 * cheapest rule, computed at half the spacing, meets its tolerance at every
 * midpoint; then, on the table's grid, the rule's order is raised (by 3/2)
 * until two successive rules agree everywhere. ReLU kinks limit every rule's
 * convergence, so both errors are measured, not assumed. */
#include "symgnn_error.h"
#include "symgnn_haar.h"
#include "symgnn_multiversion.h"
#include "symgnn_threads.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Orders tried in turn (each compared with the one before), the table's
 * spacing (Angstrom, at most), and the error budget relative to max |g0|:
 * quadrature (difference of successive rules), then interpolation. */
static const int kOrders[] = {96, 144, 216, 324, 486, 729};
#define NORDERS ((int)(sizeof kOrders / sizeof kOrders[0]))
#define DR_MAX 0.005
#define TOL_QUAD 3e-6
#define TOL_INTERP 2e-6

/* Wall clock in seconds (C11). */
static double now(void) {
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The encoder in double, with the output offsets and slopes of the rays at
 * r = 0: alpha0 = b1 + W1 relu(b0) and M = W1 diag(b0 > 0) W0^T, so a ray's
 * initial slope is M u. W1 is kept transposed (w1t[j][k] = W1[k][j]) and M
 * by component (m[c][k]) so that the loops over outputs k are contiguous. */
typedef struct {
  int d;
  double *w0, *b0, *w1t, *alpha0, *m; /* [3][d], [d], [d][d], [d], [3][d] */
} encoder64;

static int encoder64_make(const symgnn_encoder_ref *e, encoder64 *x) {
  const int d = e->width;
  x->d = d;
  x->w0 = malloc(((size_t)d * d + 8 * (size_t)d) * sizeof(double));
  if (!x->w0) return 0;
  x->b0 = x->w0 + 3 * d;
  x->w1t = x->b0 + d;
  x->alpha0 = x->w1t + (size_t)d * d;
  x->m = x->alpha0 + d;
  for (int i = 0; i < 3 * d; ++i) x->w0[i] = e->w0[i];
  for (int j = 0; j < d; ++j) x->b0[j] = e->b0[j];
  for (int k = 0; k < d; ++k)
    for (int j = 0; j < d; ++j) x->w1t[(size_t)j * d + k] = e->w1[(size_t)k * d + j];
  for (int k = 0; k < d; ++k) {
    double a = e->b1[k], m[3] = {0.0, 0.0, 0.0};
    for (int j = 0; j < d; ++j)
      if (x->b0[j] > 0.0) {
        const double wkj = e->w1[(size_t)k * d + j];
        a += wkj * x->b0[j];
        for (int c = 0; c < 3; ++c) m[c] += wkj * x->w0[c * d + j];
      }
    x->alpha0[k] = a;
    for (int c = 0; c < 3; ++c) x->m[c * d + k] = m[c];
  }
  return 1;
}

/* Per-thread sums over rays: value and slope at 0 (a, s), and the binned
 * slope changes c and c * r_e for the m target distances, plus one spare
 * row that takes the changes beyond them (never read). */
typedef struct {
  double *a, *s;  /* [d] */
  double *c, *cr; /* [m + 1][d] */
} ray_sums;

/* A first-layer switch on a ray: unit j turns on (+1) or off (-1) at r. */
typedef struct {
  double r;
  int j, dir;
} ray_event;

/* State of one ray, per output k: z_k(r) = alpha_k + beta_k r on the current
 * segment, its slope while positive (sigma_k: beta_k or 0) and the sign of
 * its side (+1 on, -1 off). */
typedef struct {
  double *p, *alpha, *beta, *sigma, *side; /* [d] each */
  ray_event *ev;                           /* [d] */
} ray_scratch;

/* The m ascending distances where the means are wanted: the uniform grid
 * r_i = i rmax / (m - 1) (r NULL) or the array r. */
typedef struct {
  int m;
  const double *r;
  double rmax, inv_dr;
} ray_targets;

/* Row of the first target distance beyond x (m: beyond them all, the spare
 * row): O(1) on the uniform grid, a binary search in an array. */
static size_t bin_of(const ray_targets *g, double x) {
  if (!g->r) {
    const double b = floor(x * g->inv_dr) + 1.0;
    return b >= g->m ? (size_t)g->m : (size_t)b;
  }
  size_t lo = 0, hi = (size_t)g->m;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (g->r[mid] > x)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

/* Outputs that cross zero inside the current segment, before the distance
 * `end`: their slope changes at the crossing, deposited in output order.
 * Inlined into ray (and so built for its instruction sets); the division
 * is done for the crossing outputs only. */
static inline void crossings(int d, ray_scratch *x, ray_sums *t, const ray_targets *g, double w,
                             double end) {
  for (int k = 0; k < d; ++k) {
    if (!(x->side[k] * (x->alpha[k] + x->beta[k] * end) < 0.0)) continue;
    const double rc = -x->alpha[k] / x->beta[k];
    const double sigma = x->side[k] > 0.0 ? 0.0 : x->beta[k];
    const size_t i = bin_of(g, rc) * (size_t)d + (size_t)k;
    const double delta = w * (sigma - x->sigma[k]);
    t->c[i] += delta;
    t->cr[i] += delta * rc;
    x->sigma[k] = sigma;
    x->side[k] = -x->side[k];
  }
}

/* Whether some output crosses zero before `end` (branch-free, vectorizes). */
static int any_crossing(int d, const ray_scratch *x, double end) {
  int any = 0;
  for (int k = 0; k < d; ++k) any |= x->side[k] * (x->alpha[k] + x->beta[k] * end) < 0.0;
  return any;
}

/* A first-layer unit switches at distance r (its column wj of W1 enters
 * the outputs with offset bj and slope pj): every output's line moves, and
 * the change of its slope while positive is deposited into the grid row
 * (c, cr). Separate restrict arrays, so the loop vectorizes. */
static inline void switch_unit(int d, const double *restrict wj, double bj, double pj, double r,
                               double w, double *restrict alpha, double *restrict beta,
                               double *restrict sigma, double *restrict side, double *restrict c,
                               double *restrict cr) {
  for (int k = 0; k < d; ++k) {
    const double al = alpha[k] + wj[k] * bj, be = beta[k] + wj[k] * pj;
    const double z = al + be * r;
    const int on = (z > 0.0) | ((z == 0.0) & (be > 0.0));
    const double sk = on ? be : 0.0, delta = w * (sk - sigma[k]);
    c[k] += delta;
    cr[k] += delta * r;
    alpha[k] = al;
    beta[k] = be;
    sigma[k] = sk;
    side[k] = on ? 1.0 : -1.0;
  }
}

/* One ray of direction u and weight w on [0, rmax]. The loops over outputs
 * are branch-free so that they vectorize; SYMGNN_HOT builds them for the
 * widest vectors the CPU has. */
SYMGNN_HOT static void ray(const encoder64 *e, const double u[3], double w, const ray_targets *g,
                           ray_scratch *x, ray_sums *t) {
  const double rmax = g->rmax;
  const int d = e->d;
  int nev = 0;
  for (int j = 0; j < d; ++j)
    x->p[j] = u[0] * e->w0[j] + u[1] * e->w0[d + j] + u[2] * e->w0[2 * d + j];
  for (int j = 0; j < d; ++j) {
    const double p = x->p[j], b = e->b0[j];
    if (p == 0.0 || (b > 0.0) == (p > 0.0) || (b == 0.0 && p < 0.0)) continue;
    const double r = -b / p; /* the unit switches here: on if p > 0 */
    if (r >= rmax) continue;
    int i = nev++;
    for (; i > 0 && x->ev[i - 1].r > r; --i) x->ev[i] = x->ev[i - 1];
    x->ev[i].r = r;
    x->ev[i].j = j;
    x->ev[i].dir = p > 0.0 ? 1 : -1;
  }
  const double *m0 = e->m, *m1 = e->m + d, *m2 = e->m + 2 * d;
  for (int k = 0; k < d; ++k) {
    const double a = e->alpha0[k], s = m0[k] * u[0] + m1[k] * u[1] + m2[k] * u[2];
    const int on = (a > 0.0) | ((a == 0.0) & (s > 0.0));
    const double sigma = on ? s : 0.0;
    x->alpha[k] = a;
    x->beta[k] = s;
    x->side[k] = on ? 1.0 : -1.0;
    x->sigma[k] = sigma;
    t->a[k] += w * (a > 0.0 ? a : 0.0);
    t->s[k] += w * sigma;
  }
  for (int q = 0; q < nev; ++q) {
    const ray_event *v = &x->ev[q];
    const double r = v->r;
    if (any_crossing(d, x, r)) crossings(d, x, t, g, w, r);
    const double bj = v->dir * e->b0[v->j], pj = v->dir * x->p[v->j];
    const size_t row = bin_of(g, r) * (size_t)d;
    switch_unit(d, e->w1t + (size_t)v->j * d, bj, pj, r, w, x->alpha, x->beta, x->sigma, x->side,
                t->c + row, t->cr + row);
  }
  if (any_crossing(d, x, rmax)) crossings(d, x, t, g, w, rmax);
}

/* g0 and, when g is not NULL, its derivative at the target distances, for
 * the rule of a given order, into h and g ([m][d]); rays split over threads,
 * each with its own sums, added in thread order. Returns 0 when out of
 * memory. */
static int means_at(const encoder64 *e, int order, const ray_targets *tg, int nthreads, double *h,
                    double *g) {
  const int d = e->d, nq = 2 * order * order, m = tg->m;
  const size_t ns = (2 + 2 * ((size_t)m + 1)) * (size_t)d;
  const int nth = nthreads > 0 ? nthreads : symgnn_threads_max();
  double *u = malloc((size_t)nq * 4 * sizeof(double)),
         *sums = calloc((size_t)nth * ns, sizeof(double));
  int ok = u && sums && symgnn_sphere_directions(order, u, u + 3 * (size_t)nq);
#pragma omp parallel num_threads(nth) if (nth > 1) reduction(&& : ok)
  {
    const int tid = symgnn_thread_id();
    double *sc = malloc((size_t)d * (5 * sizeof(double) + sizeof(ray_event)));
    ok = ok && sc;
    ray_scratch x = {NULL, NULL, NULL, NULL, NULL, NULL};
    if (sc) {
      x.p = sc;
      x.alpha = sc + d;
      x.beta = sc + 2 * d;
      x.sigma = sc + 3 * d;
      x.side = sc + 4 * d;
      x.ev = (ray_event *)(sc + 5 * d);
    }
    double *base = sums + (size_t)tid * ns;
    ray_sums t = {base, base + d, base + 2 * d, base + 2 * d + ((size_t)m + 1) * d};
#pragma omp for schedule(static, 256)
    for (int q = 0; q < nq; ++q)
      if (ok) ray(e, u + 3 * (size_t)q, u[3 * (size_t)nq + q], tg, &x, &t);
    free(sc);
  }
  for (int th = 1; ok && th < nth; ++th)
    for (size_t i = 0; i < ns; ++i) sums[i] += sums[(size_t)th * ns + i];
  if (ok) { /* prefix sums: the slope changes of every event before r_i */
    double *a = sums, *s = sums + d, *cr = sums + 2 * d + ((size_t)m + 1) * d;
    const double *c = sums + 2 * d, dr = tg->r ? 0.0 : tg->rmax / (m - 1);
    for (int i = 0; i < m; ++i) {
      const double r = tg->r ? tg->r[i] : (i == m - 1 ? tg->rmax : i * dr);
      const double *ci = c + (size_t)i * d, *cri = cr + (size_t)i * d;
      for (int k = 0; k < d; ++k) {
        s[k] += ci[k];  /* slope on (r_{i-1}, r_i] */
        a[k] -= cri[k]; /* offset: value at 0 minus the sum of D r_e */
        h[(size_t)i * d + k] = a[k] + s[k] * r;
        if (g) g[(size_t)i * d + k] = s[k];
      }
    }
  }
  free(u);
  free(sums);
  return ok;
}

/* means_at on the uniform grid of n + 1 distances over [0, rmax]. */
static int grid_means(const encoder64 *e, int order, double rmax, int n, int nthreads, double *h,
                      double *g) {
  const ray_targets tg = {n + 1, NULL, rmax, n / rmax};
  return means_at(e, order, &tg, nthreads, h, g);
}

symgnn_status symgnn_haar_means(const symgnn_encoder_ref *enc, int order, int m, const double *r,
                                int nthreads, double *h, double *dh, symgnn_error *err) {
  if (order < 1 || order > SYMGNN_HAAR_MAX_ORDER)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "sphere rule order %d outside 1..%d", order,
                            SYMGNN_HAAR_MAX_ORDER);
  for (int i = 0; i < m; ++i)
    if (!(r[i] >= (i ? r[i - 1] : 0.0)) || !isfinite(r[i]))
      return symgnn_set_error(err, SYMGNN_ERR_ARG,
                              "distance %d (%g) is not finite, negative or out of order", i, r[i]);
  if (m < 1) return SYMGNN_OK;
  encoder64 e;
  if (!encoder64_make(enc, &e))
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for the sphere means");
  const ray_targets tg = {m, r, r[m - 1] * (1.0 + 1e-12) + 1e-12, 0.0};
  const int ok = means_at(&e, order, &tg, nthreads, h, dh);
  free(e.w0);
  return ok ? SYMGNN_OK
            : symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for the sphere means");
}

/* Largest |x| over n values. */
static double max_abs(size_t n, const double *a) {
  double m = 0.0;
  for (size_t i = 0; i < n; ++i) m = fmax(m, fabs(a[i]));
  return m;
}

/* The Hermite interpolant of the even grid points, measured at the odd
 * ones (the midpoints of the table), relative to `scale`. */
static double midpoint_error(int d, int n2, double dr2, const double *h, const double *g,
                             double scale) {
  double b[4], e = 0.0;
  symgnn_hermite_basis(0.5, b);
  const double step = 2.0 * dr2;
  for (int i = 1; i < n2; i += 2)
    for (int k = 0; k < d; ++k) {
      const double *l = h + (size_t)(i - 1) * d, *r = h + (size_t)(i + 1) * d;
      const double *gl = g + (size_t)(i - 1) * d, *gr = g + (size_t)(i + 1) * d;
      const double p = b[0] * l[k] + b[1] * step * gl[k] + b[2] * r[k] + b[3] * step * gr[k];
      e = fmax(e, fabs(p - h[(size_t)i * d + k]));
    }
  return e / scale;
}

/* The rule's order: kOrders in turn until one agrees with the one before to
 * TOL_QUAD of the scale over the whole grid of n2 + 1 distances. hp holds
 * the first order's values on entry (only values are compared); the chosen
 * order's values and derivatives are left in h and g. */
static int choose_order(const encoder64 *e, double rmax, int n2, int nthreads, double *h, double *g,
                        double *hp, symgnn_haar_table_info *info) {
  const size_t cells = ((size_t)n2 + 1) * (size_t)e->d;
  for (int o = 1; o < NORDERS; ++o) {
    if (!grid_means(e, kOrders[o], rmax, n2, nthreads, h, g)) return 0;
    double diff = 0.0;
    for (size_t i = 0; i < cells; ++i) diff = fmax(diff, fabs(h[i] - hp[i]));
    info->order = kOrders[o];
    info->scale = fmax(max_abs(cells, h), 1e-30);
    info->quad_error = diff / info->scale;
    if (info->quad_error <= TOL_QUAD) break;
    memcpy(hp, h, cells * sizeof(double));
  }
  return 1;
}

/* The first rule's means on the grid of spacing rmax / (2 n), halving the
 * table spacing rmax / n until the Hermite interpolant of the even points
 * meets TOL_INTERP at every odd one (the midpoints). Returns the number of
 * table cells n (0: out of memory), the error in info, and in *first a new
 * array whose first (n + 1) d entries are the rule's values on the table's
 * grid (the even points). */
static int choose_spacing(const encoder64 *e, double rmax, int n, int nthreads,
                          symgnn_haar_table_info *info, double **first) {
  const int d = e->d;
  for (;;) {
    const size_t cells = (2 * (size_t)n + 1) * (size_t)d;
    double *h = malloc(2 * cells * sizeof(double));
    if (!h || !grid_means(e, kOrders[0], rmax, 2 * n, nthreads, h, h + cells)) {
      free(h);
      return 0;
    }
    const double scale = fmax(max_abs(cells, h), 1e-30);
    info->interp_error = midpoint_error(d, 2 * n, rmax / (2 * n), h, h + cells, scale);
    if (info->interp_error <= TOL_INTERP || 4 * n + 1 > SYMGNN_HAAR_MAX_NDIST) {
      for (size_t i = 0; i <= (size_t)n; ++i) /* the even points' values, in place */
        for (int k = 0; k < d; ++k) h[i * d + k] = h[2 * i * d + k];
      *first = h;
      return n;
    }
    free(h);
    n *= 2;
  }
}

symgnn_status symgnn_haar_table_build(symgnn_haar_table *t, const symgnn_encoder_ref *enc,
                                      double rmax, int nthreads, symgnn_error *err) {
  const double t0 = now();
  memset(t, 0, sizeof *t);
  if (!(rmax > 0.0) || !isfinite(rmax))
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "haar table range %g is not positive", rmax);
  const int d = enc->width;
  int n = (int)ceil(rmax / DR_MAX);
  if (n < 8) n = 8;
  if (n > (SYMGNN_HAAR_MAX_NDIST - 1) / 2) n = (SYMGNN_HAAR_MAX_NDIST - 1) / 2;
  encoder64 e;
  if (!encoder64_make(enc, &e))
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for the haar table");
  /* The spacing from the cheapest rule (the interpolation error depends on
   * how smooth g0 is, which every rule resolves), then the order on the
   * table's own grid. */
  double *first = NULL, *h = NULL;
  n = choose_spacing(&e, rmax, n, nthreads, &t->info, &first);
  const size_t cells = ((size_t)n + 1) * (size_t)d;
  int ok = n && (h = malloc(2 * cells * sizeof(double))) != NULL &&
           choose_order(&e, rmax, n, nthreads, h, h + cells, first, &t->info);
  free(first);
  free(e.w0);
  if (ok) ok = (t->val = malloc(cells * 2 * sizeof(float))) != NULL;
  if (!ok) {
    free(h);
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for the haar table");
  }
  const double *g = h + cells;
  t->width = d;
  t->ndist = n + 1;
  t->rmax = rmax;
  t->dr = rmax / n;
  t->inv_dr = 1.0 / t->dr;
  for (size_t i = 0; i <= (size_t)n; ++i)
    for (int k = 0; k < d; ++k) {
      t->val[2 * i * d + k] = (float)h[i * d + k];
      t->val[(2 * i + 1) * d + k] = (float)(t->dr * g[i * d + k]);
    }
  t->info.ndist = t->ndist;
  t->info.dr = t->dr;
  t->info.build_seconds = now() - t0;
  free(h);
  return SYMGNN_OK;
}
