/* Register-blocked edge kernels of the eval forward pass (see the header).
 * Written with GCC/Clang vector extensions: a 16-float vector is one AVX-512
 * register, two AVX2 or four SSE registers, and SYMGNN_HOT builds the file's
 * entry points for each of these instruction sets. */
#include "symgnn_edge_kernels.h"
#include "symgnn_hot.h"

#include <stdint.h>
#include <string.h>

#define LEAKY_SLOPE 0.01f
#define TILE SYMGNN_TILE_EDGES

/* The vector helpers below are always inlined into the per-ISA clones, so
 * the ABI of passing 64-byte vectors by value never comes into play. */
#pragma GCC diagnostic ignored "-Wpsabi"

typedef float v16 __attribute__((vector_size(64)));
typedef int32_t vi16 __attribute__((vector_size(64)));

/* Unaligned load and store of 16 floats. */
static inline __attribute__((always_inline)) v16 load16(const float *p) {
  v16 v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline __attribute__((always_inline)) void store16(float *p, v16 v) {
  memcpy(p, &v, sizeof v);
}

/* LeakyReLU lane by lane, as a bit select so it stays branch-free. */
static inline __attribute__((always_inline)) v16 leaky16(v16 u) {
  const v16 zero = {0.0f};
  const vi16 pos = u > zero;
  const v16 neg = u * LEAKY_SLOPE;
  return (v16)((pos & (vi16)u) | (~pos & (vi16)neg));
}

/* Sum of the 16 lanes, halving the vector each step. */
static inline __attribute__((always_inline)) float hsum16(v16 v) {
  typedef float v8 __attribute__((vector_size(32)));
  typedef float v4 __attribute__((vector_size(16)));
  const v8 a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
               __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  const v4 b =
      __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
  const v4 c = b + __builtin_shufflevector(b, b, 2, 3, 0, 1);
  return c[0] + c[1];
}

/* Tile operands (edge states, activations) are kept in panels: feature k of
 * edge i sits at (k/16)*PANEL + i*16 + k%16, so the TILE values broadcast
 * for one k are at fixed offsets from one pointer and a 16-feature slice of
 * one edge is one vector. */
#define PANEL (TILE * 16)

/* acc[i][c] += sum_k x(i, k) w[k*ldw + 16c + 0..15] over K features (a
 * multiple of 16) of the panelled x, for NC = 1 or 2 column vectors. Each
 * weight vector loaded serves TILE edges and each broadcast serves NC
 * vectors; with NC = 2 the FMA units, not the loads, set the pace. */
#define MATMUL_TILE(NC, acc, x, w, ldw, K)                                                         \
  for (int kb_ = 0; kb_ < (K) / 16; ++kb_) {                                                       \
    const float *xb_ = (x) + (size_t)kb_ * PANEL, *wb_ = (w) + (size_t)kb_ * 16 * (ldw);           \
    for (int kk_ = 0; kk_ < 16; ++kk_) {                                                           \
      v16 w_[NC];                                                                                  \
      for (int c_ = 0; c_ < (NC); ++c_) w_[c_] = load16(wb_ + (size_t)kk_ * (ldw) + 16 * c_);      \
      for (int i_ = 0; i_ < TILE; ++i_) {                                                          \
        const float x_ = xb_[i_ * 16 + kk_];                                                       \
        for (int c_ = 0; c_ < (NC); ++c_) (acc)[i_][c_] += x_ * w_[c_];                            \
      }                                                                                            \
    }                                                                                              \
  }

/* Columns [c0, c0 + 16*NC) for every edge of the tile (c0 inside head h):
 * f = LeakyReLU(a_s + b_t + g W_fij^T), stored into the panelled fp. */
#define HEAD_CHUNK(NC)                                                                             \
  do {                                                                                             \
    v16 acc[TILE][NC];                                                                             \
    for (int i = 0; i < TILE; ++i)                                                                 \
      for (int c = 0; c < (NC); ++c)                                                               \
        acc[i][c] = load16(tl->a[i] + c0 + 16 * c) + load16(tl->b[i] + c0 + 16 * c);               \
    MATMUL_TILE(NC, acc, gp, w->wfij_t + (size_t)h * dp * dp + (c0 - h * dp), dp, dp);             \
    for (int i = 0; i < TILE; ++i)                                                                 \
      for (int c = 0; c < (NC); ++c)                                                               \
        store16(fp + (size_t)(c0 / 16 + c) * PANEL + i * 16, leaky16(acc[i][c]));                  \
  } while (0)

/* Head h of every edge of the tile: activations into fp, logits into out. */
static inline __attribute__((always_inline)) void head_terms(const symgnn_eval_layer_w *w, int dp,
                                                             int h, const symgnn_edge_tile *tl,
                                                             const float *gp, float *fp,
                                                             float out[TILE]) {
  int c0 = h * dp;
  for (; c0 + 32 <= (h + 1) * dp; c0 += 32) HEAD_CHUNK(2);
  if (c0 < (h + 1) * dp) HEAD_CHUNK(1);
  v16 part[TILE];
  for (int i = 0; i < TILE; ++i) part[i] = (v16){0.0f};
  for (int c = h * dp; c < (h + 1) * dp; c += 16) {
    const v16 at = load16(w->attn + c);
    for (int i = 0; i < TILE; ++i) part[i] += load16(fp + (size_t)(c / 16) * PANEL + i * 16) * at;
  }
  for (int i = 0; i < TILE; ++i) out[i] = hsum16(part[i]);
}

/* Output columns [j, j + 16*NC) of the residual edge update of the tile. */
#define UPDATE_CHUNK(NC)                                                                           \
  do {                                                                                             \
    v16 acc[TILE][NC];                                                                             \
    for (int i = 0; i < TILE; ++i)                                                                 \
      for (int c = 0; c < (NC); ++c)                                                               \
        acc[i][c] =                                                                                \
            load16(gp + (size_t)(j / 16 + c) * PANEL + i * 16) + load16(w->pe_b + j + 16 * c);     \
    MATMUL_TILE(NC, acc, fp, w->pe_t + j, dp, w->hwp);                                             \
    for (int i = 0; i < tl->n; ++i)                                                                \
      for (int c = 0; c < (NC); ++c) store16(tl->g[i] + j + 16 * c, acc[i][c]);                    \
  } while (0)

/* Residual edge update g += f P_e^T + pe_b for the valid edges of the tile. */
static inline __attribute__((always_inline)) void edge_update(const symgnn_eval_layer_w *w, int dp,
                                                              const symgnn_edge_tile *tl,
                                                              const float *gp, const float *fp) {
  int j = 0;
  for (; j + 32 <= dp; j += 32) UPDATE_CHUNK(2);
  if (j < dp) UPDATE_CHUNK(1);
}

SYMGNN_HOT void symgnn_edge_tile_run(const symgnn_eval_layer_w *w, int dp,
                                     const symgnn_edge_tile *tile, size_t stride, float *scratch) {
  float *fp = scratch, *gp = scratch + (size_t)w->hwp * TILE;
  for (int j = 0; j < dp; j += 16)
    for (int i = 0; i < TILE; ++i)
      store16(gp + (size_t)(j / 16) * PANEL + i * 16, load16(tile->g[i] + j));
  float out[TILE];
  for (int h = 0; h < w->heads; ++h) {
    head_terms(w, dp, h, tile, gp, fp, out);
    for (int i = 0; i < tile->n; ++i) tile->logit[i][(size_t)h * stride] = out[i];
  }
  if (!w->last) edge_update(w, dp, tile, gp, fp);
}

/* exp(x) for x <= 0 in float, as plain arithmetic so the softmax loop
 * vectorizes (no libm call): x = n ln2 + r with |r| <= ln2/2, exp(r) by its
 * Taylor series to r^8 (truncation < 1e-8 relative), 2^n put into the exponent
 * bits. x is clamped at -87 (exp = 1.6e-38), negligible next to the softmax's
 * largest term, which is 1. */
static inline __attribute__((always_inline)) float exp_nonpositive(float x) {
  const float round_magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
  x = x < -87.0f ? -87.0f : x;
  const float n = (x * 1.44269504f + round_magic) - round_magic;
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
  scale.i = ((int32_t)n + 127) << 23;
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
