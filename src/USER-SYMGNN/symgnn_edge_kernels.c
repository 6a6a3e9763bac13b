/* Register-blocked edge kernels of the eval forward pass (see the header),
 * written with GCC/Clang vector extensions. The tile kernel is instantiated
 * per instruction set with its native vector width and register blocking and
 * picked at run time; the softmax is multiversioned by SYMGNN_HOT. */
#include "symgnn_edge_kernels.h"
#include "symgnn_ext.h"
#include "symgnn_model_format.h"
#include "symgnn_multiversion.h"
#include "symgnn_vector.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The vector helpers are always inlined into the per-ISA kernels, so the ABI
 * of passing wide vectors by value never comes into play. */
#pragma GCC diagnostic ignored "-Wpsabi"
SYMGNN_VECTOR(4)
SYMGNN_VECTOR(8)
SYMGNN_VECTOR(16)

/* Sums of the lanes, halving the vector each step (halves built from
 * subscripts rather than __builtin_shufflevector, which GCC has only since
 * version 12). */
static inline __attribute__((always_inline, unused)) float hsum4(v4 v) {
  return (v[0] + v[2]) + (v[1] + v[3]);
}
static inline __attribute__((always_inline, unused)) float hsum8(v8 v) {
  const v4 lo = {v[0], v[1], v[2], v[3]}, hi = {v[4], v[5], v[6], v[7]};
  return hsum4(lo + hi);
}
static inline __attribute__((always_inline, unused)) float hsum16(v16 v) {
  const v8 lo = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
  const v8 hi = {v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]};
  return hsum8(lo + hi);
}

/* Tile operands (edge states, activations) are kept in panels: feature k of
 * edge i sits at (k/16)*PANEL + i*16 + k%16 (PANEL = TILE*16), so the TILE
 * values broadcast for one k are at fixed offsets from one pointer and a
 * 16-feature slice of one edge is contiguous. Feature f of edge i: */
#define PANEL_AT(base, f, i) ((base) + (size_t)((f) / 16) * PANEL + (i)*16 + (f) % 16)

/* acc[i][c] += sum_k x(i, k) w[k*ldw + VL*c + 0..VL) over K features (a
 * multiple of 16) of the panelled x, for N vectors of VL lanes. Each weight
 * vector loaded serves TILE edges and each broadcast serves N vectors; with
 * TILE*N accumulators in registers the FMA units, not the loads, set the
 * pace. VT, VL, VLOAD, TILE and PANEL come from the instantiation. */
#define MATMUL_TILE(N, acc, x, w, ldw, K)                                                          \
  for (int kb_ = 0; kb_ < (K) / 16; ++kb_) {                                                       \
    const float *xb_ = (x) + (size_t)kb_ * PANEL, *wb_ = (w) + (size_t)kb_ * 16 * (ldw);           \
    for (int kk_ = 0; kk_ < 16; ++kk_) {                                                           \
      VT w_[N];                                                                                    \
      for (int c_ = 0; c_ < (N); ++c_) w_[c_] = VLOAD(wb_ + (size_t)kk_ * (ldw) + VL * c_);        \
      for (int i_ = 0; i_ < TILE; ++i_) {                                                          \
        const float x_ = xb_[i_ * 16 + kk_];                                                       \
        for (int c_ = 0; c_ < (N); ++c_) (acc)[i_][c_] += x_ * w_[c_];                             \
      }                                                                                            \
    }                                                                                              \
  }

/* Columns [c0, c0 + N*VL) of head h for every edge of the tile:
 * f = LeakyReLU(a_s + b_t + g W_fij^T), stored into the panelled fp. */
#define HEAD_CHUNK(N)                                                                              \
  do {                                                                                             \
    VT acc[TILE][N];                                                                               \
    for (int i = 0; i < TILE; ++i)                                                                 \
      for (int c = 0; c < (N); ++c)                                                                \
        acc[i][c] = VLOAD(A[i] + c0 + VL * c) + VLOAD(B[i] + c0 + VL * c);                         \
    MATMUL_TILE(N, acc, gp, w->wfij_t + (size_t)h * dp * dp + (c0 - h * dp), dp, dp);              \
    for (int i = 0; i < TILE; ++i)                                                                 \
      for (int c = 0; c < (N); ++c) VSTORE(PANEL_AT(fp, c0 + VL * c, i), VLEAKY(acc[i][c]));       \
    c0 += (N)*VL;                                                                                  \
  } while (0)

/* Output columns [j, j + N*VL) of the residual edge update
 * g += f P_e^T + pe_b, stored for the valid edges of the tile. */
#define UPDATE_CHUNK(N)                                                                            \
  do {                                                                                             \
    VT acc[TILE][N];                                                                               \
    for (int i = 0; i < TILE; ++i)                                                                 \
      for (int c = 0; c < (N); ++c)                                                                \
        acc[i][c] = VLOAD(PANEL_AT(gp, j + VL * c, i)) + VLOAD(w->pe_b + j + VL * c);              \
    MATMUL_TILE(N, acc, fp, w->pe_t + j, dp, w->hwp);                                              \
    for (int i = 0; i < nv; ++i)                                                                   \
      for (int c = 0; c < (N); ++c) VSTORE(G[i] + j + VL * c, acc[i][c]);                          \
    j += (N)*VL;                                                                                   \
  } while (0)

/* One instantiation per instruction set, each with its native vector width
 * and the register blocking that fits its registers: AVX-512 (32 registers
 * of 16 floats) 8 edges x 32 columns, AVX2 (16 of 8 floats) 4 edges x 16
 * columns, baseline SSE (16 of 4 floats) 4 edges x 8 columns. */
#if SYMGNN_MULTIVERSION
#define EK_NAME tile_avx512
#define EK_TARGET __attribute__((target("arch=x86-64-v4")))
#define EK_VL 16
#define EK_TILE 8
#include "symgnn_edge_tile_template.h"

#define EK_NAME tile_avx2
#define EK_TARGET __attribute__((target("arch=x86-64-v3")))
#define EK_VL 8
#define EK_TILE 4
#include "symgnn_edge_tile_template.h"
#endif

#define EK_NAME tile_generic
#define EK_TARGET
#define EK_VL 4
#define EK_TILE 4
#include "symgnn_edge_tile_template.h"

void symgnn_edge_tile_run(int isa, const symgnn_eval_layer_w *w, int dp,
                          const symgnn_edge_tile *tile, size_t stride, float *scratch) {
  void (*kernel)(const symgnn_eval_layer_w *, int, const symgnn_edge_tile *, int, size_t, float *) =
      tile_generic;
  int step = 4;
#if SYMGNN_MULTIVERSION
  if (isa == SYMGNN_ISA_AVX512) {
    kernel = tile_avx512;
    step = 8;
  } else if (isa == SYMGNN_ISA_AVX2) {
    kernel = tile_avx2;
  }
#else
  (void)isa;
#endif
  for (int i0 = 0; i0 < tile->n; i0 += step) kernel(w, dp, tile, i0, stride, scratch);
}

/* exp(x) for x <= 0 in float, as plain arithmetic so the softmax loop
 * vectorizes (no libm call): x = n ln2 + r with n the integer nearest to
 * x/ln2 and |r| <= ln2/2, exp(r) by its Taylor series to r^8 (truncation
 * < 1e-8 relative), 2^n put into the exponent bits. The rounding is a
 * conversion to int (truncation of x/ln2 - 1/2, which is <= 0), so it also
 * holds under -ffast-math. x is clamped at -87 (exp = 1.6e-38), negligible
 * next to the softmax's largest term, which is 1. */
static inline __attribute__((always_inline)) float exp_nonpositive(float x) {
  x = x < -87.0f ? -87.0f : x;
  const int32_t ni = (int32_t)(x * 1.44269504f - 0.5f);
  const float n = (float)ni;
  const float r = (x - n * 0.693145752f) - n * 1.42860677e-6f; /* ln2 in two parts */
  float p = 1.0f / 40320.0f;
  p = p * r + 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  union {
    int32_t i;
    float f;
  } scale;
  scale.i = (ni + 127) << 23;
  return p * scale.f;
}

SYMGNN_HOT void symgnn_softmax(float *x, int n) {
  float mx = x[0], sum = 0.0f;
#pragma omp simd reduction(max : mx)
  for (int i = 0; i < n; ++i) mx = x[i] > mx ? x[i] : mx;
#pragma omp simd reduction(+ : sum)
  for (int i = 0; i < n; ++i) {
    x[i] = exp_nonpositive(x[i] - mx);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
#pragma omp simd
  for (int i = 0; i < n; ++i) x[i] *= inv;
}
