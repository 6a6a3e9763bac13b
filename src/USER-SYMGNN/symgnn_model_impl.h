/* Internal: the model object behind the opaque symgnn_model handle. */
#ifndef SYMGNN_MODEL_IMPL_H
#define SYMGNN_MODEL_IMPL_H

#include "symgnn_layout.h"

#define SYMGNN_UNITS_LEN 16

struct symgnn_model {
  symgnn_arch arch;
  symgnn_layout layout;
  symgnn_symmetrization symm;
  int ntransforms;    /* 0 for SYMGNN_SYMM_HAAR */
  double *transforms; /* ntransforms x 9, row-major, x' = x O; NULL for haar */
  double label_mean, label_std;
  char units[SYMGNN_UNITS_LEN];
  int nprov;
  char **prov_key, **prov_value;
  float *params; /* layout.nparams */
  float *stats;  /* layout.nstats */
};

/* Allocate a zeroed model for an architecture (weights left zero, stats 0/1)
 * with room for ntransforms transforms; ntransforms 0 makes a haar model. */
symgnn_status symgnn_model_alloc(const symgnn_arch *arch, int ntransforms, symgnn_model **out,
                                 symgnn_error *err);

/* The bytes of a model file (format v2, checksum included) in a new malloc'ed
 * buffer: what symgnn_model_write writes and an ensemble file embeds. Values
 * are checked first (finite weights, valid metadata). */
symgnn_status symgnn_model_serialize(const symgnn_model *m, unsigned char **data, size_t *size,
                                     symgnn_error *err);

#endif
