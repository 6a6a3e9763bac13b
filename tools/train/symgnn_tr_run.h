/* The trainer program: setup from the config, dry run, training loop. */
#ifndef SYMGNN_TR_RUN_H
#define SYMGNN_TR_RUN_H

#include "symgnn_tr_comm.h"
#include "symgnn_tr_config.h"
#include "symgnn_tr_eval.h"
#include "symgnn_tr_state.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  const char *config;  /* config file */
  const char *restart; /* checkpoint to continue from, or NULL */
  int dry_run;         /* validate config and data only */
  int64_t stop_at;     /* stop (with a checkpoint) after this step; 0: run to the end */
} symgnn_tr_options;

/* Run the program on every rank; returns the process exit status (0 ok). */
int symgnn_tr_run(const symgnn_tr_options *opt, const symgnn_tr_comm *comm);

/* Set the model's provenance entries (training and validation files, seed,
 * steps, epochs, scores, the training labels' range [label_lo, label_hi] in eV,
 * date, trainer version, config summary, symmetrization and, in learned mode,
 * the distribution parameters in full precision). */
int symgnn_tr_set_provenance(symgnn_model *model, const symgnn_tr_config *cfg,
                             const symgnn_tr_state *st, const symgnn_tr_scores *scores,
                             double label_lo, double label_hi, char *msg, size_t msglen);

/* The training step recorded in a model file's provenance ("steps"), or -1
 * when the file is missing, unreadable or has none: tells whether the best
 * model on disk matches the checkpoint's best step after a restart. */
int64_t symgnn_tr_model_file_step(const char *path);

/* Comma-separated file list, cut with "..." to fit len (a provenance value). */
void symgnn_tr_join_files(char *const *files, int n, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
