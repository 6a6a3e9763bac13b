/* BatchNorm train-mode forward and backward with globally reduced statistics. */
#include "symgnn_train_bn.h"

#include <math.h>
#include <string.h>

void symgnn_reduce_sum(const symgnn_reduce *red, double *buf, size_t n) {
  if (red && red->fn) red->fn(buf, n, red->user);
}

/* Mean and biased variance normalize the batch; the running variance gets the
 * unbiased estimate, as PyTorch's BatchNorm1d does. */
void symgnn_bn_stats(symgnn_bn *bn, double *sums, double count, const symgnn_reduce *red) {
  if (bn->eval) return; /* the running statistics are already in mean and istd */
  const int w = bn->width;
  symgnn_reduce_sum(red, sums, 2 * (size_t)w);
  const double unbias = count > 1.0 ? count / (count - 1.0) : 1.0;
  for (int j = 0; j < w; ++j) {
    const double mean = sums[j] / count;
    double var = sums[w + j] / count - mean * mean;
    if (var < 0.0) var = 0.0;
    bn->mean[j] = mean;
    bn->istd[j] = 1.0 / sqrt(var + SYMGNN_BN_EPS);
    if (bn->run_mean) {
      const double mom = bn->momentum;
      bn->run_mean[j] = (float)((1.0 - mom) * bn->run_mean[j] + mom * mean);
      bn->run_var[j] = (float)((1.0 - mom) * bn->run_var[j] + mom * var * unbias);
    }
  }
}

/* dx = gamma*istd * (dy - mean(dy) - xhat * mean(dy*xhat)), written as
 * c1*dy + c2*(x - mean) + c3 so the kernels need no xhat array. */
void symgnn_bn_coeffs(symgnn_bn *bn, double *sums, double count, const symgnn_reduce *red,
                      double *coef) {
  const int w = bn->width;
  if (bn->dbeta)
    for (int j = 0; j < w; ++j) {
      bn->dbeta[j] += sums[j];
      bn->dgamma[j] += sums[w + j];
    }
  if (bn->eval) { /* fixed statistics: the BN is an affine map */
    for (int j = 0; j < w; ++j) {
      coef[j] = bn->gamma[j] * bn->istd[j];
      coef[w + j] = 0.0;
      coef[2 * w + j] = 0.0;
    }
    return;
  }
  symgnn_reduce_sum(red, sums, 2 * (size_t)w);
  for (int j = 0; j < w; ++j) {
    const double a = bn->gamma[j] * bn->istd[j];
    const double mdy = sums[j] / count, mdyx = sums[w + j] / count;
    coef[j] = a;
    coef[w + j] = -a * bn->istd[j] * mdyx;
    coef[2 * w + j] = -a * mdy;
  }
}

void symgnn_bn_rows_forward(symgnn_bn *bn, const float *x, size_t n, double count,
                            const symgnn_reduce *red, float *y) {
  const int w = bn->width;
  double *sums = bn->work;
  memset(sums, 0, 2 * (size_t)w * sizeof(double));
  for (size_t i = 0; i < n; ++i) {
    const float *xi = x + i * (size_t)w;
    for (int j = 0; j < w; ++j) {
      sums[j] += xi[j];
      sums[w + j] += (double)xi[j] * xi[j];
    }
  }
  symgnn_bn_stats(bn, sums, count, red);
  symgnn_bn_rows_apply(bn, x, n, y);
}

void symgnn_bn_rows_apply(const symgnn_bn *bn, const float *x, size_t n, float *y) {
  const int w = bn->width;
  double *scale = bn->work;
  for (int j = 0; j < w; ++j) scale[j] = bn->gamma[j] * bn->istd[j];
  for (size_t i = 0; i < n; ++i) {
    const float *xi = x + i * (size_t)w;
    float *yi = y + i * (size_t)w;
    for (int j = 0; j < w; ++j) yi[j] = (float)((xi[j] - bn->mean[j]) * scale[j] + bn->beta[j]);
  }
}

void symgnn_bn_rows_backward(symgnn_bn *bn, const float *x, const float *dy, size_t n, double count,
                             const symgnn_reduce *red, float *dx) {
  const int w = bn->width;
  double *sums = bn->work, *coef = bn->work + 2 * (size_t)w;
  memset(sums, 0, 2 * (size_t)w * sizeof(double));
  for (size_t i = 0; i < n; ++i) {
    const float *xi = x + i * (size_t)w, *gi = dy + i * (size_t)w;
    for (int j = 0; j < w; ++j) {
      sums[j] += gi[j];
      sums[w + j] += gi[j] * ((xi[j] - bn->mean[j]) * bn->istd[j]);
    }
  }
  symgnn_bn_coeffs(bn, sums, count, red, coef);
  const double *c = coef;
  for (size_t i = 0; i < n; ++i) {
    const float *xi = x + i * (size_t)w, *gi = dy + i * (size_t)w;
    float *di = dx + i * (size_t)w;
    for (int j = 0; j < w; ++j)
      di[j] = (float)(c[j] * gi[j] + c[w + j] * (xi[j] - bn->mean[j]) + c[2 * w + j]);
  }
}
