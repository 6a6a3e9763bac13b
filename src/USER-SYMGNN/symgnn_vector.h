/* Extension API (symgnn_ext.h): fixed-width float vectors (GCC/Clang vector
 * extension) for the register-blocked kernels of the forward pass
 * (symgnn_edge_kernels.c) and of the trainer (tools/train/kernels). A file
 * that says SYMGNN_VECTOR(N) gets the type vN of N floats (viN of N int32)
 * with unaligned loadN / storeN and leakyN, LeakyReLU as a branch-free bit
 * select, all always inlined into its per-ISA kernels (such a file silences
 * -Wpsabi: wide vectors are never passed by value across a call). */
#ifndef SYMGNN_VECTOR_H
#define SYMGNN_VECTOR_H

#include "symgnn_model_format.h" /* SYMGNN_LEAKY_SLOPE */

#include <stdint.h>
#include <string.h>

#define SYMGNN_VECTOR(N)                                                                           \
  typedef float v##N __attribute__((vector_size(4 * N)));                                          \
  typedef int32_t vi##N __attribute__((vector_size(4 * N)));                                       \
  static inline __attribute__((always_inline, unused)) v##N load##N(const float *p) {              \
    v##N v;                                                                                        \
    memcpy(&v, p, sizeof v);                                                                       \
    return v;                                                                                      \
  }                                                                                                \
  static inline __attribute__((always_inline, unused)) void store##N(float *p, v##N v) {           \
    memcpy(p, &v, sizeof v);                                                                       \
  }                                                                                                \
  static inline __attribute__((always_inline, unused)) v##N leaky##N(v##N u) {                     \
    const v##N zero = {0.0f};                                                                      \
    const vi##N pos = u > zero;                                                                    \
    const v##N neg = u * SYMGNN_LEAKY_SLOPE;                                                       \
    return (v##N)((pos & (vi##N)u) | (~pos & (vi##N)neg));                                         \
  }

#endif
