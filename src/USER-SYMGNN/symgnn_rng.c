#include "symgnn_rng.h"

#include <math.h>

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* splitmix64 expands one seed into the four state words, so nearby seeds differ. */
void symgnn_rng_seed(symgnn_rng *rng, uint64_t seed) {
  for (int i = 0; i < 4; ++i) {
    uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    rng->s[i] = z ^ (z >> 31);
  }
}

/* xoshiro256** step. */
uint64_t symgnn_rng_next(symgnn_rng *rng) {
  uint64_t *s = rng->s;
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

/* 53 random bits mapped to [0, 1). */
double symgnn_rng_uniform(symgnn_rng *rng) {
  return (double)(symgnn_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* Box-Muller; 1 - u keeps the logarithm's argument in (0, 1]. */
double symgnn_rng_normal(symgnn_rng *rng) {
  const double u1 = 1.0 - symgnn_rng_uniform(rng);
  const double u2 = symgnn_rng_uniform(rng);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
