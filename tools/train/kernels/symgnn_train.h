/* USER-SYMGNN training kernels: train-mode forward and hand-written backward
 * pass of the whole model, for the standalone trainer. Plain C, no MPI: the
 * caller supplies a reduction callback so BatchNorm batch statistics and the
 * loss are global across data-parallel ranks. */
#ifndef SYMGNN_TRAIN_H
#define SYMGNN_TRAIN_H

#include "symgnn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* In-place sum of n doubles over all data-parallel ranks (NULL fn: serial). */
typedef struct {
  void (*fn)(double *buf, size_t n, void *user);
  void *user;
} symgnn_reduce;

typedef struct {
  double dropout;     /* drop probability after every layer (0.25); 0 disables */
  uint64_t seed;      /* seed of this step's dropout masks */
  double bn_momentum; /* running-statistics momentum (0.1) */
  int update_stats;   /* 1: update the model's BN running statistics */
  /* 0: the running statistics are an EMA with bn_momentum. n >= 1: they are
   * a plain (cumulative) average instead, and this step is the n-th of the
   * average: the node-path BNs use momentum 1/n, and the edge-encoder BNs,
   * updated once per transform, use 1/((n-1) K + k + 1) for transform k of K,
   * so after n steps every BN holds the mean of all its batch statistics. */
  int64_t bn_average_step;
  /* threads of the step's loops (OpenMP, single-threaded BLAS inside); 0:
   * OpenMP's default (OMP_NUM_THREADS or all cores) */
  int threads;
  symgnn_reduce reduce;
  /* Explainer hooks; zero / NULL (the defaults) leave the training step as is.
   * eval:         1: every BatchNorm normalizes with the model's running
   *               statistics (eval mode, as the core predicts); needs dropout 0
   *               and gives no parameter or transform gradient (grad and
   *               dtransforms NULL), only dedge_weight
   * edge_weight:  [E] weight of every edge, multiplying its post-softmax
   *               attention in every layer (a GNNExplainer edge mask), or NULL
   * dedge_weight: [E] d loss / d edge_weight, accumulated (+=), or NULL
   * loss_weight:  [N] per-node loss weights w >= 0: loss = sum w (pred - z)^2 /
   *               sum w over all ranks, or NULL: the plain mean
   * reuse_inputs: 1: keep the encoders' outputs of the previous step (same
   *               trainer, model and graph; only edge weights or labels
   *               changed), so a sequence of mask steps encodes once; in eval
   *               mode layer 0's attention, which no edge weight changes, is
   *               kept too and only its messages are recomputed
   * active_nodes: [nlayers] non-increasing, or NULL: layer l computes only
   *               destinations [0, active_nodes[l]) (the nodes whose layer-l
   *               output the loss can see, e.g. the first nodes of a
   *               breadth-first subgraph); needs eval mode and loss weights
   *               that are zero from active_nodes[nlayers-1] on */
  int eval;
  const float *edge_weight;
  double *dedge_weight;
  const float *loss_weight;
  int reuse_inputs;
  const int *active_nodes;
} symgnn_train_opts;

/* Default options: dropout 0.25, momentum 0.1 (EMA), statistics updated,
 * OpenMP's default thread count, serial. */
void symgnn_train_opts_default(symgnn_train_opts *opts);

typedef struct symgnn_trainer symgnn_trainer;

symgnn_status symgnn_trainer_create(const symgnn_model *model, symgnn_trainer **out,
                                    symgnn_error *err);
void symgnn_trainer_free(symgnn_trainer *tr);

/* One train-mode forward and backward pass on a batch graph (a disjoint union
 * of configurations, no ghosts: ntotal == nlocal).
 *  labels:      normalized targets z per node (NULL: no loss, grad not touched)
 *  transforms:  K x 9 transforms used this step (x' = x O), may differ from
 *               the model's stored ones (learned symmetrization samples them);
 *               K = 0 and NULL: the exact O(3) average (haar), with the edge
 *               encoder evaluated on a distance grid x a sphere rule and its
 *               BatchNorm statistics exact over the step's edges and uniform
 *               directions
 *  loss:        MSE over all nodes of all ranks (after reduction)
 *  grad:        d loss / d params, ACCUMULATED (+=) into nparams floats; this
 *               rank's share, the caller sums over ranks
 *  dtransforms: d loss / d transforms (K x 9), accumulated, or NULL
 *  pred:        train-mode predictions z per node, or NULL
 * BN running statistics of the model are updated when opts->update_stats. */
symgnn_status symgnn_trainer_step(symgnn_trainer *tr, symgnn_model *model,
                                  const symgnn_graph_view *graph, const float *labels,
                                  int ntransforms, const double *transforms,
                                  const symgnn_train_opts *opts, double *loss, float *grad,
                                  double *dtransforms, float *pred, symgnn_error *err);

/* Set the running statistics of the edge encoder's two BatchNorms to their
 * train-mode batch statistics under the exact O(3) average (haar): edges
 * with distances r[i] (Angstrom) in proportions weight[i] (a histogram of a
 * data set's edge lengths, self-loops at r = 0 included) and directions
 * uniform on the sphere. BN0 normalizes with its own exact statistics when
 * BN1's are taken. Means and biased variances. */
symgnn_status symgnn_train_haar_encoder_stats(symgnn_model *model, int n, const double *r,
                                              const double *weight, symgnn_error *err);

#ifdef __cplusplus
}
#endif
#endif
