/* Internal: eval-mode model with every BatchNorm folded into its neighbouring
 * linear layer, and the scratch buffers of the forward pass. */
#ifndef SYMGNN_EVAL_IMPL_H
#define SYMGNN_EVAL_IMPL_H

#include "symgnn.h"
#include "symgnn_haar.h"

/* Vector width of the edge kernels: every head's block of features is
 * padded to a multiple of it with zero weights, so the kernels need no
 * remainder loops. For the paper's width 32 there is no padding. */
#define SYMGNN_LANES 16
/* Edges processed together by the edge kernels (register blocking). */
#define SYMGNN_TILE_EDGES 8

/* One folded message-passing layer. Feature index (h, j) of head h lives at
 * h*dp + j, dp = width rounded up to SYMGNN_LANES; padded entries are zero. */
typedef struct {
  int heads, hw, hwp, last; /* hw = heads*width, hwp = heads*dp */
  float *w_node;            /* [3*hwp][width]: rows W_ni, W_src, W_nj stacked */
  float *wfij_t;            /* [heads][dp][dp]: W_fij transposed per head */
  float *attn;              /* [hwp] */
  float *bias;              /* [hwp] */
  float *pn_w;              /* [width][hwp] ([width][width] in the last layer), BN_node folded */
  float *pn_b;              /* [width] */
  float *pe_t;              /* [hwp][dp]: P_e transposed, BN_edge folded (not in the last layer) */
  float *pe_b;              /* [dp] */
} symgnn_eval_layer_w;

struct symgnn_eval {
  int width, dp, nlayers, nelements, ntransforms, depth; /* dp: width padded to SYMGNN_LANES */
  double label_mean, label_std;
  float *node_table; /* [nelements][width]: node encoder output per species */
  float *enc0_w;     /* [ntransforms][3][width]: O_k W0^T with BN folded (haar: O = I, one) */
  float *enc0_b;     /* [width] */
  float *enc1_w;     /* [width][width], BN folded */
  float *enc1_b;     /* [width] */
  symgnn_eval_layer_w layer[SYMGNN_MAX_LAYERS];
  float *dec_w[SYMGNN_MAX_LAYERS]; /* [width][width], BN folded */
  float *dec_b[SYMGNN_MAX_LAYERS];
  float dec_slope[SYMGNN_MAX_LAYERS];
  float *out_w; /* [width] */
  float out_b;
  double cutoff;                /* the model's cutoff (Angstrom) */
  int haar;                     /* the model's symmetrization is SYMGNN_SYMM_HAAR */
  symgnn_haar_table haar_table; /* haar: g0(r); val NULL until built or imported */
  int haar_direct;              /* haar: order of direct quadrature (0: the table) */
  int64_t direct_n;             /* direct mode: distinct edge lengths of the current input */
  double *direct_r;             /* [direct_n], ascending */
  float *direct_g;              /* [direct_n][width]: the rule's g0 at each */
  int block_edges;
  int edge_isa;      /* instruction set of the edge kernels (SYMGNN_ISA_*, symgnn_multiversion.h) */
  int threads_asked; /* symgnn_eval_set_threads; 0: OpenMP's default */
  /* state of the current pass */
  symgnn_graph_view graph;
  int64_t nedges;
  int next_layer;
  float *h;            /* [ntotal][width] node states */
  float *g;            /* [nedges][dp] edge states */
  float *proj;         /* [ntotal][2*hwp_max]: per-node source terms a and values z */
  int max_block_nodes; /* most destinations in one block */
  int nblocks;         /* blocks of whole destinations, processed in parallel */
  int *blocks;         /* nblocks + 1 destination boundaries */
  int nthreads;        /* OpenMP threads; each owns one slice of the scratch below */
  size_t s_edge, s_node, s_tile, s_logit; /* per-thread slice sizes */
  float *xblk;                            /* per thread [block][3]: edge features in float32 */
  float *eblk;                            /* per thread [block][width]: edge-encoder scratch */
  float *eblk2;                           /* per thread [block][width]: edge-encoder scratch */
  float *bblk;  /* per thread [block nodes][hwp_max]: destination terms b_t + bias */
  float *mblk;  /* per thread [block nodes][hwp_max]: aggregated messages */
  float *ftile; /* per thread [SYMGNN_TILE_EDGES][hwp_max + dp]: edge-kernel scratch */
  float *logit; /* per thread [heads_max][block]: logits, then attention weights */
};

/* Build the folded weights from a model (called by symgnn_eval_create; the
 * haar table is built afterwards, symgnn_eval_haar.c). */
symgnn_status symgnn_eval_fold(struct symgnn_eval *ev, const symgnn_model *model,
                               symgnn_error *err);
/* The folded edge encoder without a transform (haar models). */
symgnn_encoder_ref symgnn_eval_encoder(const struct symgnn_eval *ev);
/* SYMGNN_OK when the context can evaluate: a haar model needs its table;
 * `what` names the caller in the error. */
symgnn_status symgnn_eval_check_table(const struct symgnn_eval *ev, const char *what,
                                      symgnn_error *err);
/* Release the folded weights. */
void symgnn_eval_unfold(struct symgnn_eval *ev);

#endif
