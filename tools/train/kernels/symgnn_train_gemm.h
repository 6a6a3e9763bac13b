/* Register-blocked row-major products for the per-block GEMMs of the training
 * passes. Their shapes (a block of up to SYMGNN_TRAIN_BLOCK edges times a
 * weight matrix of 32 x (32 * heads) or its transpose) are small in one
 * dimension, where OpenBLAS spends much of its time packing panels; these
 * kernels read A and B where they lie and keep a tile of C in registers. */
#ifndef SYMGNN_TRAIN_GEMM_H
#define SYMGNN_TRAIN_GEMM_H

/* C[M][N] = A[M][K] B[K][N] (+ C[M][N] if accumulate), all row-major with
 * leading dimensions lda, ldb, ldc. Each row of C depends on the same row of
 * A only, in a fixed order, so any split of the rows gives the same result.
 * Widths N that are not a multiple of 16 go to cblas_sgemm. */
void symgnn_block_gemm(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                       int accumulate, float *C, int ldc);

/* C[M][N] = X[K][M]^T Y[K][N] (+ C if accumulate): the sum over K rows of
 * outer products, as in a weight gradient. The float sum over the rows runs
 * in a fixed order (slabs of 128 rows), whatever the caller's threads. */
void symgnn_block_gemm_tn(int M, int N, int K, const float *X, int ldx, const float *Y, int ldy,
                          int accumulate, float *C, int ldc);

/* symgnn_block_gemm (trans 0) or symgnn_block_gemm_tn (trans 1, A is then
 * X, [K][M]) with the kernel of instruction set isa (SYMGNN_ISA_*, at most
 * symgnn_cpu_isa; tests run every one this CPU has). */
void symgnn_block_gemm_with(int isa, int trans, int M, int N, int K, const float *A, int lda,
                            const float *B, int ldb, int accumulate, float *C, int ldc);

/* out[K][N] = in[N][K]^T: the transposed copy of a weight matrix, so that the
 * products with W^T read B row by row. */
void symgnn_block_transpose(int N, int K, const float *in, float *out);

#endif
