/* Internal: fused per-destination edge kernels of one EGAT layer (train mode).
 * A block is a range of destinations [t0, t1) whose edges e0.. are rows of the
 * block scratch `blk`. */
#ifndef SYMGNN_TRAIN_ATTENTION_H
#define SYMGNN_TRAIN_ATTENTION_H

#include "symgnn_train_impl.h"

#include <stdint.h>

typedef struct {
  int d, heads, hw;
  const int64_t *off;
  const int *src;
  int64_t e0;        /* first edge of the current block */
  const float *ab;   /* [N][2hw]: a = h W_ni^T (source) | b = h W_nj^T (destination) */
  const float *z;    /* [N][hw]: h W_src^T */
  const float *attn; /* [hw] attention vector A */
  const float *bias; /* [hw] pre-activation bias */
  float *blk;        /* forward: c = g W_fij^T; backward: BN_edge-path df in, du out */
  float *f;          /* [E][hw] LeakyReLU(u) written forward; read backward, minus mu */
  float *att;        /* [E][heads] softmax weights */
  float *grp;        /* scratch: 2 * maxdeg * heads + 4 * hw floats */
  const float *ew;   /* [E] edge weights multiplying the softmax weights, or NULL */
  double *dew;       /* [E] gradient of the edge weights (backward, += ), or NULL */
  /* forward: 1 = f and softmax weights are kept from an earlier pass, only
   * the messages are computed; backward: 1 = only the edge weights' gradient */
  int partial;
  /* forward */
  float *m;     /* [N][hw] messages sum_e att * z[src] */
  double *fsum; /* [2hw] sums of f and f^2 (BN_edge statistics), or NULL */
  /* backward */
  const float *dm;           /* [N][hw] gradient of the messages */
  const float *c2, *c3, *mu; /* BN_edge backward terms, f mean; NULL: dead edge branch */
  float *dab;                /* [N][2hw] gradient of a | b, accumulated */
  float *dz;                 /* [N][hw] gradient of z, accumulated */
  double *dattn;             /* [hw] gradient of A, accumulated */
} symgnn_attn;

/* Arguments common to the forward and backward passes of layer l (block,
 * forward-only and backward-only fields left zero). */
void symgnn_layer_attn_args(const symgnn_step *s, int l, symgnn_attn *a);

/* f, softmax weights and messages of destinations [t0, t1); adds f statistics
 * (only the messages when partial). */
void symgnn_attn_forward(const symgnn_attn *a, int t0, int t1);
/* Backward of the same block: turns blk into du = d loss / d u, scatters the
 * gradients of a, b, z and A (only the edge weights' gradient when partial). */
void symgnn_attn_backward(const symgnn_attn *a, int t0, int t1);

#endif
