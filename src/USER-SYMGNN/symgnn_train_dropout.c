/* Inverted dropout masks, stored as one keep bit per element for the backward pass. */
#include "symgnn_train_dropout.h"

#include "symgnn_rng.h"
#include "symgnn_train_hot.h"

#include <math.h>
#include <string.h>

/* Each (seed, stream) pair gets its own generator: the stream index is mixed
 * through the generator's own seeding before it touches the step seed. */
void symgnn_dropout_draw(uint64_t *bits, size_t n, double p, uint64_t seed, uint64_t stream) {
  symgnn_rng rng;
  symgnn_rng_seed(&rng, stream);
  symgnn_rng_seed(&rng, seed ^ symgnn_rng_next(&rng));
  const double t = ldexp(p, 32);
  const uint64_t thr = t >= 4294967295.0 ? 4294967295u : (uint64_t)t;
  const size_t nw = (n + 63) / 64;
  memset(bits, 0, nw * sizeof(uint64_t));
  for (size_t i = 0; i < n; i += 2) {
    const uint64_t r = symgnn_rng_next(&rng);
    if ((r & 0xffffffffu) >= thr) bits[i >> 6] |= (uint64_t)1 << (i & 63);
    if (i + 1 < n && (r >> 32) >= thr) bits[(i + 1) >> 6] |= (uint64_t)1 << ((i + 1) & 63);
  }
}

/* Whole 64-bit mask words first (vectorized), then the tail. */
SYMGNN_HOT
void symgnn_dropout_apply(float *x, const uint64_t *bits, size_t n, float scale) {
  size_t i = 0;
  for (size_t w = 0; i + 64 <= n; ++w, i += 64) {
    const uint64_t m = bits[w];
    float *xi = x + i;
#pragma omp simd
    for (int b = 0; b < 64; ++b) xi[b] = ((m >> b) & 1u) ? xi[b] * scale : 0.0f;
  }
  for (; i < n; ++i) x[i] = ((bits[i >> 6] >> (i & 63)) & 1u) ? x[i] * scale : 0.0f;
}
