/* symgnn-train CONFIG --recalibrate-bn MODEL -o OUT: a copy of a trained
 * model whose BatchNorm running statistics are recomputed on the config's
 * training data with dropout off (a model trained with dropout accumulated
 * them under dropout and as an EMA, which offsets its eval-mode output).
 * symgnn-train CONFIG --to-haar MODEL -o OUT: a copy converted to the exact
 * O(3) average, the stored transforms dropped and the edge encoder's two
 * BatchNorms given their exact train-mode statistics over the config's
 * training edges (a histogram of their lengths in 0.005 Angstrom bins) with
 * uniform directions; every other weight and statistic kept. */
#ifndef SYMGNN_TR_RECALIB_H
#define SYMGNN_TR_RECALIB_H

#include "symgnn_tr_comm.h"
#include "symgnn_tr_data.h"
#include "symgnn_train.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  const char *config; /* training config: its data.train files are used */
  const char *model;  /* model file to read */
  const char *out;    /* model file to write (atomically) */
  int to_haar;        /* --to-haar: convert to the exact O(3) average instead */
} symgnn_tr_recalib_options;

/* Load the config's training data as training does, then either (to_haar)
 * convert MODEL, or run one train-mode forward pass per configuration
 * (dropout 0, no labels, MODEL's transforms) that makes every running
 * statistic the plain average of its per-pass batch statistics (ranks split
 * the configurations and average their results); write OUT with a
 * `symmetrization_converted` or `bn_recalibrated` provenance entry and print
 * the eval-mode scores on the training data before and after. Collective;
 * prints on rank 0; returns the process exit status (0 ok, 1 error). */
int symgnn_tr_recalibrate(const symgnn_tr_recalib_options *o, const symgnn_tr_comm *comm);

/* Recompute the model's BatchNorm running statistics on a training set with
 * dropout off: one train-mode pass per configuration (this rank's share,
 * configurations c with c % size == rank) with a cumulative-average momentum,
 * then the ranks' averages combined by their counts. `trainer` must have been
 * created for the model and `batch` is scratch. Collective; 0 or -1 with msg. */
int symgnn_tr_recalibrate_stats(symgnn_model *model, symgnn_trainer *trainer,
                                const symgnn_tr_set *train, symgnn_tr_batch *batch,
                                const symgnn_tr_comm *comm, char *msg, size_t msglen);

#ifdef __cplusplus
}
#endif
#endif
