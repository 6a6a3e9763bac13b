/* The regression GNNExplainer of Li et al. (ICML 2024) for one target: logits M of
 * every subgraph edge, mask sigmoid(M) multiplying every layer's post-softmax
 * attention, objective (y_v(mask) - y_v(no mask))^2 + size * sum mask +
 * entropy * mean H(mask), minimized with Adam. The model's forward and
 * backward are the training kernels' (eval mode, edge weights), so every
 * symmetrization kind works, haar included. */
#include "symgnn_explain.h"
#include "symgnn_ext.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ENT_EPS 1e-15 /* inside the logarithms of the entropy, as in the released code */

void symgnn_explain_opts_default(symgnn_explain_opts *o) {
  o->steps = 500;
  o->lr = 0.01;
  o->seed = 0;
  o->size_coef = 0.005;
  o->entropy_coef = 1.0;
}

/* Working arrays of one explanation. */
typedef struct {
  double *logit, *m1, *m2, *dw;  /* logits, Adam moments, d loss / d mask */
  float *w, *labels, *lw;        /* mask, labels (target: pred0), loss weights (one-hot) */
  int active[SYMGNN_MAX_LAYERS]; /* layer l: nodes within L-1-l hops (a prefix) */
} work;

static void work_free(work *k) {
  free(k->logit);
  free(k->m1);
  free(k->m2);
  free(k->dw);
  free(k->w);
  free(k->labels);
  free(k->lw);
}

static int work_alloc(work *k, int n, int64_t ne) {
  memset(k, 0, sizeof *k);
  k->logit = malloc((size_t)ne * sizeof(double));
  k->m1 = calloc((size_t)ne, sizeof(double));
  k->m2 = calloc((size_t)ne, sizeof(double));
  k->dw = malloc((size_t)ne * sizeof(double));
  k->w = malloc((size_t)ne * sizeof(float));
  k->labels = calloc((size_t)n, sizeof(float));
  k->lw = calloc((size_t)n, sizeof(float));
  return k->logit && k->m1 && k->m2 && k->dw && k->w && k->labels && k->lw;
}

/* Entropy of a Bernoulli mask value, with the released code's epsilon. */
static double entropy(double p) {
  return -p * log(p + ENT_EPS) - (1.0 - p) * log(1.0 - p + ENT_EPS);
}

/* Regularizers and their gradients: adds d/d mask of size and entropy terms to
 * dw, returns their value. */
static double regularize(const symgnn_explain_opts *o, int64_t ne, const float *w, double *dw) {
  double size = 0.0, ent = 0.0;
  for (int64_t e = 0; e < ne; ++e) {
    const double p = w[e];
    size += p;
    ent += entropy(p);
    const double dh = -log(p + ENT_EPS) - p / (p + ENT_EPS) + log(1.0 - p + ENT_EPS) +
                      (1.0 - p) / (1.0 - p + ENT_EPS);
    dw[e] += o->size_coef + o->entropy_coef * dh / (double)ne;
  }
  return o->size_coef * size + o->entropy_coef * ent / (double)ne;
}

/* One eval-mode pass of the kernels on the subgraph: the target's
 * prediction, and (with labels) the gradient of (pred - label)^2 w.r.t. the
 * edge weights in dw (zeroed first). */
static symgnn_status pass(symgnn_trainer *tr, symgnn_model *model, const symgnn_subgraph *sg,
                          work *k, const float *weight, int with_grad, int reuse, double *pred,
                          double *sq, symgnn_error *err) {
  symgnn_train_opts opts;
  symgnn_train_opts_default(&opts);
  opts.dropout = 0.0;
  opts.update_stats = 0;
  opts.threads = 1;
  opts.eval = 1;
  opts.edge_weight = weight;
  opts.reuse_inputs = reuse;
  opts.loss_weight = k->lw;
  opts.active_nodes = k->active;
  if (with_grad) {
    memset(k->dw, 0, (size_t)sg->ne * sizeof(double));
    opts.dedge_weight = k->dw;
  }
  const symgnn_graph_view v = symgnn_subgraph_view(sg);
  const int ntr = symgnn_model_ntransforms(model);
  float p0 = 0.0f;
  k->lw[0] = 1.0f; /* the loss sees the target only */
  /* pred is written for every node: the target's is the first */
  float *pred_all = malloc((size_t)sg->n * sizeof(float));
  if (!pred_all)
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for %d predictions", sg->n);
  const symgnn_status st = symgnn_trainer_step(tr, model, &v, with_grad ? k->labels : NULL, ntr,
                                               ntr ? symgnn_model_transforms(model) : NULL, &opts,
                                               sq, NULL, NULL, pred_all, err);
  p0 = pred_all[0];
  free(pred_all);
  *pred = p0;
  return st;
}

/* One Adam step (PyTorch's defaults: betas 0.9, 0.999, eps 1e-8). */
static void adam(const symgnn_explain_opts *o, int64_t ne, int t, const double *g, work *k) {
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const double c1 = 1.0 - pow(b1, t), c2 = 1.0 - pow(b2, t);
  for (int64_t e = 0; e < ne; ++e) {
    k->m1[e] = b1 * k->m1[e] + (1.0 - b1) * g[e];
    k->m2[e] = b2 * k->m2[e] + (1.0 - b2) * g[e] * g[e];
    k->logit[e] -= o->lr * (k->m1[e] / c1) / (sqrt(k->m2[e] / c2) + eps);
  }
}

/* mask = sigmoid(logits). */
static void squash(int64_t ne, const double *logit, float *w) {
  for (int64_t e = 0; e < ne; ++e) w[e] = (float)(1.0 / (1.0 + exp(-logit[e])));
}

static symgnn_status check_opts(const symgnn_explain_opts *o, symgnn_error *err) {
  if (o->steps < 0) return symgnn_set_error(err, SYMGNN_ERR_ARG, "steps %d is negative", o->steps);
  if (!(o->lr > 0.0) || !isfinite(o->lr))
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "learning rate %g is not a positive number",
                            o->lr);
  if (!(o->size_coef >= 0.0) || !isfinite(o->size_coef))
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "size coefficient %g is not a finite number >= 0",
                            o->size_coef);
  if (!(o->entropy_coef >= 0.0) || !isfinite(o->entropy_coef))
    return symgnn_set_error(err, SYMGNN_ERR_ARG,
                            "entropy coefficient %g is not a finite number >= 0", o->entropy_coef);
  return SYMGNN_OK;
}

symgnn_status symgnn_explain_target(symgnn_trainer *tr, symgnn_model *model,
                                    const symgnn_subgraph *sg, const symgnn_explain_opts *o,
                                    float *mask, symgnn_explain_result *res, symgnn_error *err) {
  symgnn_status st = check_opts(o, err);
  if (st != SYMGNN_OK) return st;
  work k;
  if (!work_alloc(&k, sg->n, sg->ne)) {
    work_free(&k);
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for the mask of %lld edges",
                            (long long)sg->ne);
  }
  const int L = symgnn_model_arch(model)->nlayers;
  for (int l = 0; l < L; ++l) { /* only what reaches the target is computed */
    k.active[l] = 0;
    while (k.active[l] < sg->n && sg->hop[k.active[l]] <= L - 1 - l) ++k.active[l];
  }
  double sq = 0.0, pred = 0.0;
  st = pass(tr, model, sg, &k, NULL, 0, 0, &res->pred0, &sq, err);
  k.labels[0] = (float)res->pred0;
  symgnn_rng rng;
  symgnn_rng_seed(&rng, o->seed);
  const double sigma = sqrt(2.0 / (double)sg->n); /* the released code's initialization */
  for (int64_t e = 0; e < sg->ne; ++e) k.logit[e] = sigma * symgnn_rng_normal(&rng);
  for (int t = 1; st == SYMGNN_OK && t <= o->steps; ++t) {
    squash(sg->ne, k.logit, k.w);
    st = pass(tr, model, sg, &k, k.w, 1, 1, &pred, &sq, err);
    regularize(o, sg->ne, k.w, k.dw);
    for (int64_t e = 0; e < sg->ne; ++e) k.dw[e] *= (double)k.w[e] * (1.0 - k.w[e]); /* d/d M */
    adam(o, sg->ne, t, k.dw, &k);
  }
  if (st == SYMGNN_OK) { /* the final mask and its objective */
    squash(sg->ne, k.logit, mask);
    st = pass(tr, model, sg, &k, mask, 1, 1, &res->pred, &res->sq_change, err);
    res->loss = res->sq_change + regularize(o, sg->ne, mask, k.dw);
  }
  work_free(&k);
  return st;
}
