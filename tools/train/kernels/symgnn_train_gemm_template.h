/* Internal: template of the block GEMM kernel, included by symgnn_train_gemm.c
 * once per instruction set. Parameters (undefined again at the end):
 *   GK_NAME    name of the kernel function
 *   GK_TARGET  its function attribute (instruction set), may be empty
 *   GK_VL      floats per vector (4, 8 or 16)
 *   GK_TILE    rows of C per register tile
 *   GK_TRANS   0: A is [M][K] (row stride lda); 1: A is given as its
 *              transpose, [K][M] (row stride lda)
 * A register tile is GK_TILE rows by two vectors of C (one where fewer than
 * two are left); for every k it loads the two vectors of row k of B once and
 * broadcasts one element of A per row, so the FMA units, not the loads, set
 * the pace. N must be a multiple of GK_VL. */
#define GK_CAT_(a, b) a##b
#define GK_CAT(a, b) GK_CAT_(a, b)
#define VL GK_VL
#define VT GK_CAT(v, GK_VL)
#define VLOAD GK_CAT(load, GK_VL)
#define VSTORE GK_CAT(store, GK_VL)

/* Columns [j, j + NV*VL) of rows [i0, i0 + T). */
#define GK_CHUNK(T, NV)                                                                            \
  do {                                                                                             \
    VT acc[T][NV];                                                                                 \
    for (int i = 0; i < (T); ++i)                                                                  \
      for (int c = 0; c < (NV); ++c)                                                               \
        acc[i][c] = accumulate ? VLOAD(C + (size_t)(i0 + i) * ldc + j + VL * c) : (VT){0.0f};      \
    for (int k = 0; k < K; ++k) {                                                                  \
      VT w[NV];                                                                                    \
      for (int c = 0; c < (NV); ++c) w[c] = VLOAD(B + (size_t)k * ldb + j + VL * c);               \
      for (int i = 0; i < (T); ++i) {                                                              \
        const float x = GK_TRANS ? A[(size_t)k * lda + i0 + i] : A[(size_t)(i0 + i) * lda + k];    \
        for (int c = 0; c < (NV); ++c) acc[i][c] += x * w[c];                                      \
      }                                                                                            \
    }                                                                                              \
    for (int i = 0; i < (T); ++i)                                                                  \
      for (int c = 0; c < (NV); ++c) VSTORE(C + (size_t)(i0 + i) * ldc + j + VL * c, acc[i][c]);   \
    j += (NV)*VL;                                                                                  \
  } while (0)

/* All columns of rows [i0, i0 + T). */
#define GK_ROWS(T)                                                                                 \
  do {                                                                                             \
    int j = 0;                                                                                     \
    while (j + 2 * VL <= N) GK_CHUNK(T, 2);                                                        \
    if (j < N) GK_CHUNK(T, 1);                                                                     \
  } while (0)

GK_TARGET static void GK_NAME(int M, int N, int K, const float *restrict A, int lda,
                              const float *restrict B, int ldb, int accumulate, float *restrict C,
                              int ldc) {
  int i0 = 0;
  for (; i0 + GK_TILE <= M; i0 += GK_TILE) GK_ROWS(GK_TILE);
  for (; i0 < M; ++i0) GK_ROWS(1);
}

#undef GK_ROWS
#undef GK_CHUNK
#undef VSTORE
#undef VLOAD
#undef VT
#undef VL
#undef GK_CAT
#undef GK_CAT_
#undef GK_NAME
#undef GK_TARGET
#undef GK_VL
#undef GK_TILE
#undef GK_TRANS
