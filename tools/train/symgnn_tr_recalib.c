/* Recalibrating the BatchNorm running statistics of a trained model on its
 * training data with dropout off. Each configuration is one pass of the
 * train-mode kernel with a cumulative-average momentum, so the statistics
 * end as the mean over configurations of their batch statistics (and, for
 * the edge encoder, over the transforms too). */
#include "symgnn_tr_recalib.h"
#include "symgnn_tr_config.h"
#include "symgnn_tr_data.h"
#include "symgnn_tr_eval.h"
#include "symgnn_tr_run.h"
#include "symgnn_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  symgnn_tr_config cfg;
  symgnn_model *model;
  symgnn_tr_set train;
  symgnn_trainer *trainer;
  symgnn_tr_batch batch;
  char msg[1200];
} recalib_ctx;

/* "[Cu, Zr]" for messages. */
static void element_list(const symgnn_arch *a, char *buf, size_t len) {
  size_t used = (size_t)snprintf(buf, len, "[");
  for (int i = 0; i < a->nelements && used < len; ++i)
    used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", a->elements[i]);
  if (used < len) snprintf(buf + used, len - used, "]");
}

/* The data are read with MODEL's elements and cutoff, so they must be the
 * config's (the architecture itself comes from MODEL). */
static int check_match(recalib_ctx *x, const char *path) {
  const symgnn_arch *m = symgnn_model_arch(x->model), *c = &x->cfg.arch;
  int same = m->nelements == c->nelements;
  for (int i = 0; same && i < m->nelements; ++i) same = !strcmp(m->elements[i], c->elements[i]);
  if (!same) {
    char a[300], b[300];
    element_list(m, a, sizeof a);
    element_list(c, b, sizeof b);
    snprintf(x->msg, sizeof x->msg,
             "%s: model elements %s differ from the config's data.elements %s", path, a, b);
    return -1;
  }
  if (fabs(m->cutoff - c->cutoff) > 1e-9 * c->cutoff) {
    snprintf(x->msg, sizeof x->msg,
             "%s: model cutoff %.17g differs from the config's data.cutoff %.17g", path, m->cutoff,
             c->cutoff);
    return -1;
  }
  return 0;
}

/* Config, model and training data, on every rank. */
static int load(recalib_ctx *x, const symgnn_tr_recalib_options *o) {
  symgnn_error err;
  if (symgnn_tr_config_load(o->config, &x->cfg, x->msg, sizeof x->msg)) return -1;
  if (symgnn_model_read(o->model, &x->model, &err) != SYMGNN_OK)
    return snprintf(x->msg, sizeof x->msg, "cannot read the model: %s", err.message), -1;
  if (check_match(x, o->model) || symgnn_tr_set_load(&x->train, x->cfg.train_files, x->cfg.ntrain,
                                                     x->cfg.label, x->model, x->msg, sizeof x->msg))
    return -1;
  double mean, std;
  symgnn_model_label_norm(x->model, &mean, &std);
  symgnn_tr_set_normalize(&x->train, mean, std);
  if (symgnn_trainer_create(x->model, &x->trainer, &err) != SYMGNN_OK)
    return snprintf(x->msg, sizeof x->msg, "cannot create the trainer: %s", err.message), -1;
  return 0;
}

/* This rank's passes: configurations c with c % size == rank, one per pass,
 * averaged serially by the kernel; *count gets their number. */
static int local_passes(symgnn_model *model, symgnn_trainer *trainer, const symgnn_tr_set *train,
                        symgnn_tr_batch *batch, const symgnn_tr_comm *comm, int64_t *count,
                        char *msg, size_t msglen) {
  symgnn_train_opts opts;
  symgnn_train_opts_default(&opts);
  opts.dropout = 0.0;
  opts.update_stats = 1;
  *count = 0;
  for (int c = comm->rank; c < train->n; c += comm->size) {
    opts.bn_average_step = *count + 1;
    if (symgnn_tr_batch_build(batch, train, &c, 1))
      return snprintf(msg, msglen, "out of memory building a batch"), -1;
    const symgnn_graph_view v = symgnn_tr_batch_view(batch);
    symgnn_error err;
    if (symgnn_trainer_step(trainer, model, &v, NULL, symgnn_model_ntransforms(model),
                            symgnn_model_transforms(model), &opts, NULL, NULL, NULL, NULL,
                            &err) != SYMGNN_OK)
      return snprintf(msg, msglen, "%s: train-mode pass failed: %s", train->conf[c].path,
                      err.message),
             -1;
    ++*count;
  }
  return 0;
}

/* Every rank holds the average over its own configurations: the global
 * average weights them by their counts. */
static int combine(symgnn_model *model, int64_t count, char *msg, size_t msglen) {
  const size_t ns = symgnn_model_nstats(model);
  float *stats = symgnn_model_stats(model);
  double *sum = malloc((ns + 1) * sizeof(double));
  if (!sum) return snprintf(msg, msglen, "out of memory for the statistics"), -1;
  for (size_t i = 0; i < ns; ++i) sum[i] = count ? (double)count * stats[i] : 0.0;
  sum[ns] = (double)count;
  symgnn_tr_comm_sum_cb(sum, ns + 1, NULL);
  for (size_t i = 0; i < ns; ++i) stats[i] = (float)(sum[i] / sum[ns]);
  free(sum);
  return 0;
}

int symgnn_tr_recalibrate_stats(symgnn_model *model, symgnn_trainer *trainer,
                                const symgnn_tr_set *train, symgnn_tr_batch *batch,
                                const symgnn_tr_comm *comm, char *msg, size_t msglen) {
  int64_t count = 0;
  if (!symgnn_tr_comm_all_ok(
          local_passes(model, trainer, train, batch, comm, &count, msg, msglen) == 0))
    return -1;
  return comm->size > 1 ? combine(model, count, msg, msglen) : 0;
}

/* Provenance entry `key` ("<before>N configurations of FILES<after>") and
 * atomic write (rank 0). */
static int write_out(recalib_ctx *x, const char *out, const char *key, const char *before,
                     const char *after) {
  char files[4000], text[4400];
  symgnn_tr_join_files(x->cfg.train_files, x->cfg.ntrain, files, sizeof files);
  snprintf(text, sizeof text, "%s%d configurations of %s%s", before, x->train.n, files, after);
  symgnn_error err;
  if (symgnn_model_set_provenance(x->model, key, text, &err) != SYMGNN_OK ||
      symgnn_model_write(x->model, out, &err) != SYMGNN_OK)
    return snprintf(x->msg, sizeof x->msg, "cannot write the model: %s", err.message), -1;
  return 0;
}

/* Eval-mode scores on the training data (for the report). */
static int score(recalib_ctx *x, const symgnn_tr_comm *comm, symgnn_tr_scores *sc) {
  return symgnn_tr_evaluate(x->model, &x->train, comm, NULL, sc, x->msg, sizeof x->msg);
}

/* Width of a bin of the edge-length histogram, Angstrom. */
#define HAAR_BIN 0.005

/* Histogram of the training edges' lengths: bin b holds the edges with
 * length in [b, b+1) * HAAR_BIN at their mean length, weighted by count. */
static int length_histogram(const recalib_ctx *x, int *nbins, double **r, double **w) {
  const double cutoff = symgnn_model_arch(x->model)->cutoff;
  const int n = (int)ceil(cutoff / HAAR_BIN) + 1;
  double *sum = calloc((size_t)n, sizeof(double)), *cnt = calloc((size_t)n, sizeof(double));
  if (!sum || !cnt) {
    free(sum);
    free(cnt);
    return -1;
  }
  for (int c = 0; c < x->train.n; ++c) {
    const symgnn_graph_view v = symgnn_graph_get_view(x->train.conf[c].graph);
    for (int64_t e = 0; e < v.offsets[v.nlocal]; ++e) {
      const double *d = v.disp + 3 * e;
      const double len = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
      const int b = len / HAAR_BIN < n - 1 ? (int)(len / HAAR_BIN) : n - 1;
      sum[b] += len;
      cnt[b] += 1.0;
    }
  }
  for (int b = 0; b < n; ++b) sum[b] = cnt[b] > 0.0 ? sum[b] / cnt[b] : 0.0;
  *nbins = n;
  *r = sum;
  *w = cnt;
  return 0;
}

/* The conversion itself (every rank computes the same statistics). */
static int convert(recalib_ctx *x) {
  int n;
  double *r, *w;
  if (length_histogram(x, &n, &r, &w))
    return snprintf(x->msg, sizeof x->msg, "out of memory for the edge-length histogram"), -1;
  symgnn_model_set_haar(x->model);
  symgnn_error err;
  const symgnn_status s = symgnn_train_haar_encoder_stats(x->model, n, r, w, &err);
  free(r);
  free(w);
  if (s != SYMGNN_OK)
    return snprintf(x->msg, sizeof x->msg, "cannot compute the statistics: %s", err.message), -1;
  return 0;
}

/* Either command: load, score, change the statistics (recalibrate, or
 * convert to haar), score again, write OUT with its provenance entry and
 * report on rank 0. Every rank fails together. */
static int run_command(recalib_ctx *x, const symgnn_tr_recalib_options *o,
                       const symgnn_tr_comm *comm) {
  symgnn_tr_scores before, after;
  if (!symgnn_tr_comm_all_ok(load(x, o) == 0) ||
      !symgnn_tr_comm_all_ok(score(x, comm, &before) == 0))
    return -1;
  if (o->to_haar ? !symgnn_tr_comm_all_ok(convert(x) == 0)
                 : symgnn_tr_recalibrate_stats(x->model, x->trainer, &x->train, &x->batch, comm,
                                               x->msg, sizeof x->msg) != 0)
    return -1;
  if (score(x, comm, &after)) return -1;
  const int written =
      comm->rank != 0 ||
      (o->to_haar
           ? write_out(x, o->out, "symmetrization_converted",
                       "haar; edge-encoder BatchNorm statistics exact over the edges of ", "")
           : write_out(x, o->out, "bn_recalibrated", "", ", dropout 0")) == 0;
  if (!symgnn_tr_comm_all_ok(written)) return -1;
  if (comm->rank != 0) return 0;
  if (o->to_haar)
    printf("converted %s to the exact O(3) average (haar); edge-encoder BatchNorm statistics "
           "recomputed exactly over the edges of %d training configurations\n",
           o->model, x->train.n);
  else
    printf("recalibrated the BatchNorm statistics of %s on %d training configurations "
           "(dropout 0)\n",
           o->model, x->train.n);
  printf("training data, eval mode: mse_z %.6g -> %.6g, mae %.6g -> %.6g eV, pearson %.4f -> "
         "%.4f\nwrote %s\n",
         before.mse_z, after.mse_z, before.mae, after.mae, before.pearson, after.pearson, o->out);
  return 0;
}

int symgnn_tr_recalibrate(const symgnn_tr_recalib_options *o, const symgnn_tr_comm *comm) {
  recalib_ctx *x = calloc(1, sizeof *x);
  if (!x) return 1;
  int rc = 0;
  if (run_command(x, o, comm)) {
    /* every rank failed together; the message of the first failing rank wins on rank 0 */
    if (comm->rank == 0)
      fprintf(stderr, "symgnn-train: error: %s\n", x->msg[0] ? x->msg : "failed on another rank");
    rc = 1;
  }
  symgnn_trainer_free(x->trainer);
  symgnn_tr_batch_free(&x->batch);
  symgnn_tr_set_free(&x->train);
  symgnn_model_free(x->model);
  symgnn_tr_config_free(&x->cfg);
  free(x);
  return rc;
}
