/* symgnn-train --redraw-transforms: a copy of a learned-mode model with M new
 * inference transforms drawn from its learned distribution and a new seed. */
#ifndef SYMGNN_TR_REDRAW_H
#define SYMGNN_TR_REDRAW_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  const char *model;      /* model file to read */
  const char *out;        /* model file to write (atomically) */
  const char *checkpoint; /* trainer checkpoint holding the distribution, or NULL */
  int count;              /* M transforms: even, at least 2 */
  uint64_t seed;          /* seed of the draw */
} symgnn_tr_redraw_options;

/* Read the model and the distribution parameters (from the checkpoint when
 * one is given, else from the model's `symmetrization_distribution`
 * provenance entry), draw M transforms exactly as the trainer draws its
 * inference transforms, store them and write the result with the provenance
 * entries `inference_transforms_redrawn` ("M seed S") and, when taken from a
 * checkpoint, `symmetrization_distribution`. Returns 0, or -1 with msg. */
int symgnn_tr_redraw(const symgnn_tr_redraw_options *o, char *msg, size_t msglen);

#ifdef __cplusplus
}
#endif
#endif
