// The training passes' block GEMM kernels against a double-precision
// reference: every instruction set this CPU runs, both orientations, row
// counts that leave partial register tiles, widths with a half chunk, leading
// dimensions wider than the matrix, accumulation into C, and the cblas
// fallback for widths that are not a multiple of 16.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

extern "C" {
#include "symgnn_multiversion.h"
#include "symgnn_train_gemm.h"
}

namespace {

struct Shape {
  int M, N, K;
};

// Worst |C - reference| / (1 + |reference|) over every element, for one
// instruction set and orientation; the padding columns of C must be untouched.
double worst_error(int isa, int trans, const Shape &s, bool accumulate, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  const int pad = 3; // leading dimensions wider than the rows
  const int rows_a = trans ? s.K : s.M, cols_a = trans ? s.M : s.K;
  const int lda = cols_a + pad, ldb = s.N + pad, ldc = s.N + pad;
  std::vector<float> A((size_t)rows_a * lda), B((size_t)s.K * ldb), C((size_t)s.M * ldc);
  for (float &x : A) x = u(rng);
  for (float &x : B) x = u(rng);
  for (float &x : C) x = u(rng);
  const std::vector<float> C0 = C;
  symgnn_block_gemm_with(isa, trans, s.M, s.N, s.K, A.data(), lda, B.data(), ldb, accumulate,
                         C.data(), ldc);
  double worst = 0.0;
  for (int i = 0; i < s.M; ++i) {
    for (int j = 0; j < s.N; ++j) {
      double ref = accumulate ? C0[(size_t)i * ldc + j] : 0.0;
      for (int k = 0; k < s.K; ++k) {
        const double a = trans ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
        ref += a * B[(size_t)k * ldb + j];
      }
      worst = std::max(worst, std::fabs(C[(size_t)i * ldc + j] - ref) / (1.0 + std::fabs(ref)));
    }
    for (int j = s.N; j < ldc; ++j)
      EXPECT_EQ(C[(size_t)i * ldc + j], C0[(size_t)i * ldc + j]) << "padding written, row " << i;
  }
  return worst;
}

TEST(TrainGemm, EveryKernelMatchesTheDoubleReference) {
  const Shape shapes[] = {
      {1024, 256, 32}, // block x W_fij^T of layer 0 (8 heads x 32)
      {37, 32, 256},   // block x P_e^T: rows leave a partial tile
      {13, 48, 32},    // a half chunk of columns after a full one
      {1, 16, 5},      // one row, one vector
      {300, 32, 129},  // the transposed product's slabs with a tail
      {9, 8, 7},       // width 8: the cblas fallback
  };
  for (int isa = 0; isa <= symgnn_cpu_isa(); ++isa)
    for (int trans = 0; trans <= 1; ++trans)
      for (const Shape &s : shapes)
        for (bool acc : {false, true}) {
          const double w = worst_error(isa, trans, s, acc, 17 + s.M + s.N + s.K);
          EXPECT_LT(w, 2e-6 * std::sqrt((double)s.K))
              << "isa " << isa << " trans " << trans << " shape " << s.M << "x" << s.N << "x" << s.K
              << " accumulate " << acc;
        }
}

TEST(TrainGemm, RowsDoNotDependOnHowTheBlockIsSplit) {
  // The trainer splits edges into blocks; a row's result must be bit-identical
  // whether it is computed in one call or in pieces.
  const int M = 61, N = 64, K = 32;
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> A((size_t)M * K), B((size_t)K * N), whole((size_t)M * N), parts((size_t)M * N);
  for (float &x : A) x = u(rng);
  for (float &x : B) x = u(rng);
  symgnn_block_gemm(M, N, K, A.data(), K, B.data(), N, 0, whole.data(), N);
  for (int r0 = 0; r0 < M; r0 += 7) {
    const int nr = std::min(7, M - r0);
    symgnn_block_gemm(nr, N, K, A.data() + (size_t)r0 * K, K, B.data(), N, 0,
                      parts.data() + (size_t)r0 * N, N);
  }
  EXPECT_EQ(whole, parts);
}

TEST(TrainGemm, TransposeCopiesEveryElement) {
  const int N = 5, K = 3;
  std::vector<float> in(N * K), out(N * K, -1.0f);
  for (int i = 0; i < N * K; ++i) in[i] = (float)i;
  symgnn_block_transpose(N, K, in.data(), out.data());
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k) EXPECT_EQ(out[(size_t)k * N + n], in[(size_t)n * K + k]);
}

} // namespace
