/* Extension API (symgnn_ext.h): OpenMP threads of the core and how they share OpenBLAS. Loops over
 * blocks run one block per thread, each thread calling a single-threaded
 * BLAS, so OpenBLAS's own threads must not be used inside them. */
#ifndef SYMGNN_THREADS_H
#define SYMGNN_THREADS_H

/* Threads a parallel block loop uses (OMP_NUM_THREADS; 1 without OpenMP). */
int symgnn_threads_max(void);
/* Index of the calling thread inside a parallel region (0 outside). */
int symgnn_thread_id(void);
/* Before a parallel block loop on nth threads: make OpenBLAS single-threaded
 * when nth > 1 and return its previous thread count for symgnn_blas_restore. */
int symgnn_blas_single(int nth);
void symgnn_blas_restore(int nth, int previous);
/* C = A op(B) + beta C for row-major A [M][K], split into nth row ranges that
 * the threads multiply with single-threaded BLAS. Rows are independent, so
 * the result does not depend on nth. */
void symgnn_sgemm_rows(int nth, int transb, int M, int N, int K, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc);

#endif
