/* Redrawing the inference transforms of a learned-mode model: the stored M
 * transforms are one draw of the learned distribution, and this gives another
 * draw (other M, other seed) without retraining. */
#include "symgnn_tr_redraw.h"
#include "symgnn_file.h"
#include "symgnn_tr_state.h"
#include "symgnn_tr_symm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Value of a provenance entry, or NULL when the model has none. */
static const char *provenance(const symgnn_model *m, const char *key) {
  for (int i = 0; i < symgnn_model_nprovenance(m); ++i)
    if (!strcmp(symgnn_model_provenance_key(m, i), key)) return symgnn_model_provenance_value(m, i);
  return NULL;
}

/* theta from the model's provenance entry; a model without one gets a
 * message that says why (fixed mode, or written before the entry existed). */
static int theta_from_model(const symgnn_model *m, const char *path, double theta[SYMGNN_TR_NTHETA],
                            char *msg, size_t msglen) {
  const char *text = provenance(m, SYMGNN_TR_DISTRIBUTION_KEY);
  if (!text) {
    const char *symm = provenance(m, "symmetrization");
    if (symm && !strncmp(symm, "learned", 7))
      snprintf(msg, msglen,
               "%s: learned-mode model without a '%s' provenance entry (written by an older "
               "trainer): give the distribution with --checkpoint CKPT of its training run",
               path, SYMGNN_TR_DISTRIBUTION_KEY);
    else
      snprintf(msg, msglen,
               "%s: not a learned-mode model (symmetrization: %s), so it has no distribution "
               "to draw from: give --checkpoint CKPT of a learned-mode training run",
               path, symm ? symm : "not recorded");
    return -1;
  }
  char m2[700];
  if (symgnn_tr_symm_parse(text, theta, m2, sizeof m2)) {
    snprintf(msg, msglen, "%s: provenance entry '%s': %s", path, SYMGNN_TR_DISTRIBUTION_KEY, m2);
    return -1;
  }
  return 0;
}

/* theta from a trainer checkpoint (magic, version, CRC and sizes checked). */
static int theta_from_checkpoint(const symgnn_model *m, const char *path,
                                 double theta[SYMGNN_TR_NTHETA], char *msg, size_t msglen) {
  unsigned char *data = NULL;
  size_t size = 0;
  symgnn_error err;
  if (symgnn_file_read_all(path, &data, &size, &err) != SYMGNN_OK) {
    snprintf(msg, msglen, "cannot read the checkpoint: %s", err.message);
    return -1;
  }
  char m2[700];
  const int rc = symgnn_tr_ckpt_read_theta(data, size, symgnn_model_nparams(m),
                                           symgnn_model_nstats(m), theta, m2, sizeof m2);
  free(data);
  if (rc) snprintf(msg, msglen, "%s: %s", path, m2);
  return rc;
}

/* Store the new transforms and the provenance entries, then write. */
static int store_and_write(symgnn_model *m, const symgnn_tr_redraw_options *o,
                           const double theta[SYMGNN_TR_NTHETA], char *msg, size_t msglen) {
  double *t = malloc((size_t)o->count * 9 * sizeof(double));
  if (!t) {
    snprintf(msg, msglen, "out of memory for %d transforms", o->count);
    return -1;
  }
  symgnn_tr_symm_inference(theta, o->count, o->seed, t);
  symgnn_error err;
  const symgnn_status st = symgnn_model_set_transforms(m, o->count, t, &err);
  free(t);
  if (st != SYMGNN_OK) {
    snprintf(msg, msglen, "cannot store %d transforms: %s", o->count, err.message);
    return -1;
  }
  char text[512];
  snprintf(text, sizeof text, "%d seed %llu", o->count, (unsigned long long)o->seed);
  symgnn_status s = symgnn_model_set_provenance(m, "inference_transforms_redrawn", text, &err);
  if (s == SYMGNN_OK && o->checkpoint) {
    symgnn_tr_symm_format(theta, text, sizeof text);
    s = symgnn_model_set_provenance(m, SYMGNN_TR_DISTRIBUTION_KEY, text, &err);
  }
  if (s == SYMGNN_OK) s = symgnn_model_write(m, o->out, &err);
  if (s != SYMGNN_OK) {
    snprintf(msg, msglen, "cannot write the model: %s", err.message);
    return -1;
  }
  return 0;
}

int symgnn_tr_redraw(const symgnn_tr_redraw_options *o, char *msg, size_t msglen) {
  if (o->count < 2 || o->count % 2) {
    snprintf(msg, msglen,
             "--count must be an even number of at least 2 (half rotations, half reflections), "
             "got %d",
             o->count);
    return -1;
  }
  symgnn_model *m = NULL;
  symgnn_error err;
  if (symgnn_model_read(o->model, &m, &err) != SYMGNN_OK) {
    snprintf(msg, msglen, "cannot read the model: %s", err.message);
    return -1;
  }
  double theta[SYMGNN_TR_NTHETA];
  const int rc = (o->checkpoint ? theta_from_checkpoint(m, o->checkpoint, theta, msg, msglen)
                                : theta_from_model(m, o->model, theta, msg, msglen)) ||
                 store_and_write(m, o, theta, msg, msglen);
  symgnn_model_free(m);
  return rc ? -1 : 0;
}
