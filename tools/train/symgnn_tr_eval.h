/* Validation of the trainer: eval-mode predictions (BatchNorm running
 * statistics, no dropout) on a data set split across MPI ranks. */
#ifndef SYMGNN_TR_EVAL_H
#define SYMGNN_TR_EVAL_H

#include "symgnn.h"
#include "symgnn_tr_comm.h"
#include "symgnn_tr_data.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  double mse_z;   /* MSE of the normalized predictions (the training loss's scale) */
  double mae;     /* eV */
  double rmse;    /* eV */
  double pearson; /* pooled over all configurations */
  double r2;
} symgnn_tr_scores;

/* Predict every configuration of `set` (rank r takes configurations c with
 * c % size == r), combine over ranks and score against the labels. pred
 * receives all set->natoms predictions in eV, configuration after
 * configuration, each in its spatial atom order (symgnn_tr_conf.order; may be NULL).
 * Collective: every rank must call it. Returns 0 or -1 with msg. */
int symgnn_tr_evaluate(const symgnn_model *model, const symgnn_tr_set *set,
                       const symgnn_tr_comm *comm, double *pred, symgnn_tr_scores *out, char *msg,
                       size_t msglen);

#ifdef __cplusplus
}
#endif
#endif
