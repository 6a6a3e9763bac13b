/* symgnn-bench-sgemm: the single-precision GEMM rate OpenBLAS reaches on this
 * machine for the shapes of the forward pass (row-major C = A B^T, as the core
 * calls it), so the forward pass's FLOP rate can be compared with it.
 * Threads: OPENBLAS_NUM_THREADS (set by bench/run.sh).
 *
 * usage: symgnn-bench-sgemm M N K [--repeats R]
 * Output: gflops: <rate> per timed repeat (each repeat runs >= 0.3 s). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Deterministic fill in [-1, 1). */
static void fill(float *x, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; ++i) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = (float)((seed >> 8) * (1.0 / 8388608.0) - 1.0);
  }
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fputs("usage: symgnn-bench-sgemm M N K [--repeats R]\n", stderr);
    return 2;
  }
  const int m = atoi(argv[1]), n = atoi(argv[2]), k = atoi(argv[3]);
  const int repeats = (argc >= 6 && !strcmp(argv[4], "--repeats")) ? atoi(argv[5]) : 5;
  if (m < 1 || n < 1 || k < 1 || repeats < 1) {
    fputs("symgnn-bench-sgemm: M, N, K and R must be positive\n", stderr);
    return 2;
  }
  float *a = malloc((size_t)m * k * sizeof *a);
  float *b = malloc((size_t)n * k * sizeof *b);
  float *c = malloc((size_t)m * n * sizeof *c);
  if (!a || !b || !c) {
    fputs("symgnn-bench-sgemm: out of memory\n", stderr);
    return 1;
  }
  fill(a, (size_t)m * k, 1u);
  fill(b, (size_t)n * k, 2u);
  const double flop = 2.0 * m * n * k;
  /* calls per repeat so that one repeat lasts about 0.3 s (measured once) */
  double t0 = now();
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
  double one = now() - t0;
  int calls = (int)(0.3 / (one > 1e-6 ? one : 1e-6)) + 1;
  printf("shape: %d %d %d\ncalls_per_repeat: %d\n", m, n, k, calls);
  for (int r = 0; r < repeats; ++r) {
    t0 = now();
    for (int i = 0; i < calls; ++i)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
    printf("gflops: %.3f\n", flop * calls / (now() - t0) * 1e-9);
  }
  free(a);
  free(b);
  free(c);
  return 0;
}
