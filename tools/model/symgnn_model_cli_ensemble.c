/* symgnn-model ensemble / member: build an ensemble file from model files and
 * take one member back out, so ensembles are made and inspected with the same
 * tool as models. */
#include "symgnn.h"
#include "symgnn_model_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *message) {
  fprintf(stderr, "symgnn-model: error: %s\n", message);
  return 1;
}

int symgnn_cli_ensemble(const char *out, int n, char **paths) {
  if (n > 64) return fail("an ensemble holds at most 64 members");
  symgnn_model *m[64] = {NULL};
  symgnn_error err = {SYMGNN_OK, ""};
  symgnn_status st = SYMGNN_OK;
  for (int k = 0; st == SYMGNN_OK && k < n; ++k) st = symgnn_model_read(paths[k], &m[k], &err);
  if (st == SYMGNN_OK) st = symgnn_ensemble_write((const symgnn_model *const *)m, n, out, &err);
  for (int k = 0; k < n; ++k) symgnn_model_free(m[k]);
  if (st != SYMGNN_OK) return fail(err.message);
  printf("ensemble: %s (%d members)\n", out, n);
  return 0;
}

int symgnn_cli_member(const char *path, const char *ktext, const char *out) {
  char *end;
  const long k = strtol(ktext, &end, 10);
  symgnn_error err = {SYMGNN_OK, ""};
  symgnn_ensemble *e = NULL;
  if (symgnn_ensemble_read(path, &e, &err) != SYMGNN_OK) return fail(err.message);
  const int n = symgnn_ensemble_size(e);
  if (*ktext == '\0' || *end != '\0' || k < 1 || k > n) {
    symgnn_ensemble_free(e);
    fprintf(stderr, "symgnn-model: error: member '%s' of '%s': give 1 to %d\n", ktext, path, n);
    return 1;
  }
  const symgnn_status st = symgnn_model_write(symgnn_ensemble_member(e, (int)k - 1), out, &err);
  symgnn_ensemble_free(e);
  return st == SYMGNN_OK ? 0 : fail(err.message);
}
