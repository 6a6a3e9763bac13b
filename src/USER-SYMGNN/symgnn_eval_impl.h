/* Internal: eval-mode model with every BatchNorm folded into its neighbouring
 * linear layer, and the scratch buffers of the forward pass. */
#ifndef SYMGNN_EVAL_IMPL_H
#define SYMGNN_EVAL_IMPL_H

#include "symgnn.h"

/* One folded message-passing layer. */
typedef struct {
  int heads, hw, last;
  float *w_node; /* [3*hw][width]: rows W_ni, W_src, W_nj stacked */
  float *w_fij;  /* [hw][width] */
  float *attn;   /* [hw] */
  float *bias;   /* [hw] */
  float *pn_w;   /* [width][merged], BN_node folded */
  float *pn_b;   /* [width] */
  float *pe_w;   /* [width][hw], BN_edge folded (not used by the last layer) */
  float *pe_b;   /* [width] */
} symgnn_eval_layer_w;

struct symgnn_eval {
  int width, nlayers, nelements, ntransforms, depth;
  double label_mean, label_std;
  float *node_table; /* [nelements][width]: node encoder output per species */
  float *enc0_w;     /* [ntransforms][3][width]: O_k W0^T with BN folded */
  float *enc0_b;     /* [width] */
  float *enc1_w;     /* [width][width], BN folded */
  float *enc1_b;     /* [width] */
  symgnn_eval_layer_w layer[SYMGNN_MAX_LAYERS];
  float *dec_w[SYMGNN_MAX_LAYERS]; /* [width][width], BN folded */
  float *dec_b[SYMGNN_MAX_LAYERS];
  float dec_slope[SYMGNN_MAX_LAYERS];
  float *out_w; /* [width] */
  float out_b;
  int block_edges;
  /* state of the current pass */
  symgnn_graph_view graph;
  int64_t nedges;
  int next_layer;
  float *h;            /* [ntotal][width] node states */
  float *g;            /* [nedges][width] edge states */
  float *proj;         /* [ntotal][2*hw_max]: per-node source terms a and values z */
  int max_block_nodes; /* most destinations in one block */
  int nblocks;         /* blocks of whole destinations, processed in parallel */
  int *blocks;         /* nblocks + 1 destination boundaries */
  int nthreads;        /* OpenMP threads; each owns one slice of the scratch below */
  size_t s_eblk, s_eblk2, s_logit, s_node, s_xblk; /* per-thread slice sizes */
  float *xblk;  /* per thread [block][3]: edge features in float32 */
  float *bblk;  /* per thread [block nodes][hw_max]: destination terms b_t + bias */
  float *mblk;  /* per thread [block nodes][hw_max]: aggregated messages */
  float *eblk;  /* per thread [block][hw_max] edge scratch */
  float *eblk2; /* per thread [block][width] edge-encoder scratch */
  float *logit; /* per thread [heads_max][max degree]: logits/weights of one destination */
};

/* Build the folded weights from a model (called by symgnn_eval_create). */
symgnn_status symgnn_eval_fold(struct symgnn_eval *ev, const symgnn_model *model,
                               symgnn_error *err);
/* Release the folded weights. */
void symgnn_eval_unfold(struct symgnn_eval *ev);

#endif
