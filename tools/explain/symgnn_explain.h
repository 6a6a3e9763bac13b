/* The explainer library (symgnn-explain): L-hop subgraphs of target atoms,
 * the regression GNNExplainer edge mask on them (Li et al., ICML 2024), the mask
 * files, and the aggregate statistics over many targets. */
#ifndef SYMGNN_EXPLAIN_H
#define SYMGNN_EXPLAIN_H

#include "symgnn.h"
#include "symgnn_train.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The in-neighbourhood of a target within `hops` edges, with every edge of
 * the full graph between its nodes (the induced subgraph), as a graph view
 * without ghosts. Node 0 is the target; nodes are in breadth-first order. */
typedef struct {
  int n;        /* nodes */
  int64_t ne;   /* edges */
  int *node;    /* [n] index of each node in the full graph */
  int *hop;     /* [n] edges from the node to the target (0 for the target) */
  double *pos;  /* [n][3] position relative to the target, unwrapped along the edges */
  int *species; /* [n] model element indices */
  int64_t *off; /* [n + 1] CSR by destination */
  int *src;     /* [ne] source node of each edge (subgraph index) */
  double *disp; /* [ne][3] r_dst - r_src (Angstrom) */
} symgnn_subgraph;

/* Build the `hops`-hop subgraph of node `target` of graph g (no ghosts). */
symgnn_status symgnn_subgraph_khop(const symgnn_graph_view *g, int target, int hops,
                                   symgnn_subgraph *out, symgnn_error *err);
void symgnn_subgraph_free(symgnn_subgraph *sg);
/* The subgraph as a graph view for the kernels. */
symgnn_graph_view symgnn_subgraph_view(const symgnn_subgraph *sg);

/* Options of one explanation (defaults of the released code). */
typedef struct {
  int steps;           /* Adam steps (500) */
  double lr;           /* Adam learning rate (0.01) */
  uint64_t seed;       /* seed of the logits' initialization (0), the same for every target */
  double size_coef;    /* weight of sum of the mask (0.005) */
  double entropy_coef; /* weight of the mean mask entropy (1.0) */
} symgnn_explain_opts;

void symgnn_explain_opts_default(symgnn_explain_opts *o);

typedef struct {
  double pred0;     /* unmasked prediction of the target (normalized units) */
  double pred;      /* prediction with the final mask */
  double loss;      /* final objective */
  double sq_change; /* its first term, (pred - pred0)^2 */
} symgnn_explain_result;

/* Optimize the edge mask of target node 0 of sg, the model's L-hop subgraph
 * (L layers): mask[ne] = sigmoid(logits) after o->steps Adam steps. The
 * trainer (created for the model) runs the eval-mode forward and backward on
 * one thread, layer l only on the nodes within L-1-l hops, and layer 0's
 * attention once. */
symgnn_status symgnn_explain_target(symgnn_trainer *tr, symgnn_model *model,
                                    const symgnn_subgraph *sg, const symgnn_explain_opts *o,
                                    float *mask, symgnn_explain_result *res, symgnn_error *err);

/* Write the mask CSV (src_id,dst_id,length,dist_to_target,hop,mask; one row
 * per edge), the top-k CSV (rank first, by decreasing mask) and the node CSV
 * (id,hop,x,y,z relative to the target) of one target as
 * DIR/atom<ID>_{edges,top,nodes}.csv, each written atomically. ids maps
 * full-graph node indices to atom ids. */
symgnn_status symgnn_explain_write(const char *dir, const symgnn_subgraph *sg, const int64_t *ids,
                                   const float *mask, int topk, symgnn_error *err);

#ifdef __cplusplus
}
#endif
#endif
