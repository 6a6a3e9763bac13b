/* Trainer configuration: one YAML file (doc/symgnn-train.md lists every key).
 * Parsing checks every key and type and reports errors as "FILE:LINE: message". */
#ifndef SYMGNN_TR_CONFIG_H
#define SYMGNN_TR_CONFIG_H

#include "symgnn.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* fixed: the listed transforms; learned: K sampled per step from a trained
 * distribution; haar: the exact O(3) average (no transforms). */
typedef enum { SYMGNN_TR_FIXED = 0, SYMGNN_TR_LEARNED = 1, SYMGNN_TR_HAAR = 2 } symgnn_tr_symm_mode;
typedef enum { SYMGNN_TR_CONSTANT = 0, SYMGNN_TR_COSINE = 1 } symgnn_tr_decay;

typedef struct {
  /* data */
  char **train_files; /* resolved paths (relative ones against the config's directory) */
  int ntrain;
  char **val_files;
  int nval;
  char label[64];   /* label column name */
  symgnn_arch arch; /* elements, cutoff, width, heads (-> nlayers), decoder_depth */
  /* model */
  double dropout;
  int norm_given; /* 1: label_mean/label_std from the config, 0: from the training labels */
  double label_mean, label_std;
  /* symmetrization */
  symgnn_tr_symm_mode symm;
  int ntransforms;          /* fixed mode */
  double *transforms;       /* ntransforms x 9 */
  int samples_per_step;     /* learned: K (even) */
  int inference_transforms; /* learned: M (even) */
  uint64_t symm_seed;       /* learned: seed of the inference transforms */
  double init_sigma;        /* learned: initial spread exp(log_sigma), radians */
  /* optimizer */
  double lr, beta1, beta2, eps, clip_norm, weight_decay;
  int amsgrad;
  /* schedule */
  int warmup_steps;
  double peak_lr; /* equals lr unless schedule.peak_lr is given */
  symgnn_tr_decay decay;
  double min_lr;
  /* training */
  int batch; /* configurations per step; 0 = all */
  int epochs, eval_interval, patience;
  int bn_recalibrate; /* training.bn_stats: 1 recalibrated before each validation, 0 ema */
  uint64_t seed;
  /* output */
  char *out_model, *out_best, *out_checkpoint, *out_curve;
} symgnn_tr_config;

/* Fill the defaults (everything but the data lists and elements). */
void symgnn_tr_config_defaults(symgnn_tr_config *cfg);

/* Parse a YAML config file. Returns 0, or -1 with "PATH:LINE: message" in msg. */
int symgnn_tr_config_load(const char *path, symgnn_tr_config *cfg, char *msg, size_t msglen);

/* Same, from text (path is used for messages and to resolve relative paths). */
int symgnn_tr_config_parse(const char *text, size_t len, const char *path, symgnn_tr_config *cfg,
                           char *msg, size_t msglen);

void symgnn_tr_config_free(symgnn_tr_config *cfg);

/* One-line summary of the training-relevant settings (model provenance). */
void symgnn_tr_config_summary(const symgnn_tr_config *cfg, char *buf, size_t len);

/* Print the commented template with every key and its default. */
void symgnn_tr_config_template(FILE *out);

#ifdef __cplusplus
}
#endif
#endif
