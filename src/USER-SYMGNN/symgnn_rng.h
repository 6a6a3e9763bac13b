/* Extension API (symgnn_ext.h): small deterministic random generator (xoshiro256**), state owned by
 * the caller. */
#ifndef SYMGNN_RNG_H
#define SYMGNN_RNG_H

#include <stdint.h>

typedef struct {
  uint64_t s[4];
} symgnn_rng;

/* Seed the generator from one 64-bit value (splitmix64 expansion). */
void symgnn_rng_seed(symgnn_rng *rng, uint64_t seed);
/* Next raw 64-bit value. */
uint64_t symgnn_rng_next(symgnn_rng *rng);
/* Uniform double in [0, 1). */
double symgnn_rng_uniform(symgnn_rng *rng);
/* Standard normal deviate (Box-Muller, one value per call). */
double symgnn_rng_normal(symgnn_rng *rng);

#endif
