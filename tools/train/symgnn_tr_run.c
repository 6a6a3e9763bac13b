/* The trainer program: builds the model and data from the config, then runs
 * shuffled batch steps (train-mode kernel, MPI sums, clipping, Adam) with a
 * validation evaluation, checkpoint and learning-curve row every
 * eval_interval steps. Rank 0 writes every file and prints; all ranks hold
 * identical parameters and optimizer state throughout. */
#include "symgnn_tr_run.h"
#include "symgnn_file.h"
#include "symgnn_tr_recalib.h"
#include "symgnn_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  const symgnn_tr_options *opt;
  const symgnn_tr_comm *comm;
  symgnn_tr_config cfg;
  symgnn_model *model;
  symgnn_tr_set train, val;
  symgnn_tr_state st;
  symgnn_trainer *trainer;
  symgnn_tr_batch batch;
  float *grad;
  double *gtmp; /* scratch for the MPI gradient sum */
  int K;        /* transforms per training step */
  double *transforms, *eps, *dtrans;
  int B, steps_per_epoch;
  int64_t total;       /* steps of the whole run */
  double t0, wall0;    /* start of this run; wall time of earlier runs */
  double step_seconds; /* wall time of this run's training steps (no evaluation) */
  int64_t step0;       /* first step of this run */
  symgnn_tr_scores last;
  char msg[1024];
} run_ctx;

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Print an error once (rank 0) and return the failure exit status. */
static int fail(const run_ctx *x) {
  if (x->comm->rank == 0) fprintf(stderr, "symgnn-train: error: %s\n", x->msg);
  return 1;
}

/* Fisher-Yates shuffle of the training order with the run's generator. */
static void shuffle(symgnn_tr_state *st) {
  for (int i = st->ntrain - 1; i > 0; --i) {
    const int j = (int)(symgnn_rng_uniform(&st->rng) * (double)(i + 1));
    const int t = st->perm[i];
    st->perm[i] = st->perm[j];
    st->perm[j] = t;
  }
}

/* Model from the config: architecture, initial weights (seeded) and the
 * transforms used for evaluation (fixed list, or M draws of the learned
 * distribution at its initial parameters). */
static int create_model(run_ctx *x) {
  symgnn_tr_config *c = &x->cfg;
  const int M = c->symm == SYMGNN_TR_HAAR    ? 0
                : c->symm == SYMGNN_TR_FIXED ? c->ntransforms
                                             : c->inference_transforms;
  double *t = M ? malloc((size_t)M * 9 * sizeof(double)) : NULL;
  if (M && !t) return snprintf(x->msg, sizeof x->msg, "out of memory"), -1;
  if (c->symm == SYMGNN_TR_HAAR) {
    /* no transforms: the model is created as haar */
  } else if (c->symm == SYMGNN_TR_FIXED) {
    memcpy(t, c->transforms, (size_t)M * 9 * sizeof(double));
  } else {
    symgnn_tr_symm_init(x->st.theta, c->init_sigma);
    symgnn_tr_symm_inference(x->st.theta, M, c->symm_seed, t);
  }
  symgnn_error err;
  const symgnn_status s = symgnn_model_create(&c->arch, M, t, c->seed, &x->model, &err);
  free(t);
  if (s != SYMGNN_OK) {
    snprintf(x->msg, sizeof x->msg, "cannot create the model: %s", err.message);
    return -1;
  }
  return 0;
}

/* Read both data sets and fix the label normalization. */
static int load_data(run_ctx *x) {
  symgnn_tr_config *c = &x->cfg;
  if (symgnn_tr_set_load(&x->train, c->train_files, c->ntrain, c->label, x->model, x->msg,
                         sizeof x->msg) ||
      symgnn_tr_set_load(&x->val, c->val_files, c->nval, c->label, x->model, x->msg,
                         sizeof x->msg)) {
    if (strstr(x->msg, "cannot open")) { /* say where relative data paths point */
      const size_t n = strlen(x->msg);
      snprintf(x->msg + n, sizeof x->msg - n,
               " (relative paths in %s are taken from the directory of that file)", x->opt->config);
    }
    return -1;
  }
  double mean = c->label_mean, std = c->label_std, lo, hi;
  if (!c->norm_given) symgnn_tr_set_label_stats(&x->train, &mean, &std, &lo, &hi);
  if (!(std > 0.0)) {
    snprintf(x->msg, sizeof x->msg,
             "the training labels are all equal (std 0): set model.label_norm explicitly");
    return -1;
  }
  symgnn_model_set_label_norm(x->model, mean, std);
  symgnn_tr_set_normalize(&x->train, mean, std);
  symgnn_tr_set_normalize(&x->val, mean, std);
  x->B = c->batch ? c->batch : c->ntrain;
  x->steps_per_epoch = (c->ntrain + x->B - 1) / x->B;
  x->total = (int64_t)c->epochs * x->steps_per_epoch;
  return 0;
}

static void report_set(const char *name, const symgnn_tr_set *s) {
  double mean, std, lo, hi;
  symgnn_tr_set_label_stats(s, &mean, &std, &lo, &hi);
  printf("%s: %d files, %lld atoms, %lld edges (%.2f per atom); label mean %.6g std %.6g min "
         "%.6g max %.6g\n",
         name, s->n, (long long)s->natoms, (long long)s->nedges,
         (double)s->nedges / (double)s->natoms, mean, std, lo, hi);
  for (int i = 0; i < s->n; ++i)
    printf("  %s: %d atoms, %lld edges\n", s->conf[i].path, s->conf[i].natoms,
           (long long)symgnn_graph_nedges(s->conf[i].graph));
}

/* --dry-run: what would be trained, without training. */
static void dry_run_report(const run_ctx *x) {
  const symgnn_tr_config *c = &x->cfg;
  double mean, std;
  symgnn_model_label_norm(x->model, &mean, &std);
  printf("config: %s: OK\n", x->opt->config);
  report_set("training", &x->train);
  report_set("validation", &x->val);
  printf("label '%s' normalization: mean %.6g std %.6g (%s)\n", c->label, mean, std,
         c->norm_given ? "from the config" : "from the training labels");
  if (c->symm == SYMGNN_TR_HAAR)
    printf("model: %zu parameters, %d layers, width %d; symmetrization haar (the exact O(3) "
           "average)\n",
           symgnn_model_nparams(x->model), c->arch.nlayers, c->arch.width);
  else
    printf("model: %zu parameters, %d layers, width %d; symmetrization %s with %d transforms "
           "per step\n",
           symgnn_model_nparams(x->model), c->arch.nlayers, c->arch.width,
           c->symm == SYMGNN_TR_FIXED ? "fixed" : "learned", x->K);
  printf("schedule: batch %d configurations, %d steps per epoch, %lld steps in %d epochs\n", x->B,
         x->steps_per_epoch, (long long)x->total, c->epochs);
  printf("dry run: no training done\n");
}

/* Fresh state (seeded shuffle) or the state of a checkpoint (read on rank 0,
 * broadcast, parsed everywhere). */
static int init_state(run_ctx *x) {
  symgnn_tr_state *st = &x->st;
  const symgnn_tr_config *c = &x->cfg;
  const size_t np = symgnn_model_nparams(x->model);
  st->ntrain = c->ntrain;
  st->learned = c->symm == SYMGNN_TR_LEARNED;
  st->haar = c->symm == SYMGNN_TR_HAAR;
  st->best_pearson = -INFINITY;
  st->perm = malloc((size_t)c->ntrain * sizeof(int));
  x->K = st->haar ? 0 : c->symm == SYMGNN_TR_FIXED ? c->ntransforms : c->samples_per_step;
  x->grad = malloc(np * sizeof(float));
  x->gtmp = malloc(np * sizeof(double));
  x->transforms = malloc((size_t)x->K * 9 * sizeof(double) + 1);
  x->eps = malloc((size_t)x->K * 3 * sizeof(double) + 1);
  x->dtrans = malloc((size_t)x->K * 9 * sizeof(double) + 1);
  if (!st->perm || !x->grad || !x->gtmp || !x->transforms || !x->eps || !x->dtrans ||
      symgnn_tr_adam_init(&st->adam, np, c->beta1, c->beta2, c->eps, c->amsgrad) ||
      symgnn_tr_adam_init(&st->adam_theta, SYMGNN_TR_NTHETA, c->beta1, c->beta2, c->eps,
                          c->amsgrad))
    return snprintf(x->msg, sizeof x->msg, "out of memory for the optimizer state"), -1;
  if (c->symm == SYMGNN_TR_FIXED)
    memcpy(x->transforms, c->transforms, (size_t)x->K * 9 * sizeof(double));
  for (int i = 0; i < c->ntrain; ++i) st->perm[i] = i;
  symgnn_rng_seed(&st->rng, c->seed ^ 0x5eed5eed5eed5eedULL);
  shuffle(st);
  if (!x->opt->restart) return 0;
  unsigned char *data = NULL;
  size_t size = 0;
  int ok = 1;
  if (x->comm->rank == 0) {
    symgnn_error err;
    if (symgnn_file_read_all(x->opt->restart, &data, &size, &err) != SYMGNN_OK) {
      snprintf(x->msg, sizeof x->msg, "cannot read the checkpoint: %s", err.message);
      ok = 0;
    }
  }
  if (!symgnn_tr_comm_all_ok(ok)) {
    if (x->comm->rank) snprintf(x->msg, sizeof x->msg, "cannot read the checkpoint");
    return -1;
  }
  if (symgnn_tr_comm_bcast_bytes(x->comm, &data, &size))
    return snprintf(x->msg, sizeof x->msg, "out of memory receiving the checkpoint"), -1;
  char m[700];
  ok = symgnn_tr_ckpt_parse(data, size, st, x->model, m, sizeof m) == 0;
  free(data);
  if (!ok) return snprintf(x->msg, sizeof x->msg, "%s: %s", x->opt->restart, m), -1;
  if (x->st.step > x->total)
    return snprintf(x->msg, sizeof x->msg,
                    "%s: checkpoint is at step %lld, beyond the %lld steps of this config",
                    x->opt->restart, (long long)st->step, (long long)x->total),
           -1;
  return 0;
}

/* Batch configurations of this rank: every size-th one of the step's batch. */
static int build_local_batch(run_ctx *x, int *nbatch) {
  const symgnn_tr_state *st = &x->st;
  const int n = x->B < st->ntrain - st->pos ? x->B : st->ntrain - st->pos;
  int *idx = malloc((size_t)n * sizeof(int) + 1);
  if (!idx) return -1;
  int m = 0;
  for (int j = 0; j < n; ++j)
    if (j % x->comm->size == x->comm->rank) idx[m++] = st->perm[st->pos + j];
  const int rc = symgnn_tr_batch_build(&x->batch, &x->train, idx, m);
  free(idx);
  *nbatch = n;
  return rc;
}

/* One optimizer step on the next batch of the shuffled epoch. */
static int train_step(run_ctx *x) {
  symgnn_tr_state *st = &x->st;
  const symgnn_tr_config *c = &x->cfg;
  const size_t np = symgnn_model_nparams(x->model);
  int nbatch = 0;
  if (!symgnn_tr_comm_all_ok(build_local_batch(x, &nbatch) == 0))
    return snprintf(x->msg, sizeof x->msg, "out of memory building a batch"), -1;
  if (st->learned) symgnn_tr_symm_sample(st->theta, x->K, &st->rng, x->transforms, x->eps);
  symgnn_train_opts o;
  symgnn_train_opts_default(&o);
  o.dropout = c->dropout;
  o.seed = symgnn_rng_next(&st->rng) + 0x9e3779b97f4a7c15ULL * (uint64_t)x->comm->rank;
  o.update_stats = 1;
  o.reduce.fn = x->comm->size > 1 ? symgnn_tr_comm_sum_cb : NULL;
  o.reduce.user = NULL;
  memset(x->grad, 0, np * sizeof(float));
  memset(x->dtrans, 0, (size_t)x->K * 9 * sizeof(double));
  const symgnn_graph_view v = symgnn_tr_batch_view(&x->batch);
  double loss = 0.0;
  symgnn_error err;
  const symgnn_status s = symgnn_trainer_step(x->trainer, x->model, &v, x->batch.labels_z, x->K,
                                              x->K ? x->transforms : NULL, &o, &loss, x->grad,
                                              st->learned ? x->dtrans : NULL, NULL, &err);
  if (!symgnn_tr_comm_all_ok(s == SYMGNN_OK)) {
    snprintf(x->msg, sizeof x->msg, "training step %lld failed: %s", (long long)st->step + 1,
             s == SYMGNN_OK ? "on another rank" : err.message);
    return -1;
  }
  if (!isfinite(loss))
    return snprintf(x->msg, sizeof x->msg, "training diverged: loss is %g at step %lld", loss,
                    (long long)st->step + 1),
           -1;
  if (x->comm->size > 1) {
    symgnn_tr_comm_sum_f(x->grad, x->gtmp, np);
    if (st->learned) symgnn_tr_comm_sum_cb(x->dtrans, (size_t)x->K * 9, NULL);
  }
  double dtheta[SYMGNN_TR_NTHETA] = {0};
  if (st->learned) symgnn_tr_symm_backward(st->theta, x->K, x->eps, x->dtrans, dtheta);
  const double norm =
      sqrt(symgnn_tr_sumsq_f(x->grad, np) + symgnn_tr_sumsq_d(dtheta, SYMGNN_TR_NTHETA));
  const double coef = symgnn_tr_clip_coef(norm, c->clip_norm);
  if (coef < 1.0) {
    for (size_t i = 0; i < np; ++i) x->grad[i] = (float)((double)x->grad[i] * coef);
    for (int i = 0; i < SYMGNN_TR_NTHETA; ++i) dtheta[i] *= coef;
  }
  const double lr = symgnn_tr_schedule_lr(st->step + 1, x->total, c->warmup_steps, c->peak_lr,
                                          c->min_lr, c->decay == SYMGNN_TR_COSINE);
  st->adam.weight_decay = c->weight_decay; /* from the config, also after a restart */
  symgnn_tr_adam_step_f(&st->adam, symgnn_model_params(x->model), x->grad, lr);
  if (st->learned) symgnn_tr_adam_step_d(&st->adam_theta, st->theta, dtheta, lr);
  st->step++;
  st->loss_sum += loss;
  st->loss_count++;
  st->pos += nbatch;
  if (st->pos >= st->ntrain) {
    st->epoch++;
    st->pos = 0;
    shuffle(st);
  }
  return 0;
}

/* Checkpoint and learning curve (rank 0), with the error shared by all ranks. */
static int save_progress(run_ctx *x) {
  x->st.wall_time = x->wall0 + (now_seconds() - x->t0);
  int ok = 1;
  char m[700];
  if (x->comm->rank == 0)
    ok = !symgnn_tr_ckpt_write(x->cfg.out_checkpoint, &x->st, x->model, m, sizeof m) &&
         !symgnn_tr_curve_write(x->cfg.out_curve, &x->st, m, sizeof m);
  if (!symgnn_tr_comm_all_ok(ok))
    return snprintf(x->msg, sizeof x->msg, "%s", x->comm->rank == 0 ? m : "write failed"), -1;
  x->st.wall_time = x->wall0;
  return 0;
}

/* Model file with provenance (rank 0). */
static int save_model(run_ctx *x, const char *path, const symgnn_tr_scores *sc) {
  int ok = 1;
  char m[700] = "";
  if (x->comm->rank == 0) {
    symgnn_error err;
    double mean, std, lo, hi;
    symgnn_tr_set_label_stats(&x->train, &mean, &std, &lo, &hi);
    ok = !symgnn_tr_set_provenance(x->model, &x->cfg, &x->st, sc, lo, hi, m, sizeof m);
    if (ok && symgnn_model_write(x->model, path, &err) != SYMGNN_OK) {
      snprintf(m, sizeof m, "%s", err.message);
      ok = 0;
    }
  }
  if (!symgnn_tr_comm_all_ok(ok))
    return snprintf(x->msg, sizeof x->msg, "%s", x->comm->rank == 0 ? m : "write failed"), -1;
  return 0;
}

static void format_seconds(double s, char *buf, size_t len) {
  if (s < 120.0)
    snprintf(buf, len, "%.1fs", s);
  else if (s < 7200.0)
    snprintf(buf, len, "%.1fm", s / 60.0);
  else
    snprintf(buf, len, "%.1fh", s / 3600.0);
}

/* Learned mode: the model's stored transforms are the M inference draws of
 * the current distribution (what validation uses and the model files carry). */
static int store_learned_transforms(run_ctx *x) {
  if (!x->st.learned) return 0;
  const int M = x->cfg.inference_transforms;
  double *t = malloc((size_t)M * 9 * sizeof(double));
  symgnn_error err;
  if (!t) return snprintf(x->msg, sizeof x->msg, "out of memory"), -1;
  symgnn_tr_symm_inference(x->st.theta, M, x->cfg.symm_seed, t);
  const symgnn_status s = symgnn_model_set_transforms(x->model, M, t, &err);
  free(t);
  if (s != SYMGNN_OK)
    return snprintf(x->msg, sizeof x->msg, "learned transforms: %s", err.message), -1;
  return 0;
}

/* Validation in eval mode, learning-curve row, best model, checkpoint,
 * progress line; sets *stop when patience is exhausted. */
static int evaluate(run_ctx *x, int *stop) {
  symgnn_tr_state *st = &x->st;
  const symgnn_tr_config *c = &x->cfg;
  if (store_learned_transforms(x)) return -1;
  if (c->bn_recalibrate && symgnn_tr_recalibrate_stats(x->model, x->trainer, &x->train, &x->batch,
                                                       x->comm, x->msg, sizeof x->msg))
    return -1;
  symgnn_tr_scores sc;
  if (symgnn_tr_evaluate(x->model, &x->val, x->comm, NULL, &sc, x->msg, sizeof x->msg)) return -1;
  const double elapsed = now_seconds() - x->t0;
  symgnn_tr_curve_row row;
  row.step = st->step;
  row.train_loss = st->loss_count ? st->loss_sum / st->loss_count : NAN;
  row.val_mse = sc.mse_z;
  row.val_mae = sc.mae;
  row.val_pearson = sc.pearson;
  row.val_r2 = sc.r2;
  row.lr = symgnn_tr_schedule_lr(st->step, x->total, c->warmup_steps, c->peak_lr, c->min_lr,
                                 c->decay == SYMGNN_TR_COSINE);
  row.wall_time = x->wall0 + elapsed;
  if (symgnn_tr_state_add_row(st, &row))
    return snprintf(x->msg, sizeof x->msg, "out of memory for the learning curve"), -1;
  st->loss_sum = 0.0;
  st->loss_count = 0;
  x->last = sc;
  const int better = isfinite(sc.pearson) && sc.pearson > st->best_pearson;
  if (better) {
    st->best_pearson = sc.pearson;
    st->best_step = st->step;
    st->bad_evals = 0;
  } else {
    st->bad_evals++;
  }
  /* Checkpoint first, then the best model: a kill in between leaves a
   * checkpoint whose best step is its own step, and --restart rewrites the
   * best model from it (restore_best_model). The checkpoint wins. */
  if (save_progress(x)) return -1;
  if (better && save_model(x, c->out_best, &sc)) return -1;
  if (c->patience > 0 && st->bad_evals >= c->patience) *stop = 1;
  if (x->comm->rank == 0) {
    char el[32], eta[32], steps[32];
    const int64_t done = st->step - x->step0;
    format_seconds(elapsed, el, sizeof el);
    format_seconds(x->step_seconds, steps, sizeof steps);
    format_seconds(done > 0 ? elapsed / (double)done * (double)(x->total - st->step) : 0.0, eta,
                   sizeof eta);
    printf("step %lld/%lld epoch %lld train_loss %.6f val_pearson %.4f best %.4f (step %lld) "
           "lr %.3e elapsed %s (steps %s) eta %s\n",
           (long long)st->step, (long long)x->total, (long long)st->epoch, row.train_loss,
           sc.pearson, st->best_pearson, (long long)st->best_step, row.lr, el, steps, eta);
    fflush(stdout);
  }
  return 0;
}

/* Scores of the last evaluation, from the learning curve (after a restart). */
static void last_scores_from_curve(run_ctx *x) {
  if (x->st.ncurve == 0) return;
  const symgnn_tr_curve_row *r = &x->st.curve[x->st.ncurve - 1];
  double mean, std;
  symgnn_model_label_norm(x->model, &mean, &std);
  x->last.mse_z = r->val_mse;
  x->last.mae = r->val_mae;
  x->last.rmse = sqrt(r->val_mse) * std;
  x->last.pearson = r->val_pearson;
  x->last.r2 = r->val_r2;
}

/* Temporaries of our outputs left by a killed run (rank 0): removed, and
 * counted on stdout, before anything is written. */
static int remove_stale_temporaries(run_ctx *x) {
  const symgnn_tr_config *c = &x->cfg;
  const char *paths[4] = {c->out_checkpoint, c->out_curve, c->out_best, c->out_model};
  int ok = 1, total = 0;
  char m[700] = "";
  for (int i = 0; i < 4 && ok && x->comm->rank == 0; ++i) {
    int n = 0;
    symgnn_error err;
    ok = symgnn_file_remove_stale(paths[i], &n, &err) == SYMGNN_OK;
    if (!ok) snprintf(m, sizeof m, "%s", err.message);
    total += n;
  }
  if (!symgnn_tr_comm_all_ok(ok))
    return snprintf(x->msg, sizeof x->msg, "%s", x->comm->rank == 0 ? m : "cleanup failed"), -1;
  if (total > 0 && x->comm->rank == 0)
    printf("removed %d stale temporary file%s of an interrupted run\n", total,
           total == 1 ? "" : "s");
  return 0;
}

/* After --restart: the files written after the checkpoint are made to agree
 * with it. A kill between the checkpoint and the best model leaves a
 * checkpoint whose best step is its own step while the best model on disk is
 * older; the weights are the checkpoint's, so the best model is rewritten.
 * The learning curve is rewritten from the checkpoint's rows too. */
static int restore_best_model(run_ctx *x) {
  const symgnn_tr_state *st = &x->st;
  if (!x->opt->restart || st->ncurve == 0) return 0;
  int ok = 1;
  char m[700] = "";
  if (x->comm->rank == 0) ok = !symgnn_tr_curve_write(x->cfg.out_curve, st, m, sizeof m);
  if (!symgnn_tr_comm_all_ok(ok))
    return snprintf(x->msg, sizeof x->msg, "%s", x->comm->rank == 0 ? m : "write failed"), -1;
  int stale = 0;
  if (x->comm->rank == 0)
    stale = st->best_step == st->step && st->curve[st->ncurve - 1].step == st->step &&
            symgnn_tr_model_file_step(x->cfg.out_best) != st->best_step;
  if (symgnn_tr_comm_all_ok(!stale)) return 0; /* no rank has a stale best model */
  if (save_model(x, x->cfg.out_best, &x->last)) return -1;
  if (x->comm->rank == 0)
    printf("restart: best model %s rewritten from the checkpoint (step %lld)\n", x->cfg.out_best,
           (long long)st->best_step);
  return 0;
}

/* The step loop; returns 0 when training finished or stopped at --stop-at. */
static int train_loop(run_ctx *x) {
  symgnn_tr_state *st = &x->st;
  const symgnn_tr_config *c = &x->cfg;
  symgnn_error err;
  if (symgnn_trainer_create(x->model, &x->trainer, &err) != SYMGNN_OK)
    return snprintf(x->msg, sizeof x->msg, "cannot create the trainer: %s", err.message), -1;
  x->t0 = now_seconds();
  x->wall0 = st->wall_time;
  x->step0 = st->step;
  last_scores_from_curve(x);
  if (store_learned_transforms(x)) return -1; /* theta may come from a checkpoint */
  if (remove_stale_temporaries(x) || restore_best_model(x)) return -1;
  int stop = c->patience > 0 && st->bad_evals >= c->patience;
  int evaluated = st->ncurve > 0 && st->curve[st->ncurve - 1].step == st->step;
  if (x->comm->rank == 0)
    printf("training: %lld steps (%d per epoch), starting at step %lld\n", (long long)x->total,
           x->steps_per_epoch, (long long)st->step);
  while (!stop && st->step < x->total) {
    if (x->opt->stop_at > 0 && st->step >= x->opt->stop_at) {
      if (!evaluated && save_progress(x)) return -1;
      if (x->comm->rank == 0)
        printf("stopped at step %lld (--stop-at); continue with --restart %s\n",
               (long long)st->step, c->out_checkpoint);
      return 1;
    }
    const double ts = now_seconds();
    if (train_step(x)) return -1;
    x->step_seconds += now_seconds() - ts;
    evaluated = 0;
    if (st->step % c->eval_interval == 0 || st->step == x->total) {
      if (evaluate(x, &stop)) return -1;
      evaluated = 1;
    }
  }
  if (!evaluated && evaluate(x, &stop)) return -1;
  if (save_model(x, c->out_model, &x->last)) return -1;
  if (x->comm->rank == 0)
    printf("done: %lld steps, %lld epochs%s; best val_pearson %.4f at step %lld (%s); final "
           "model %s\n",
           (long long)st->step, (long long)st->epoch, stop ? " (early stop: patience)" : "",
           st->best_pearson, (long long)st->best_step, c->out_best, c->out_model);
  return 0;
}

static void cleanup(run_ctx *x) {
  symgnn_trainer_free(x->trainer);
  symgnn_tr_batch_free(&x->batch);
  symgnn_tr_set_free(&x->train);
  symgnn_tr_set_free(&x->val);
  symgnn_tr_state_free(&x->st);
  symgnn_model_free(x->model);
  symgnn_tr_config_free(&x->cfg);
  free(x->grad);
  free(x->gtmp);
  free(x->transforms);
  free(x->eps);
  free(x->dtrans);
}

int symgnn_tr_run(const symgnn_tr_options *opt, const symgnn_tr_comm *comm) {
  run_ctx *x = calloc(1, sizeof *x);
  if (!x) return 1;
  x->opt = opt;
  x->comm = comm;
  int rc = 0;
  if (symgnn_tr_config_load(opt->config, &x->cfg, x->msg, sizeof x->msg)) {
    rc = fail(x);
  } else if (create_model(x) || load_data(x) || init_state(x)) {
    rc = fail(x);
  } else if (opt->dry_run) {
    if (comm->rank == 0) dry_run_report(x);
  } else {
    const int r = train_loop(x);
    rc = r < 0 ? fail(x) : 0;
  }
  cleanup(x);
  free(x);
  return rc;
}
