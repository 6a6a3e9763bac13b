/* Adam with optional AMSGrad exactly as PyTorch applies it (the released train.py),
 * gradient clipping by the global L2 norm, and the learning-rate schedule. */
#include "symgnn_tr_optim.h"

#include <math.h>
#include <stdlib.h>

int symgnn_tr_adam_init(symgnn_tr_adam *a, size_t n, double beta1, double beta2, double eps,
                        int amsgrad) {
  a->n = n;
  a->beta1 = beta1;
  a->beta2 = beta2;
  a->eps = eps;
  a->amsgrad = amsgrad;
  a->weight_decay = 0.0;
  a->t = 0;
  a->m = calloc(n ? n : 1, sizeof(double));
  a->v = calloc(n ? n : 1, sizeof(double));
  a->vmax = calloc(n ? n : 1, sizeof(double));
  if (!a->m || !a->v || !a->vmax) {
    symgnn_tr_adam_free(a);
    return -1;
  }
  return 0;
}

void symgnn_tr_adam_free(symgnn_tr_adam *a) {
  free(a->m);
  free(a->v);
  free(a->vmax);
  a->m = a->v = a->vmax = NULL;
}

/* Moment update of one parameter; returns the step to subtract. */
static double adam_delta(symgnn_tr_adam *a, size_t i, double g, double step_size, double sqrt_bc2) {
  a->m[i] = a->beta1 * a->m[i] + (1.0 - a->beta1) * g;
  a->v[i] = a->beta2 * a->v[i] + (1.0 - a->beta2) * g * g;
  double vhat = a->v[i];
  if (a->amsgrad) {
    if (a->vmax[i] < a->v[i]) a->vmax[i] = a->v[i];
    vhat = a->vmax[i];
  }
  return step_size * a->m[i] / (sqrt(vhat) / sqrt_bc2 + a->eps);
}

void symgnn_tr_adam_step_f(symgnn_tr_adam *a, float *p, const float *g, double lr) {
  a->t++;
  const double step_size = lr / (1.0 - pow(a->beta1, (double)a->t));
  const double sqrt_bc2 = sqrt(1.0 - pow(a->beta2, (double)a->t));
  const double keep = 1.0 - lr * a->weight_decay;
  for (size_t i = 0; i < a->n; ++i)
    p[i] = (float)((double)p[i] * keep - adam_delta(a, i, (double)g[i], step_size, sqrt_bc2));
}

void symgnn_tr_adam_step_d(symgnn_tr_adam *a, double *p, const double *g, double lr) {
  a->t++;
  const double step_size = lr / (1.0 - pow(a->beta1, (double)a->t));
  const double sqrt_bc2 = sqrt(1.0 - pow(a->beta2, (double)a->t));
  const double keep = 1.0 - lr * a->weight_decay;
  for (size_t i = 0; i < a->n; ++i)
    p[i] = p[i] * keep - adam_delta(a, i, g[i], step_size, sqrt_bc2);
}

double symgnn_tr_sumsq_f(const float *g, size_t n) {
  double s = 0.0;
  for (size_t i = 0; i < n; ++i) s += (double)g[i] * (double)g[i];
  return s;
}

double symgnn_tr_sumsq_d(const double *g, size_t n) {
  double s = 0.0;
  for (size_t i = 0; i < n; ++i) s += g[i] * g[i];
  return s;
}

double symgnn_tr_clip_coef(double norm, double max_norm) {
  if (max_norm <= 0.0) return 1.0;
  const double c = max_norm / (norm + 1e-6);
  return c < 1.0 ? c : 1.0;
}

double symgnn_tr_schedule_lr(int64_t t, int64_t total, int warmup, double peak, double min_lr,
                             int cosine) {
  if (warmup > 0 && t <= warmup) return peak * (double)t / (double)warmup;
  if (!cosine || total <= warmup) return peak;
  double frac = (double)(t - warmup) / (double)(total - warmup);
  if (frac > 1.0) frac = 1.0;
  return min_lr + 0.5 * (peak - min_lr) * (1.0 + cos(3.141592653589793 * frac));
}
