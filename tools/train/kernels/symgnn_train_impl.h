/* Internal: the trainer object and the per-step state shared by the training
 * kernels (encoders, message-passing layers, decoder). */
#ifndef SYMGNN_TRAIN_IMPL_H
#define SYMGNN_TRAIN_IMPL_H

#include "symgnn_ext.h"
#include "symgnn_train.h"
#include "symgnn_train_bn.h"
#include "symgnn_train_dropout.h"

#include <stdint.h>

#define SYMGNN_TRAIN_BLOCK 1024 /* edges per block in blocked edge passes (L2-sized scratch) */

/* A growable scratch buffer; contents are not kept when it grows. */
typedef struct {
  void *p;
  size_t bytes;
} symgnn_tbuf;

struct symgnn_trainer {
  symgnn_arch arch;
  symgnn_layout lay;
  int hwmax, hmax;
  double *gacc; /* nparams: this step's gradient, accumulated in double */
  /* node arrays, N rows */
  symgnn_tbuf h[SYMGNN_MAX_LAYERS + 1]; /* [N][d] layer inputs/outputs (after dropout) */
  symgnn_tbuf z[SYMGNN_MAX_LAYERS];     /* [N][hw] attention values h W_src^T */
  symgnn_tbuf m[SYMGNN_MAX_LAYERS];     /* [N][merged] BN_node input */
  symgnn_tbuf hmask[SYMGNN_MAX_LAYERS]; /* N*d keep bits */
  symgnn_tbuf enc_r, enc_y;             /* [N][d] node encoder Linear input, BN1 input */
  symgnn_tbuf dec_y, dec_z;             /* [depth][N][d] decoder BN input and output */
  symgnn_tbuf ab, dz, nt1, nt2;         /* [N][2hw], [N][hw] x3 node scratch */
  symgnn_tbuf dh, pred;                 /* [N][d] node gradient, [N] predictions */
  /* edge arrays, E rows */
  symgnn_tbuf g[SYMGNN_MAX_LAYERS]; /* [E][d] layer inputs (after dropout) */
  /* [E][hw] f = LeakyReLU(u); minus its batch mean once the forward pass has
   * used it (every layer but the last) */
  symgnn_tbuf f[SYMGNN_MAX_LAYERS];
  symgnn_tbuf att[SYMGNN_MAX_LAYERS];   /* [E][H] softmax weights */
  symgnn_tbuf gmask[SYMGNN_MAX_LAYERS]; /* E*d keep bits */
  symgnn_tbuf dg, y1;                   /* [E][d] edge gradient, edge encoder BN1 input */
  symgnn_tbuf hgrid, hy1; /* haar: doubles of the distance grid, floats of its points */
  /* haar: each edge's grid interval (int) and fraction (double) [E]; layer 0's
   * edge term on the grid, C = h W_fij^T [G+1][hw0] floats; its gradient, one
   * slice per thread [nth][G+1][hw0] doubles; and dC W_fij [G+1][d] doubles,
   * which the encoder's backward adds to the gradient of h */
  symgnn_tbuf hidx, hfrac, hc, hdc, hdcw;
  symgnn_tbuf hacc; /* haar: doubles, the encoder's per-thread sums and gradients */
  /* per-block and small scratch; et, grp and gtmp hold one slice per thread */
  int nth;            /* threads of the block loops (slices below) */
  size_t grpsz;       /* floats of one grp slice */
  size_t taccsz;      /* doubles of one tacc slice: 2*hwmax + hwmax*(d+1) */
  symgnn_tbuf et;     /* [nth][block][hwmax] */
  symgnn_tbuf er, ed; /* [block][d] */
  symgnn_tbuf gtmp;   /* [nth][2*hwmax][d] product scratch of symgnn_acc_tn */
  symgnn_tbuf wt;     /* [d][hwmax] W_fij^T of the layer being run forward */
  symgnn_tbuf blk;    /* destination block boundaries */
  symgnn_tbuf grp;    /* [nth][2*maxdeg*hmax + 4*hwmax] per-destination scratch */
  symgnn_tbuf tacc;   /* doubles [nth][taccsz]: per-thread sums and gradients */
  symgnn_tbuf tnode;  /* [nth-1][N][3*hwmax]: per-thread d a|b and d z of the backward scatter */
  symgnn_tbuf bnst;   /* batch mean/istd of every BN instance */
  symgnn_tbuf work;   /* doubles: sums, coefficients */
  symgnn_tbuf fwork;  /* floats: folded weights and per-feature terms of the kernels */
};

/* State of one training step, shared by the kernels. */
typedef struct {
  symgnn_trainer *tr;
  const symgnn_train_opts *opts;
  const float *params;
  float *stats;           /* model running statistics, NULL when not updated */
  const float *run_stats; /* model running statistics, read in eval mode */
  double loss_norm;       /* sum of the loss weights over all ranks (nglob without weights) */
  double *gacc;           /* gradient accumulator, NULL in a forward-only step */
  int n;                  /* local nodes */
  int64_t ne;             /* local edges */
  double nglob, eglob;    /* node and edge counts over all ranks */
  const int *species, *src;
  const int64_t *off;
  const double *disp;
  int nblk;
  const int *blk; /* nblk + 1 destination boundaries, blocks hold whole destinations */
  /* layer l works on destinations [0, lnode[l]), edges [0, ledge[l]), blocks [0, lblk[l]) */
  int lnode[SYMGNN_MAX_LAYERS], lblk[SYMGNN_MAX_LAYERS];
  int64_t ledge[SYMGNN_MAX_LAYERS];
  int weights_only; /* 1: no parameter or transform gradient is asked, only edge weights' */
  int nout;         /* rows of the decoder: nodes whose prediction is computed */
  int64_t blkcap;   /* rows of the block scratch */
  int ntr;          /* 0: haar (the exact O(3) average) */
  const double *transforms;
  double xs[3], xx[9]; /* this rank's sum of x and of x x^T (x = float displacement) */
  float keep_scale;    /* 1/(1-p), 0 when dropout is off */
} symgnn_step;

/* Grow the step buffers for n nodes, ne edges, ntr transforms, edge blocks of
 * blkcap rows, destinations of at most maxdeg edges and nth threads; 0 when
 * out of memory. */
int symgnn_trainer_reserve(symgnn_trainer *tr, int n, int64_t ne, int ntr, int64_t blkcap,
                           int maxdeg, int nth);

/* Pointer to a buffer's data as floats / doubles. */
#define TB_F(b) ((float *)(b).p)
#define TB_D(b) ((double *)(b).p)

/* BN instance slots (batch statistics storage). */
int symgnn_slot_node_bn(int which);
int symgnn_slot_layer_bn(int layer, int edge);
int symgnn_slot_dec_bn(const symgnn_step *s, int block);
int symgnn_slot_edge_bn(const symgnn_step *s, int branch, int which);
/* Number of BN slots for K transforms. */
int symgnn_nslots(const symgnn_layout *lay, int ntr);

/* A BatchNorm view of layout entry `ref` with batch statistics in `slot`. */
void symgnn_step_bn(const symgnn_step *s, const symgnn_bn_ref *ref, int slot, double *work,
                    symgnn_bn *bn);

/* acc[m][n] += sum over rows r of x[r][i] * y[r][j] (float GEMM per chunk of
 * rows, double accumulation across chunks); tmp holds m*n floats. */
void symgnn_acc_tn(double *acc, const float *x, int ldx, const float *y, int ldy, int64_t rows,
                   int m, int n, float *tmp);
/* out[r][j] = x[r][j] - mu[j] for rows of width w (centering before a product,
 * so folded BatchNorms do not cancel large means in float). */
void symgnn_center_rows(const float *x, const float *mu, int64_t rows, int w, float *out);
/* acc[j] += sum over rows of x[r][j]. */
void symgnn_acc_colsum(double *acc, const float *x, int64_t rows, int w);

/* Rows of h[l] that layer l reads as sources: all nodes for layer 0, else
 * the nodes layer l-1 computed. */
int symgnn_src_rows(const symgnn_step *s, int l);

/* Node encoder: h[0] from species; backward takes dh (grad of h[0]). */
void symgnn_node_encoder_forward(symgnn_step *s);
void symgnn_node_encoder_backward(symgnn_step *s);
/* Edge encoder: g[0] = mean over transforms of phi(x O_k); backward takes dg
 * (grad of g[0]) and accumulates d loss / d O_k into dtr (K x 9, may be NULL). */
void symgnn_edge_encoder_forward(symgnn_step *s);
void symgnn_edge_encoder_backward(symgnn_step *s, double *dtr);
/* Edge encoder of a haar model (ntr == 0): g[0] = h(|x|), the exact O(3)
 * average on a distance grid (symgnn_train_haar_encoder.c). */
void symgnn_haar_encoder_forward(symgnn_step *s);
void symgnn_haar_encoder_backward(symgnn_step *s);
/* The haar grid for a cutoff: intervals and directions, and the doubles and
 * floats its buffers need for a width and nth threads, and the doubles of the
 * threads' accumulators. */
void symgnn_haar_train_grid(double cutoff, int *nint, int *ndir);
void symgnn_haar_train_sizes(double cutoff, int width, int nth, size_t *ndouble, size_t *nfloat,
                             size_t *nacc);
/* The grid values h [G+1][d] of the current haar step (valid from the
 * encoder's forward pass until its backward pass). */
const double *symgnn_haar_grid_values(const symgnn_step *s);
/* Layer 0's edge term c = g0 W_fij^T of a haar model, tabulated on the grid
 * (symgnn_train_haar_edge_term.c): the table C = h W_fij^T; rows [e0, e0+nb)
 * of c into out [nb][hw0]; the gradient slices zeroed; an edge block's
 * gradient du [nb][hw0] added to thread tid's slice; and, after the blocks,
 * dW_fij into the gradient and dC W_fij into tr->hdcw for the encoder. */
void symgnn_haar_edge_term_table(symgnn_step *s);
void symgnn_haar_edge_term_rows(const symgnn_step *s, int64_t e0, int nb, float *out);
void symgnn_haar_edge_term_zero(symgnn_step *s);
void symgnn_haar_edge_term_grad(const symgnn_step *s, int tid, int64_t e0, int nb, const float *du);
void symgnn_haar_edge_term_finish(symgnn_step *s);
/* Message-passing layer l: h[l], g[l] -> h[l+1], g[l+1] (g only before the last). */
void symgnn_layer_forward(symgnn_step *s, int l);
/* Backward of layer l: dh, dg hold the gradients of h[l+1], g[l+1] on entry and
 * of h[l], g[l] on return. */
void symgnn_layer_backward(symgnn_step *s, int l);
/* Decoder: predictions (pred scratch) from h[L]; backward of the MSE loss
 * against labels and of the decoder, leaving the gradient of h[L] in dh. */
void symgnn_decoder_forward(symgnn_step *s);
void symgnn_decoder_backward(symgnn_step *s, const float *labels);

#endif
