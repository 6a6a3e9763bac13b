/* Everything the training loop carries from step to step; the checkpoint
 * stores all of it, so a restart continues exactly where the run stopped. */
#ifndef SYMGNN_TR_STATE_H
#define SYMGNN_TR_STATE_H

#include "symgnn.h"
#include "symgnn_rng.h"
#include "symgnn_tr_optim.h"
#include "symgnn_tr_symm.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One learning-curve row (one evaluation). */
typedef struct {
  int64_t step;
  double train_loss, val_mse, val_mae, val_pearson, val_r2, lr, wall_time;
} symgnn_tr_curve_row;

typedef struct {
  int64_t step;  /* optimizer steps done */
  int64_t epoch; /* completed passes over the training set */
  int pos;       /* configurations of the current epoch already used */
  int ntrain;
  int *perm;      /* this epoch's order of the training configurations */
  symgnn_rng rng; /* shuffles, dropout seeds, symmetrization samples */
  double best_pearson;
  int64_t best_step;
  int bad_evals;   /* evaluations since the last improvement (patience) */
  double loss_sum; /* train losses since the last evaluation */
  int loss_count;
  double wall_time;    /* seconds spent in earlier runs (before a restart) */
  symgnn_tr_adam adam; /* model parameters */
  int learned;         /* 1: theta and adam_theta are used */
  int haar;            /* 1: the exact O(3) average, no transforms */
  double theta[SYMGNN_TR_NTHETA];
  symgnn_tr_adam adam_theta;
  int ncurve, cap_curve;
  symgnn_tr_curve_row *curve;
} symgnn_tr_state;

/* Append a learning-curve row; returns 0 or -1 (out of memory). */
int symgnn_tr_state_add_row(symgnn_tr_state *s, const symgnn_tr_curve_row *row);
void symgnn_tr_state_free(symgnn_tr_state *s);

/* Write the checkpoint atomically: state plus the model's parameters,
 * BatchNorm statistics and label normalization. Returns 0 or -1 (msg). */
int symgnn_tr_ckpt_write(const char *path, const symgnn_tr_state *s, const symgnn_model *model,
                         char *msg, size_t msglen);

/* Parse a checkpoint from memory into s (freshly allocated arrays) and the
 * model (which must have the same architecture). Every inconsistency (magic,
 * version, CRC, sizes) is rejected with a specific message. */
int symgnn_tr_ckpt_parse(const unsigned char *data, size_t size, symgnn_tr_state *s,
                         symgnn_model *model, char *msg, size_t msglen);

/* Read only the learned distribution parameters theta from a checkpoint in
 * memory, for read-only uses that have no config (redrawing a model's
 * transforms). Magic, version, CRC and section sizes are checked, and the
 * parameter and statistics counts must be nparams and nstats (the model's).
 * A fixed-mode checkpoint is refused. Returns 0 or -1 (msg). */
int symgnn_tr_ckpt_read_theta(const unsigned char *data, size_t size, size_t nparams, size_t nstats,
                              double theta[SYMGNN_TR_NTHETA], char *msg, size_t msglen);

/* Write the learning curve as CSV atomically (header and every row). */
int symgnn_tr_curve_write(const char *path, const symgnn_tr_state *s, char *msg, size_t msglen);

#ifdef __cplusplus
}
#endif
#endif
