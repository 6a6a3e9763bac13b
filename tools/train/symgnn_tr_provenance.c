/* Provenance written into every model the trainer saves, so a model file
 * says what data, settings and scores produced it. */
#include "symgnn_tr_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void symgnn_tr_join_files(char *const *files, int n, char *buf, size_t len) {
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < n; ++i) {
    const size_t need = strlen(files[i]) + (i ? 2 : 0);
    if (used + need + 4 >= len) {
      snprintf(buf + used, len - used, "%s...", i ? ", " : "");
      return;
    }
    used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", files[i]);
  }
}

int symgnn_tr_set_provenance(symgnn_model *model, const symgnn_tr_config *cfg,
                             const symgnn_tr_state *st, const symgnn_tr_scores *sc, double label_lo,
                             double label_hi, char *msg, size_t msglen) {
  char files[4000];
  char summary[2048], symm[512], date[32], num[7][64];
  const time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
  symgnn_tr_config_summary(cfg, summary, sizeof summary);
  if (cfg->symm == SYMGNN_TR_FIXED) {
    snprintf(symm, sizeof symm, "fixed, %d transforms", cfg->ntransforms);
  } else if (cfg->symm == SYMGNN_TR_HAAR) {
    snprintf(symm, sizeof symm, "haar: the exact O(3) average, trained on a distance grid");
  } else {
    const double *t = st->theta;
    snprintf(symm, sizeof symm,
             "learned, K=%d per step, M=%d stored (seed %llu); rotations mu=(%.6g %.6g %.6g) "
             "log_sigma=(%.6g %.6g %.6g); reflections mu=(%.6g %.6g %.6g) "
             "log_sigma=(%.6g %.6g %.6g)",
             cfg->samples_per_step, cfg->inference_transforms, (unsigned long long)cfg->symm_seed,
             t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11]);
  }
  snprintf(num[0], sizeof num[0], "%llu", (unsigned long long)cfg->seed);
  snprintf(num[1], sizeof num[1], "%lld", (long long)st->step);
  snprintf(num[2], sizeof num[2], "%lld", (long long)st->epoch);
  snprintf(num[3], sizeof num[3], "%.6f", sc->pearson);
  snprintf(num[4], sizeof num[4], "%.6f", sc->mae);
  snprintf(num[5], sizeof num[5], "%.6f", sc->rmse);
  snprintf(num[6], sizeof num[6], "%.6f", sc->r2);
  const char *keys[] = {"seed",          "steps",  "epochs", "val_pearson",     "val_mae",
                        "val_rmse",      "val_r2", "date",   "trainer_version", "config",
                        "symmetrization"};
  const char *vals[] = {num[0],  num[1], num[2],
                        num[3],  num[4], num[5],
                        num[6],  date,   "symgnn-train " SYMGNN_VERSION_STRING,
                        summary, symm};
  symgnn_error err;
  symgnn_tr_join_files(cfg->train_files, cfg->ntrain, files, sizeof files);
  if (symgnn_model_set_provenance(model, "training_data", files, &err) != SYMGNN_OK) goto fail;
  symgnn_tr_join_files(cfg->val_files, cfg->nval, files, sizeof files);
  if (symgnn_model_set_provenance(model, "validation_data", files, &err) != SYMGNN_OK) goto fail;
  for (size_t i = 0; i < sizeof keys / sizeof *keys; ++i)
    if (symgnn_model_set_provenance(model, keys[i], vals[i], &err) != SYMGNN_OK) goto fail;
  if (symgnn_model_set_label_range(model, label_lo, label_hi, &err) != SYMGNN_OK) goto fail;
  if (cfg->symm == SYMGNN_TR_LEARNED) { /* full precision, for symgnn-train --redraw-transforms */
    symgnn_tr_symm_format(st->theta, symm, sizeof symm);
    if (symgnn_model_set_provenance(model, SYMGNN_TR_DISTRIBUTION_KEY, symm, &err) != SYMGNN_OK)
      goto fail;
  }
  return 0;
fail:
  snprintf(msg, msglen, "cannot set the model provenance: %s", err.message);
  return -1;
}

int64_t symgnn_tr_model_file_step(const char *path) {
  symgnn_model *m = NULL;
  symgnn_error err;
  if (symgnn_model_read(path, &m, &err) != SYMGNN_OK) return -1;
  int64_t step = -1;
  for (int i = 0; i < symgnn_model_nprovenance(m); ++i)
    if (!strcmp(symgnn_model_provenance_key(m, i), "steps")) {
      char *end;
      const long long v = strtoll(symgnn_model_provenance_value(m, i), &end, 10);
      if (*end == '\0' && v >= 0) step = (int64_t)v;
    }
  symgnn_model_free(m);
  return step;
}
