/* OpenMP thread and instruction-set helpers shared by the forward pass and
 * the trainer. */
#include "symgnn_threads.h"

#include "symgnn_multiversion.h"

#include <cblas.h>
#include <stddef.h>
#ifdef _OPENMP
#include <omp.h>
#endif

int symgnn_threads_max(void) {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

int symgnn_thread_id(void) {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

int symgnn_cpu_isa(void) {
#if SYMGNN_MULTIVERSION
  if (__builtin_cpu_supports("x86-64-v4")) return SYMGNN_ISA_AVX512;
  if (__builtin_cpu_supports("x86-64-v3")) return SYMGNN_ISA_AVX2;
#endif
  return SYMGNN_ISA_GENERIC;
}

int symgnn_blas_single(int nth) {
  const int previous = openblas_get_num_threads();
  if (nth > 1) openblas_set_num_threads(1);
  return previous;
}

void symgnn_blas_restore(int nth, int previous) {
  if (nth > 1) openblas_set_num_threads(previous);
}

void symgnn_sgemm_rows(int nth, int transb, int M, int N, int K, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc) {
  if (M <= 0) return;
  if (nth > M) nth = M;
  const int blas = symgnn_blas_single(nth);
#pragma omp parallel for schedule(static) num_threads(nth) if (nth > 1)
  for (int t = 0; t < nth; ++t) {
    const int r0 = (int)((long long)M * t / nth), r1 = (int)((long long)M * (t + 1) / nth);
    if (r1 > r0)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, transb ? CblasTrans : CblasNoTrans, r1 - r0, N, K,
                  1.0f, A + (size_t)r0 * lda, lda, B, ldb, beta, C + (size_t)r0 * ldc, ldc);
  }
  symgnn_blas_restore(nth, blas);
}
