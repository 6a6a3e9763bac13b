/* Validation scores: each rank predicts its share of the configurations with
 * the eval-mode forward pass; a global sum assembles the full prediction
 * vector, and the metrics are computed on it identically on every rank. */
#include "symgnn_tr_eval.h"
#include "symgnn_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int symgnn_tr_evaluate(const symgnn_model *model, const symgnn_tr_set *set,
                       const symgnn_tr_comm *comm, double *pred, symgnn_tr_scores *out, char *msg,
                       size_t msglen) {
  double *all = calloc((size_t)set->natoms + 1, sizeof(double));
  symgnn_eval *ev = NULL;
  symgnn_error err;
  err.message[0] = '\0';
  int ok = all && symgnn_eval_create(model, &ev, &err) == SYMGNN_OK;
  int64_t off = 0;
  for (int c = 0; c < set->n && ok; ++c) {
    const symgnn_tr_conf *cf = &set->conf[c];
    if (c % comm->size == comm->rank) {
      const symgnn_graph_view v = symgnn_graph_get_view(cf->graph);
      ok = symgnn_predict(ev, &v, all + off, &err) == SYMGNN_OK;
      if (!ok) snprintf(msg, msglen, "%s: prediction failed: %s", cf->path, err.message);
    }
    off += cf->natoms;
  }
  if (!all)
    snprintf(msg, msglen, "out of memory for %lld predictions", (long long)set->natoms);
  else if (!ev)
    snprintf(msg, msglen, "cannot create the evaluator: %s", err.message);
  symgnn_eval_free(ev);
  if (!symgnn_tr_comm_all_ok(ok)) {
    if (ok) snprintf(msg, msglen, "prediction failed on another rank");
    free(all);
    return -1;
  }
  if (comm->size > 1) symgnn_tr_comm_sum_cb(all, (size_t)set->natoms, NULL);
  symgnn_metrics_acc acc;
  symgnn_metrics_init(&acc);
  off = 0;
  for (int c = 0; c < set->n; ++c)
    for (int i = 0; i < set->conf[c].natoms; ++i, ++off)
      symgnn_metrics_add(&acc, all[off], set->conf[c].labels[i]);
  const symgnn_metrics m = symgnn_metrics_finish(&acc);
  double mean, std;
  symgnn_model_label_norm(model, &mean, &std);
  out->mae = m.mae;
  out->rmse = m.rmse;
  out->mse_z = (m.rmse / std) * (m.rmse / std);
  out->pearson = m.pearson;
  out->r2 = m.r2;
  if (pred) memcpy(pred, all, (size_t)set->natoms * sizeof(double));
  free(all);
  return 0;
}
