/* Extension API (symgnn_ext.h): named list of the tensors in the flat parameter and statistics
 * arrays, in file order. Used to name the offending tensor in error messages
 * and to check that the documented order (doc/model-format.md) is the layout's. */
#ifndef SYMGNN_TENSORS_H
#define SYMGNN_TENSORS_H

#include "symgnn_layout.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Upper bounds on the list lengths for SYMGNN_MAX_LAYERS layers and decoder blocks. */
#define SYMGNN_MAX_PARAM_TENSORS (15 + 14 * SYMGNN_MAX_LAYERS + 5 * SYMGNN_MAX_LAYERS + 2)
#define SYMGNN_MAX_STAT_TENSORS (2 * (4 + 3 * SYMGNN_MAX_LAYERS))

typedef struct {
  char name[48]; /* e.g. "layer2.W_ni", "decoder1.bn.running_var" */
  size_t offset; /* first element in the params (or stats) array */
  int ndim;      /* 1 or 2 */
  int shape[2];  /* [out][in] for matrices, [n] for vectors */
} symgnn_tensor;

/* Fill `out` with the trainable tensors of a layout in file order; returns the count. */
int symgnn_param_tensors(const symgnn_layout *lay, symgnn_tensor out[SYMGNN_MAX_PARAM_TENSORS]);
/* Fill `out` with the BatchNorm running statistics in file order; returns the count. */
int symgnn_stat_tensors(const symgnn_layout *lay, symgnn_tensor out[SYMGNN_MAX_STAT_TENSORS]);
/* Number of elements of a tensor. */
size_t symgnn_tensor_size(const symgnn_tensor *t);
/* Write "name[i][j]" for flat element `index` of the listed arrays into buf. */
void symgnn_tensor_locate(const symgnn_tensor *list, int n, size_t index, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
