/* Trainer optimizer pieces: Adam/AMSGrad (the released train.py), global-norm gradient
 * clipping and the learning-rate schedule (linear warm-up, constant or cosine). */
#ifndef SYMGNN_TR_OPTIM_H
#define SYMGNN_TR_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Adam state for n parameters; moments in double. */
typedef struct {
  size_t n;
  double beta1, beta2, eps;
  int amsgrad;
  double weight_decay; /* decoupled (AdamW): p *= 1 - lr * weight_decay each step; 0 at init */
  int64_t t;           /* steps taken */
  double *m, *v, *vmax;
} symgnn_tr_adam;

/* Allocate zeroed moments; returns 0 or -1 (out of memory). */
int symgnn_tr_adam_init(symgnn_tr_adam *a, size_t n, double beta1, double beta2, double eps,
                        int amsgrad);
void symgnn_tr_adam_free(symgnn_tr_adam *a);

/* One Adam step (t advances first): m, v, vmax update and
 *   p -= lr / (1 - b1^t) * m / (sqrt(vhat) / sqrt(1 - b2^t) + eps),
 * vhat = vmax (AMSGrad) or v, after the decoupled decay p *= 1 - lr * weight_decay
 * (as PyTorch's AdamW). Float parameters / double parameters. */
void symgnn_tr_adam_step_f(symgnn_tr_adam *a, float *p, const float *g, double lr);
void symgnn_tr_adam_step_d(symgnn_tr_adam *a, double *p, const double *g, double lr);

/* Sum of squares of a gradient (double accumulation). */
double symgnn_tr_sumsq_f(const float *g, size_t n);
double symgnn_tr_sumsq_d(const double *g, size_t n);

/* Clipping factor for a global norm: max_norm / (norm + 1e-6) when that is
 * below 1, else 1 (max_norm 0 disables clipping). */
double symgnn_tr_clip_coef(double norm, double max_norm);

/* Learning rate of step t (1-based) out of total steps: linear warm-up to
 * peak over warmup steps, then constant (cosine 0) or cosine decay to min_lr
 * at step total. */
double symgnn_tr_schedule_lr(int64_t t, int64_t total, int warmup, double peak, double min_lr,
                             int cosine);

#ifdef __cplusplus
}
#endif
#endif
