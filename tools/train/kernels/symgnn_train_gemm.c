/* Block GEMM kernels of the training passes (see the header), written with
 * GCC/Clang vector extensions, instantiated per instruction set with its
 * native vector width and register blocking, and picked at run time. */
#include "symgnn_train_gemm.h"

#include "symgnn_multiversion.h"
#include "symgnn_vector.h"

#include <cblas.h>

/* The vector helpers are always inlined into the per-ISA kernels, so the ABI
 * of passing wide vectors by value never comes into play. */
#pragma GCC diagnostic ignored "-Wpsabi"
SYMGNN_VECTOR(4)
SYMGNN_VECTOR(8)
SYMGNN_VECTOR(16)

/* AVX-512 (32 registers of 16 floats): 8 rows x 32 columns of C; AVX2 (16 of
 * 8): 6 rows x 16 columns; baseline SSE (16 of 4): 4 rows x 8 columns. */
#if SYMGNN_MULTIVERSION
#define GK_NAME gemm_nn_avx512
#define GK_TARGET __attribute__((target("arch=x86-64-v4")))
#define GK_VL 16
#define GK_TILE 8
#define GK_TRANS 0
#include "symgnn_train_gemm_template.h"

#define GK_NAME gemm_tn_avx512
#define GK_TARGET __attribute__((target("arch=x86-64-v4")))
#define GK_VL 16
#define GK_TILE 8
#define GK_TRANS 1
#include "symgnn_train_gemm_template.h"

#define GK_NAME gemm_nn_avx2
#define GK_TARGET __attribute__((target("arch=x86-64-v3")))
#define GK_VL 8
#define GK_TILE 6
#define GK_TRANS 0
#include "symgnn_train_gemm_template.h"

#define GK_NAME gemm_tn_avx2
#define GK_TARGET __attribute__((target("arch=x86-64-v3")))
#define GK_VL 8
#define GK_TILE 6
#define GK_TRANS 1
#include "symgnn_train_gemm_template.h"

#endif

#define GK_NAME gemm_nn_generic
#define GK_TARGET
#define GK_VL 4
#define GK_TILE 4
#define GK_TRANS 0
#include "symgnn_train_gemm_template.h"

#define GK_NAME gemm_tn_generic
#define GK_TARGET
#define GK_VL 4
#define GK_TILE 4
#define GK_TRANS 1
#include "symgnn_train_gemm_template.h"

typedef void (*gemm_kernel)(int, int, int, const float *, int, const float *, int, int, float *,
                            int);

/* The kernel of instruction set isa (clamped to what this build has) and
 * orientation trans. */
static gemm_kernel pick_kernel(int isa, int trans) {
#if SYMGNN_MULTIVERSION
  if (isa >= SYMGNN_ISA_AVX512) return trans ? gemm_tn_avx512 : gemm_nn_avx512;
  if (isa == SYMGNN_ISA_AVX2) return trans ? gemm_tn_avx2 : gemm_nn_avx2;
#else
  (void)isa;
#endif
  return trans ? gemm_tn_generic : gemm_nn_generic;
}

void symgnn_block_gemm_with(int isa, int trans, int M, int N, int K, const float *A, int lda,
                            const float *B, int ldb, int accumulate, float *C, int ldc) {
  if (M <= 0 || N <= 0) return;
  if (N % 16 != 0 || K <= 0) {
    cblas_sgemm(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A,
                lda, B, ldb, accumulate ? 1.0f : 0.0f, C, ldc);
    return;
  }
  const gemm_kernel kernel = pick_kernel(isa, trans);
  if (!trans) {
    kernel(M, N, K, A, lda, B, ldb, accumulate, C, ldc);
    return;
  }
  /* the rows in slabs that stay in L2 while every register tile of C passes
   * over them; C carries the float sums from one slab to the next */
  enum { SLAB = 128 };
  for (int r0 = 0; r0 < K; r0 += SLAB) {
    const int nr = K - r0 < SLAB ? K - r0 : SLAB;
    kernel(M, N, nr, A + (size_t)r0 * lda, lda, B + (size_t)r0 * ldb, ldb, accumulate || r0 > 0, C,
           ldc);
  }
}

void symgnn_block_gemm(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                       int accumulate, float *C, int ldc) {
  symgnn_block_gemm_with(symgnn_cpu_isa(), 0, M, N, K, A, lda, B, ldb, accumulate, C, ldc);
}

void symgnn_block_gemm_tn(int M, int N, int K, const float *X, int ldx, const float *Y, int ldy,
                          int accumulate, float *C, int ldc) {
  symgnn_block_gemm_with(symgnn_cpu_isa(), 1, M, N, K, X, ldx, Y, ldy, accumulate, C, ldc);
}

void symgnn_block_transpose(int N, int K, const float *in, float *out) {
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k) out[(size_t)k * N + n] = in[(size_t)n * K + k];
}
