/* Inverted dropout masks, stored as one keep bit per element for the backward pass. */
#include "symgnn_train_dropout.h"

#include "symgnn_ext.h"

#include <math.h>
#include <string.h>

/* Masks are drawn in chunks of DRAW_WORDS words, each from its own generator:
 * the stream index is mixed through the generator's own seeding before it
 * touches the step seed, then the chunk index likewise, so chunks can be
 * drawn in any order and on any number of threads with the same bits. */
#define DRAW_WORDS 4096

/* Words [w0, w1) of the mask from chunk generator `base`/chunk. */
static void draw_chunk(uint64_t *bits, size_t w0, size_t w1, uint64_t base, size_t chunk,
                       uint64_t thr) {
  symgnn_rng rng;
  symgnn_rng_seed(&rng, (uint64_t)chunk);
  symgnn_rng_seed(&rng, base ^ symgnn_rng_next(&rng));
  for (size_t w = w0; w < w1; ++w) { /* two elements per draw, bits built in a register */
    uint64_t word = 0;
    for (int b = 0; b < 64; b += 2) {
      const uint64_t r = symgnn_rng_next(&rng);
      word |= (uint64_t)((r & 0xffffffffu) >= thr) << b;
      word |= (uint64_t)((r >> 32) >= thr) << (b + 1);
    }
    bits[w] = word;
  }
}

void symgnn_dropout_draw_threads(uint64_t *bits, size_t n, double p, uint64_t seed, uint64_t stream,
                                 int nth) {
  symgnn_rng rng;
  symgnn_rng_seed(&rng, stream);
  const uint64_t base = seed ^ symgnn_rng_next(&rng);
  const double t = ldexp(p, 32);
  const uint64_t thr = t >= 4294967295.0 ? 4294967295u : (uint64_t)t;
  const size_t nw = (n + 63) / 64, nchunk = (nw + DRAW_WORDS - 1) / DRAW_WORDS;
#pragma omp parallel for schedule(static) num_threads(nth) if (nth > 1 && nchunk > 1)
  for (size_t c = 0; c < nchunk; ++c) {
    const size_t w0 = c * DRAW_WORDS, w1 = nw - w0 < DRAW_WORDS ? nw : w0 + DRAW_WORDS;
    draw_chunk(bits, w0, w1, base, c, thr);
  }
  const size_t tail = n % 64;
  if (tail) bits[nw - 1] &= ((uint64_t)1 << tail) - 1;
}

void symgnn_dropout_draw(uint64_t *bits, size_t n, double p, uint64_t seed, uint64_t stream) {
  symgnn_dropout_draw_threads(bits, n, p, seed, stream, 1);
}

/* Elements [0, n) of one range whose mask starts at bit 0 of bits[0]: eight
 * elements per mask byte through a byte -> 8 factors table. */
SYMGNN_HOT
static void apply_range(float *x, const uint64_t *bits, size_t n, const float (*table)[8]) {
  const size_t nbytes = n / 8;
  for (size_t i = 0; i < nbytes; ++i) {
    const float *f = table[(bits[i / 8] >> (8 * (i % 8))) & 0xffu];
    float *xi = x + 8 * i;
#pragma omp simd
    for (int b = 0; b < 8; ++b) xi[b] *= f[b];
  }
  const float scale = table[255][0];
  for (size_t i = 8 * nbytes; i < n; ++i)
    x[i] = ((bits[i >> 6] >> (i & 63)) & 1u) ? x[i] * scale : 0.0f;
}

void symgnn_dropout_apply(float *x, const uint64_t *bits, size_t n, float scale, int nth) {
  float table[256][8];
  for (int c = 0; c < 256; ++c)
    for (int b = 0; b < 8; ++b) table[c][b] = ((c >> b) & 1) ? scale : 0.0f;
  const size_t chunk = 65536; /* elements, a multiple of 64: every chunk starts a mask word */
  const size_t nchunk = (n + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) num_threads(nth) if (nth > 1 && nchunk > 1)
  for (size_t c = 0; c < nchunk; ++c) {
    const size_t i0 = c * chunk;
    apply_range(x + i0, bits + i0 / 64, n - i0 < chunk ? n - i0 : chunk, (const float(*)[8])table);
  }
}
