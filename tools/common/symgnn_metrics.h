/* Regression metrics of predictions against reference labels: Pearson r, MAE,
 * RMSE and R^2, accumulated in double precision. The accumulator is streaming
 * (one value pair at a time) and mergeable, so the trainer can combine the
 * partial results of several samples or MPI ranks. */
#ifndef SYMGNN_METRICS_H
#define SYMGNN_METRICS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Running moments (Welford): count, means, centred second moments and
 * co-moment, and the error sums. Plain doubles: safe to copy and send. */
typedef struct {
  double n;
  double mean_pred, mean_ref;
  double m2_pred, m2_ref, c_pred_ref;
  double sum_abs_err, sum_sq_err;
} symgnn_metrics_acc;

typedef struct {
  size_t n;
  double pearson; /* NaN when n < 2 or either side has zero variance */
  double mae;     /* mean |pred - ref|; NaN when n == 0 */
  double rmse;    /* sqrt(mean (pred - ref)^2); NaN when n == 0 */
  double r2;      /* 1 - SSE / sum (ref - mean ref)^2; NaN when the reference is constant */
} symgnn_metrics;

void symgnn_metrics_init(symgnn_metrics_acc *acc);
void symgnn_metrics_add(symgnn_metrics_acc *acc, double pred, double ref);
/* Combine b into a (Chan et al. pairwise update of the moments). */
void symgnn_metrics_merge(symgnn_metrics_acc *a, const symgnn_metrics_acc *b);
symgnn_metrics symgnn_metrics_finish(const symgnn_metrics_acc *acc);
/* All of the above for two arrays of n values. */
symgnn_metrics symgnn_metrics_compute(const double *pred, const double *ref, size_t n);

/* Mean, minimum, maximum and population standard deviation of n values
 * (all NaN when n == 0). */
typedef struct {
  double mean, min, max, std;
} symgnn_summary;

symgnn_summary symgnn_summary_compute(const double *v, size_t n);

/* Spearman rank correlation of a[n] and b[n]: the Pearson r of their ranks,
 * tied values sharing their average rank. NaN when n < 2, when either side is
 * constant, or when out of memory. */
double symgnn_spearman(const double *a, const double *b, size_t n);

#ifdef __cplusplus
}
#endif
#endif
