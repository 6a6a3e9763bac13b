/* USER-SYMGNN extension API: what libraries built on the core (the trainer's
 * kernels in tools/train/kernels, the tools) may use beyond symgnn.h.
 *
 * symgnn.h is the API for programs that load a model and predict. Libraries
 * that train or inspect a model also need its parameter layout, the format's
 * fixed constants, the core's thread and ISA helpers, its random generator,
 * checksum and atomic file writes, its error reporting, the sphere rule of
 * the haar symmetrization and the fixed-width vectors of its kernels. Those
 * headers are public through this one; every other header in
 * src/USER-SYMGNN/ is internal to the core. doc/architecture.md lists the
 * layers and which header belongs to which. The extension API may change
 * between minor versions; symgnn.h does not. */
#ifndef SYMGNN_EXT_H
#define SYMGNN_EXT_H

#include "symgnn.h"
#include "symgnn_crc32.h"
#include "symgnn_error.h"
#include "symgnn_file.h"
#include "symgnn_haar.h"
#include "symgnn_layout.h"
#include "symgnn_model_format.h"
#include "symgnn_multiversion.h"
#include "symgnn_rng.h"
#include "symgnn_tensors.h"
#include "symgnn_threads.h"
#include "symgnn_vector.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Softmax of x[0..n) in place (n >= 1), in float with an exponential that
 * vectorizes: the attention softmax of the forward pass. */
void symgnn_softmax(float *x, int n);

#ifdef __cplusplus
}
#endif

#endif
