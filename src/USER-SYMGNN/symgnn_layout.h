/* Extension API (symgnn_ext.h): where each tensor of a SymGNN model lives in the flat parameter
 * array (trainable) and the flat statistics array (BatchNorm running stats).
 * The order defined here is the order of the model file (doc/model-format.md).
 * All matrices are row-major [out][in] (y = x W^T + b). */
#ifndef SYMGNN_LAYOUT_H
#define SYMGNN_LAYOUT_H

#include "symgnn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One BatchNorm: gamma/beta are offsets into params, mean/var into stats. */
typedef struct {
  int width;
  size_t gamma, beta;
  size_t mean, var;
} symgnn_bn_ref;

/* One Linear layer: weight [out][in] and bias [out] offsets into params. */
typedef struct {
  int out, in;
  size_t w, b;
} symgnn_lin_ref;

/* One message-passing layer (EGAT + BN + projection + residual). */
typedef struct {
  int heads;
  int hw;       /* width * heads: EGAT feature width */
  int merged;   /* width after the head merge: hw (flatten) or width (mean, last layer) */
  size_t w_ni;  /* [hw][width], applied to the source node */
  size_t w_nj;  /* [hw][width], applied to the destination node */
  size_t w_fij; /* [hw][width], applied to the edge state */
  size_t w_src; /* [hw][width], node values aggregated by attention */
  size_t attn;  /* [heads][width] attention vector A */
  size_t bias;  /* [hw] edge pre-activation bias */
  symgnn_bn_ref bn_node, bn_edge;      /* width merged */
  symgnn_lin_ref proj_node, proj_edge; /* merged -> width */
} symgnn_layer_ref;

/* One decoder block: Linear(width,width) -> BN -> PReLU(single slope). */
typedef struct {
  symgnn_lin_ref lin;
  symgnn_bn_ref bn;
  size_t prelu;
} symgnn_dec_ref;

typedef struct {
  int width;
  /* node encoder: Embedding -> BN -> ReLU -> Linear -> BN -> ReLU */
  size_t emb; /* [nelements][width] */
  symgnn_bn_ref node_bn0, node_bn1;
  symgnn_lin_ref node_lin;
  /* edge encoder phi: Linear(3,w) -> BN -> ReLU -> Linear(w,w) -> BN -> ReLU */
  symgnn_lin_ref edge_lin0, edge_lin1;
  symgnn_bn_ref edge_bn0, edge_bn1;
  int nlayers;
  symgnn_layer_ref layer[SYMGNN_MAX_LAYERS];
  int decoder_depth;
  symgnn_dec_ref dec[SYMGNN_MAX_LAYERS];
  symgnn_lin_ref out; /* Linear(width, 1) */
  size_t nparams, nstats;
} symgnn_layout;

/* Compute the layout of an architecture; returns SYMGNN_ERR_ARG for invalid sizes. */
symgnn_status symgnn_layout_build(const symgnn_arch *arch, symgnn_layout *layout,
                                  symgnn_error *err);

/* Layout of a model (valid for the model's lifetime). */
const symgnn_layout *symgnn_model_layout(const symgnn_model *model);

#ifdef __cplusplus
}
#endif
#endif
