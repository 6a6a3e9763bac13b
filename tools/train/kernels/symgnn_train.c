/* Training step driver: checks the inputs, agrees with the other ranks on
 * sizes and failures, then runs the train-mode forward pass, the MSE loss and
 * the backward pass kernel by kernel. */
#include "symgnn_ext.h"
#include "symgnn_train_impl.h"

#include <limits.h>
#include <math.h>
#include <string.h>

void symgnn_train_opts_default(symgnn_train_opts *opts) {
  memset(opts, 0, sizeof *opts);
  opts->dropout = 0.25;
  opts->seed = 0;
  opts->bn_momentum = 0.1;
  opts->update_stats = 1;
  opts->bn_average_step = 0;
}

/* The model must have the architecture the trainer was created for. */
static symgnn_status check_model(const symgnn_trainer *tr, const symgnn_model *m,
                                 symgnn_error *err) {
  const symgnn_arch *a = symgnn_model_arch(m);
  const symgnn_layout *lay = symgnn_model_layout(m);
  int same = a->nelements == tr->arch.nelements && a->width == tr->arch.width &&
             a->nlayers == tr->arch.nlayers && a->decoder_depth == tr->arch.decoder_depth &&
             lay->nparams == tr->lay.nparams && lay->nstats == tr->lay.nstats;
  for (int l = 0; same && l < a->nlayers; ++l) same = a->heads[l] == tr->arch.heads[l];
  if (!same)
    return symgnn_set_error(err, SYMGNN_ERR_ARG,
                            "model architecture differs from the one the trainer was created for");
  return SYMGNN_OK;
}

/* The explainer hooks: finite edge weights, finite non-negative loss
 * weights, and eval mode without dropout. */
static symgnn_status check_explainer_inputs(const symgnn_graph_view *g, int nlayers,
                                            const symgnn_train_opts *o, symgnn_error *err) {
  if (o->eval && o->dropout != 0.0)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "eval mode needs dropout 0 (got %g)", o->dropout);
  const int *act = o->active_nodes;
  for (int l = 0; act && l < nlayers; ++l)
    if (act[l] < 1 || act[l] > g->nlocal || (l > 0 && act[l] > act[l - 1]))
      return symgnn_set_error(err, SYMGNN_ERR_ARG,
                              "active nodes %d of layer %d outside 1..%d or above the layer before",
                              act[l], l, l > 0 ? act[l - 1] : g->nlocal);
  if (act && (!o->eval || !o->loss_weight))
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "active nodes need eval mode and loss weights");
  for (int t = act ? act[nlayers - 1] : g->nlocal; t < g->nlocal; ++t)
    if (o->loss_weight[t] != 0.0f)
      return symgnn_set_error(err, SYMGNN_ERR_ARG,
                              "loss weight of node %d is not 0 but the last layer computes only "
                              "nodes below %d",
                              t, act[nlayers - 1]);
  for (int64_t e = 0; o->edge_weight && e < g->offsets[g->nlocal]; ++e)
    if (!isfinite(o->edge_weight[e]))
      return symgnn_set_error(err, SYMGNN_ERR_NONFINITE, "weight of edge %lld is not finite",
                              (long long)e);
  for (int t = 0; o->loss_weight && t < g->nlocal; ++t)
    if (!(o->loss_weight[t] >= 0.0f) || !isfinite(o->loss_weight[t]))
      return symgnn_set_error(err, SYMGNN_ERR_ARG,
                              "loss weight %g of node %d is not a finite non-negative number",
                              (double)o->loss_weight[t], t);
  return SYMGNN_OK;
}

static symgnn_status check_inputs(const symgnn_graph_view *g, const symgnn_model *m,
                                  const float *labels, int ntr, const double *tr,
                                  const symgnn_train_opts *o, int *maxdeg, symgnn_error *err) {
  if (g->nlocal < 0 || g->ntotal != g->nlocal)
    return symgnn_set_error(err, SYMGNN_ERR_ARG,
                            "training needs a graph without ghosts (nlocal %d, ntotal %d)",
                            g->nlocal, g->ntotal);
  const symgnn_status st = symgnn_graph_view_check(g, symgnn_model_arch(m)->nelements, maxdeg, err);
  if (st != SYMGNN_OK) return st;
  for (int t = 0; labels && t < g->nlocal; ++t)
    if (!isfinite(labels[t]))
      return symgnn_set_error(err, SYMGNN_ERR_NONFINITE, "label of node %d is not finite", t);
  if (ntr == 0 && tr)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "transforms given but their count is 0");
  if (ntr < 0 || ntr > (int)SYMGNN_MODEL_MAX_TRANSFORMS || (ntr > 0 && !tr))
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "number of transforms %d outside 0..%u (0: haar)",
                            ntr, SYMGNN_MODEL_MAX_TRANSFORMS);
  for (int i = 0; i < 9 * ntr; ++i)
    if (!isfinite(tr[i]))
      return symgnn_set_error(err, SYMGNN_ERR_NONFINITE, "transform %d has a non-finite entry",
                              i / 9 + 1);
  if (!(o->dropout >= 0.0 && o->dropout < 1.0))
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "dropout %g outside [0, 1)", o->dropout);
  if (!(o->bn_momentum >= 0.0 && o->bn_momentum <= 1.0))
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "BatchNorm momentum %g outside [0, 1]",
                            o->bn_momentum);
  if (o->bn_average_step < 0)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "BatchNorm average step %lld is negative",
                            (long long)o->bn_average_step);
  if (o->threads < 0)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "thread count %d is negative", o->threads);
  return check_explainer_inputs(g, symgnn_model_arch(m)->nlayers, o, err);
}

/* Threads of a step: as asked in the options, else OpenMP's default. */
static int step_threads(const symgnn_train_opts *o) {
  return o->threads > 0 ? o->threads : symgnn_threads_max();
}

/* 1 when destination t starts a layer's inactive range (a block boundary). */
static int is_cut(const symgnn_step *s, int t) {
  for (int l = 0; s->opts->active_nodes && l < s->tr->lay.nlayers; ++l)
    if (s->lnode[l] == t) return 1;
  return 0;
}

/* Destination blocks holding whole destinations with at most blkcap edges,
 * never across a layer's active boundary; each layer's block count. */
static int make_blocks(symgnn_step *s, const int64_t *off, int n, int64_t blkcap, int *blk) {
  int nb = 0;
  blk[0] = 0;
  for (int t = 0; t < n;) {
    int t1 = t + 1;
    while (t1 < n && off[t1 + 1] - off[t] <= blkcap && !is_cut(s, t1)) ++t1;
    blk[++nb] = t1;
    t = t1;
  }
  for (int l = 0; l < s->tr->lay.nlayers; ++l) {
    s->lblk[l] = nb;
    for (int b = 0; b <= nb; ++b)
      if (blk[b] == s->lnode[l]) s->lblk[l] = b;
  }
  return nb;
}

/* This rank's sums of x and x x^T over the float displacements. */
static void moments(const symgnn_step *s, double xs[3], double xx[9]) {
  memset(xs, 0, 3 * sizeof(double));
  memset(xx, 0, 9 * sizeof(double));
  for (int64_t e = 0; e < s->ne; ++e) {
    const double x[3] = {(float)s->disp[3 * e], (float)s->disp[3 * e + 1],
                         (float)s->disp[3 * e + 2]};
    for (int r = 0; r < 3; ++r) {
      xs[r] += x[r];
      for (int q = 0; q < 3; ++q) xx[3 * r + q] += x[r] * x[q];
    }
  }
}

/* Local checks and allocation, then one reduction so every rank learns the
 * global sizes and whether any rank failed (all ranks return together). */
static symgnn_status prepare(symgnn_trainer *tr, symgnn_model *model,
                             const symgnn_graph_view *graph, const float *labels, int ntr,
                             const double *transforms, const symgnn_train_opts *opts,
                             symgnn_step *s, symgnn_error *err) {
  int maxdeg = 0;
  symgnn_status st = check_model(tr, model, err);
  if (st == SYMGNN_OK) st = check_inputs(graph, model, labels, ntr, transforms, opts, &maxdeg, err);
  const int n = st == SYMGNN_OK ? graph->nlocal : 0;
  const int64_t ne = st == SYMGNN_OK ? graph->offsets[n] : 0;
  const int64_t blkcap = maxdeg > SYMGNN_TRAIN_BLOCK ? maxdeg : SYMGNN_TRAIN_BLOCK;
  if (st == SYMGNN_OK &&
      !symgnn_trainer_reserve(tr, n, ne, ntr, blkcap, maxdeg, step_threads(opts)))
    st = symgnn_set_error(err, SYMGNN_ERR_NOMEM,
                          "out of memory for a training step on %d nodes and %lld edges", n,
                          (long long)ne);
  double g[3] = {(double)n, (double)ne, st == SYMGNN_OK ? 0.0 : 1.0};
  symgnn_reduce_sum(&opts->reduce, g, 3);
  if (st != SYMGNN_OK) return st;
  if (g[2] > 0.0)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "training step failed on another rank");
  if (g[0] < 2.0 || g[1] < 2.0)
    return symgnn_set_error(err, SYMGNN_ERR_ARG,
                            "BatchNorm needs at least 2 nodes and 2 edges over all ranks (%g, %g)",
                            g[0], g[1]);
  memset(s, 0, sizeof *s);
  s->tr = tr;
  s->opts = opts;
  s->params = symgnn_model_params(model);
  s->stats = opts->update_stats && !opts->eval ? symgnn_model_stats(model) : NULL;
  s->run_stats = symgnn_model_stats(model);
  s->loss_norm = g[0];
  s->n = n;
  s->ne = ne;
  s->nglob = g[0];
  s->eglob = g[1];
  s->species = graph->species;
  s->src = graph->src;
  s->off = graph->offsets;
  s->disp = graph->disp;
  for (int l = 0; l < tr->lay.nlayers; ++l) {
    s->lnode[l] = opts->active_nodes ? opts->active_nodes[l] : n;
    s->ledge[l] = graph->offsets[s->lnode[l]];
  }
  s->nout = opts->active_nodes ? s->lnode[tr->lay.nlayers - 1] : n;
  s->blk = (int *)tr->blk.p;
  s->nblk = make_blocks(s, graph->offsets, n, blkcap, (int *)tr->blk.p);
  s->blkcap = blkcap;
  s->ntr = ntr;
  s->transforms = transforms;
  s->keep_scale = opts->dropout > 0.0 ? (float)(1.0 / (1.0 - opts->dropout)) : 0.0f;
  moments(s, s->xs, s->xx);
  return SYMGNN_OK;
}

/* The step proper (see symgnn_trainer_step). */
static symgnn_status run_step(symgnn_trainer *tr, symgnn_model *model,
                              const symgnn_graph_view *graph, const float *labels, int ntransforms,
                              const double *transforms, const symgnn_train_opts *opts, double *loss,
                              float *grad, double *dtransforms, float *pred, symgnn_error *err) {
  symgnn_step s;
  symgnn_status st = prepare(tr, model, graph, labels, ntransforms, transforms, opts, &s, err);
  if (st != SYMGNN_OK) return st;
  const int L = tr->lay.nlayers;
  const int params = grad || dtransforms; /* the encoders' backward is needed */
  if (opts->eval && params)
    return symgnn_set_error(err, SYMGNN_ERR_ARG,
                            "eval mode gives only the edge-weight gradient (grad and dtransforms "
                            "must be NULL)");
  const int backward = labels && (params || opts->dedge_weight);
  if (backward) {
    memset(tr->gacc, 0, tr->lay.nparams * sizeof(double));
    s.gacc = tr->gacc;
    s.weights_only = !params;
  }
  if (!opts->reuse_inputs) {
    symgnn_node_encoder_forward(&s);
    if (s.ntr == 0) { /* g0 and layer 0's edge term, both kept when inputs are reused */
      symgnn_haar_encoder_forward(&s);
      symgnn_haar_edge_term_table(&s);
    } else
      symgnn_edge_encoder_forward(&s);
  }
  for (int l = 0; l < L; ++l) symgnn_layer_forward(&s, l);
  symgnn_decoder_forward(&s);
  const float *p = TB_F(tr->pred);
  if (pred) memcpy(pred, p, (size_t)s.n * sizeof(float));
  if (!labels) return SYMGNN_OK;
  double sq = 0.0;
  if (opts->loss_weight) {
    double sw[2] = {0.0, 0.0}; /* weighted squares, weights */
    for (int i = 0; i < s.n; ++i) {
      const double r = (double)p[i] - labels[i];
      sw[0] += opts->loss_weight[i] * r * r;
      sw[1] += opts->loss_weight[i];
    }
    symgnn_reduce_sum(&opts->reduce, sw, 2);
    if (!(sw[1] > 0.0))
      return symgnn_set_error(err, SYMGNN_ERR_ARG, "the loss weights sum to %g, not above 0",
                              sw[1]);
    sq = sw[0];
    s.loss_norm = sw[1];
  } else {
    for (int i = 0; i < s.n; ++i) sq += ((double)p[i] - labels[i]) * ((double)p[i] - labels[i]);
    symgnn_reduce_sum(&opts->reduce, &sq, 1);
  }
  if (loss) *loss = sq / s.loss_norm;
  if (!isfinite(sq))
    return symgnn_set_error(err, SYMGNN_ERR_NONFINITE, "training loss is not finite");
  if (!backward) return SYMGNN_OK;
  symgnn_decoder_backward(&s, labels);
  for (int l = L - 1; l >= 0; --l) symgnn_layer_backward(&s, l);
  if (!params) return SYMGNN_OK; /* only the edge weights' gradient was asked */
  if (s.ntr == 0)
    symgnn_haar_encoder_backward(&s);
  else
    symgnn_edge_encoder_backward(&s, dtransforms);
  symgnn_node_encoder_backward(&s);
  if (grad)
    for (size_t i = 0; i < tr->lay.nparams; ++i) grad[i] += (float)tr->gacc[i];
  return SYMGNN_OK;
}

symgnn_status symgnn_trainer_step(symgnn_trainer *tr, symgnn_model *model,
                                  const symgnn_graph_view *graph, const float *labels,
                                  int ntransforms, const double *transforms,
                                  const symgnn_train_opts *opts, double *loss, float *grad,
                                  double *dtransforms, float *pred, symgnn_error *err) {
  if (!tr || !model || !graph || !opts)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "trainer, model, graph and options are required");
  /* every large product runs inside the step's own parallel loops, so
   * OpenBLAS's threads would only compete with them for the cores; the
   * kernels' parallel loops rely on OpenBLAS being single-threaded here */
  const int nth = step_threads(opts), blas = symgnn_blas_single(nth);
  const symgnn_status st = run_step(tr, model, graph, labels, ntransforms, transforms, opts, loss,
                                    grad, dtransforms, pred, err);
  symgnn_blas_restore(nth, blas);
  return st;
}
