/* Kernel API (symgnn_train.h family): BatchNorm in training mode for the SymGNN trainer. Batch
 * statistics are global over data-parallel ranks: every per-feature sum is
 * passed through the caller's reduction before it is used, while parameter
 * gradients stay this rank's share (the caller sums them over ranks). */
#ifndef SYMGNN_TRAIN_BN_H
#define SYMGNN_TRAIN_BN_H

#include "symgnn_ext.h"
#include "symgnn_train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One BatchNorm as seen by the kernels. */
typedef struct {
  int width;
  const float *gamma, *beta;
  float *run_mean, *run_var; /* running statistics, updated when non-NULL */
  double momentum;
  double *mean, *istd;    /* batch mean and 1/sqrt(biased var + eps), width each */
  double *dgamma, *dbeta; /* gradient accumulators (+=), NULL in forward-only use */
  double *work;           /* scratch of 5 * width doubles */
  /* 1: eval mode: mean and istd hold the running statistics, which
   * symgnn_bn_stats keeps, and the backward has no batch-statistics terms */
  int eval;
} symgnn_bn;

/* Sum n doubles in place over all ranks (no-op without a callback). */
void symgnn_reduce_sum(const symgnn_reduce *red, double *buf, size_t n);

/* Batch statistics (kept as they are in eval mode) from this rank's sums[0..w) = sum x and
 * sums[w..2w) = sum x^2 (reduced in place), over `count` rows of all ranks; updates the running
 * statistics with the unbiased variance. */
void symgnn_bn_stats(symgnn_bn *bn, double *sums, double count, const symgnn_reduce *red);

/* Backward coefficients from this rank's sums[0..w) = sum dy and
 * sums[w..2w) = sum dy * xhat (reduced in place): adds the local sums to
 * dbeta and dgamma, then writes coef[0..3w) = (c1, c2, c3) such that
 * dx = c1 * dy + c2 * (x - mean) + c3 (c2 = c3 = 0 in eval mode). */
void symgnn_bn_coeffs(symgnn_bn *bn, double *sums, double count, const symgnn_reduce *red,
                      double *coef);

/* Row-major [n][width] train-mode forward: statistics, then y = gamma * xhat + beta. */
void symgnn_bn_rows_forward(symgnn_bn *bn, const float *x, size_t n, double count,
                            const symgnn_reduce *red, float *y);
/* y = gamma * xhat + beta with the batch statistics already in bn (recomputation). */
void symgnn_bn_rows_apply(const symgnn_bn *bn, const float *x, size_t n, float *y);
/* Row-major backward: dx from dy (dx may alias dy), accumulating dgamma and dbeta. */
void symgnn_bn_rows_backward(symgnn_bn *bn, const float *x, const float *dy, size_t n, double count,
                             const symgnn_reduce *red, float *dx);

#ifdef __cplusplus
}
#endif
#endif
