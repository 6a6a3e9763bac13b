/* Internal: register-blocked kernels for the per-edge work of one
 * message-passing layer in the eval forward pass. A tile of up to
 * SYMGNN_TILE_EDGES edges is taken from its inputs to its outputs while its
 * activations sit in L1: no edges x (heads*width) tensor is ever written. */
#ifndef SYMGNN_EDGE_KERNELS_H
#define SYMGNN_EDGE_KERNELS_H

#include "symgnn_eval_impl.h"
#include "symgnn_multiversion.h"

/* Rows of one edge tile. Entries past n repeat the last edge (their results
 * are discarded), so the kernels always run on full tiles. */
typedef struct {
  int n;                             /* valid edges, 1..SYMGNN_TILE_EDGES */
  const float *a[SYMGNN_TILE_EDGES]; /* source term a_s of the edge's source, [hwp] */
  const float *b[SYMGNN_TILE_EDGES]; /* destination term b_t + bias, [hwp] */
  float *g[SYMGNN_TILE_EDGES];       /* edge state, [dp]; updated unless the layer is last */
  float *logit[SYMGNN_TILE_EDGES];   /* logit of head h goes to logit[i][h * stride] */
} symgnn_edge_tile;

/* For every edge i of the tile and head h:
 *   f = LeakyReLU(a_s + b_t + g W_fij^T)
 *   logit[i][h * stride] = f_h . attn_h
 * and, unless the layer is the last, the residual edge update
 *   g += f P_e^T + pe_b,
 * computed by the kernel of instruction set isa (SYMGNN_ISA_*, at most symgnn_cpu_isa); scratch
 * holds SYMGNN_TILE_EDGES * (hwp + dp) floats. */
void symgnn_edge_tile_run(int isa, const symgnn_eval_layer_w *w, int dp,
                          const symgnn_edge_tile *tile, size_t stride, float *scratch);

#endif
