/* Kernel API (symgnn_train.h family): inverted-dropout keep masks of the trainer. Layer l draws its
 * node mask from stream 2l and its edge mask from stream 2l+1 of the step seed; element i of a mask
 * is row-major element i of the [rows][width] state. */
#ifndef SYMGNN_TRAIN_DROPOUT_H
#define SYMGNN_TRAIN_DROPOUT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Keep bits (bit i set = element i kept) for n elements with drop probability
 * p, from stream `stream` of `seed`. */
void symgnn_dropout_draw(uint64_t *bits, size_t n, double p, uint64_t seed, uint64_t stream);
/* The same bits, drawn on nth threads (the mask does not depend on nth). */
void symgnn_dropout_draw_threads(uint64_t *bits, size_t n, double p, uint64_t seed, uint64_t stream,
                                 int nth);
/* x[i] *= scale where bit i is set, x[i] = 0 elsewhere, on nth threads. */
void symgnn_dropout_apply(float *x, const uint64_t *bits, size_t n, float scale, int nth);

#ifdef __cplusplus
}
#endif
#endif
