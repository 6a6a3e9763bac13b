/* Regression metrics and value summaries in double precision. */
#include "symgnn_metrics.h"

#include <math.h>
#include <stdlib.h>

void symgnn_metrics_init(symgnn_metrics_acc *acc) {
  *acc = (symgnn_metrics_acc){0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
}

/* Welford update: centred moments avoid the cancellation of raw power sums. */
void symgnn_metrics_add(symgnn_metrics_acc *a, double pred, double ref) {
  a->n += 1.0;
  const double dp = pred - a->mean_pred;
  const double dr = ref - a->mean_ref;
  a->mean_pred += dp / a->n;
  a->mean_ref += dr / a->n;
  a->m2_pred += dp * (pred - a->mean_pred);
  a->m2_ref += dr * (ref - a->mean_ref);
  a->c_pred_ref += dp * (ref - a->mean_ref);
  const double e = pred - ref;
  a->sum_abs_err += fabs(e);
  a->sum_sq_err += e * e;
}

void symgnn_metrics_merge(symgnn_metrics_acc *a, const symgnn_metrics_acc *b) {
  if (b->n == 0.0) return;
  if (a->n == 0.0) {
    *a = *b;
    return;
  }
  const double n = a->n + b->n;
  const double dp = b->mean_pred - a->mean_pred;
  const double dr = b->mean_ref - a->mean_ref;
  const double w = a->n * b->n / n;
  a->m2_pred += b->m2_pred + dp * dp * w;
  a->m2_ref += b->m2_ref + dr * dr * w;
  a->c_pred_ref += b->c_pred_ref + dp * dr * w;
  a->mean_pred += dp * b->n / n;
  a->mean_ref += dr * b->n / n;
  a->sum_abs_err += b->sum_abs_err;
  a->sum_sq_err += b->sum_sq_err;
  a->n = n;
}

symgnn_metrics symgnn_metrics_finish(const symgnn_metrics_acc *a) {
  symgnn_metrics m = {(size_t)a->n, NAN, NAN, NAN, NAN};
  if (a->n == 0.0) return m;
  m.mae = a->sum_abs_err / a->n;
  m.rmse = sqrt(a->sum_sq_err / a->n);
  if (a->m2_pred > 0.0 && a->m2_ref > 0.0) m.pearson = a->c_pred_ref / sqrt(a->m2_pred * a->m2_ref);
  if (a->m2_ref > 0.0) m.r2 = 1.0 - a->sum_sq_err / a->m2_ref;
  return m;
}

symgnn_metrics symgnn_metrics_compute(const double *pred, const double *ref, size_t n) {
  symgnn_metrics_acc a;
  symgnn_metrics_init(&a);
  for (size_t i = 0; i < n; ++i) symgnn_metrics_add(&a, pred[i], ref[i]);
  return symgnn_metrics_finish(&a);
}

symgnn_summary symgnn_summary_compute(const double *v, size_t n) {
  symgnn_summary s = {NAN, NAN, NAN, NAN};
  if (n == 0) return s;
  double mean = 0.0, m2 = 0.0;
  s.min = s.max = v[0];
  for (size_t i = 0; i < n; ++i) {
    const double d = v[i] - mean;
    mean += d / (double)(i + 1);
    m2 += d * (v[i] - mean);
    if (v[i] < s.min) s.min = v[i];
    if (v[i] > s.max) s.max = v[i];
  }
  s.mean = mean;
  s.std = sqrt(m2 / (double)n);
  return s;
}

/* Sort key for ranking: a value and its position. */
typedef struct {
  double v;
  size_t i;
} ranked;

static int by_value(const void *pa, const void *pb) {
  const double a = ((const ranked *)pa)->v, b = ((const ranked *)pb)->v;
  return (a > b) - (a < b);
}

/* rank[i] of v[i] (1-based), ties getting the mean of the ranks they span. */
static int fill_ranks(const double *v, size_t n, double *rank) {
  ranked *r = malloc(n * sizeof *r);
  if (!r) return -1;
  for (size_t i = 0; i < n; ++i) r[i] = (ranked){v[i], i};
  qsort(r, n, sizeof *r, by_value);
  for (size_t lo = 0; lo < n;) {
    size_t hi = lo + 1;
    while (hi < n && r[hi].v == r[lo].v) ++hi;
    const double mid = 0.5 * (double)(lo + 1 + hi); /* mean of ranks lo+1..hi */
    for (size_t k = lo; k < hi; ++k) rank[r[k].i] = mid;
    lo = hi;
  }
  free(r);
  return 0;
}

double symgnn_spearman(const double *a, const double *b, size_t n) {
  double *ra = malloc((n ? n : 1) * sizeof *ra), *rb = malloc((n ? n : 1) * sizeof *rb);
  double r = NAN;
  if (ra && rb && fill_ranks(a, n, ra) == 0 && fill_ranks(b, n, rb) == 0)
    r = symgnn_metrics_compute(ra, rb, n).pearson;
  free(ra);
  free(rb);
  return r;
}
