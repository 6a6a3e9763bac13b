/* Learned symmetrization: a reparameterized distribution over O(3).
 *
 * Rotations R(w) = exp([w]_x) (Rodrigues) with w = mu + exp(log_sigma) * eps,
 * eps ~ N(0, I3); reflections -R(w') with their own (mu', log_sigma'). The 12
 * parameters theta = [mu(3), log_sigma(3), mu'(3), log_sigma'(3)] receive
 * gradients through the sampled matrices: dL/dw = sum_ab dL/dO_ab dO_ab/dw,
 * dL/dmu = dL/dw, dL/dlog_sigma = dL/dw * eps * exp(log_sigma). */
#ifndef SYMGNN_TR_SYMM_H
#define SYMGNN_TR_SYMM_H

#include "symgnn_rng.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SYMGNN_TR_NTHETA 12

/* Rotation matrix exp([w]_x), row-major, and (when dR is not NULL) its
 * derivatives dR[i] = dR/dw_i (three row-major 3x3 matrices). */
void symgnn_tr_rodrigues(const double w[3], double R[9], double dR[27]);

/* Initial parameters: mu = 0, log_sigma = log(sigma0) for both families. */
void symgnn_tr_symm_init(double theta[SYMGNN_TR_NTHETA], double sigma0);

/* Draw K transforms (K even): the first K/2 are rotations, the rest
 * reflections. eps receives the K x 3 normal deviates (for the backward pass). */
void symgnn_tr_symm_sample(const double theta[SYMGNN_TR_NTHETA], int K, symgnn_rng *rng,
                           double *transforms, double *eps);

/* Accumulate dL/dtheta from dL/dtransforms (K x 9) for samples drawn with eps. */
void symgnn_tr_symm_backward(const double theta[SYMGNN_TR_NTHETA], int K, const double *eps,
                             const double *dtransforms, double dtheta[SYMGNN_TR_NTHETA]);

/* The M inference transforms written into a model: drawn with a fresh
 * generator seeded by `seed`, so they depend only on theta and the seed. */
void symgnn_tr_symm_inference(const double theta[SYMGNN_TR_NTHETA], int M, uint64_t seed,
                              double *transforms);

/* Model provenance key of the distribution parameters (learned mode). */
#define SYMGNN_TR_DISTRIBUTION_KEY "symmetrization_distribution"

/* Text of theta for the provenance entry, one line:
 *   rot_mu=a,b,c rot_log_sigma=a,b,c ref_mu=a,b,c ref_log_sigma=a,b,c
 * with every number printed as %.17g, so the text reads back to the same
 * doubles (and a redraw with the trainer's seed gives its exact transforms).
 * 512 bytes always suffice. */
void symgnn_tr_symm_format(const double theta[SYMGNN_TR_NTHETA], char *buf, size_t len);

/* Read that text back (exactly that layout, finite numbers). Returns 0, or
 * -1 with a message saying what is wrong where. */
int symgnn_tr_symm_parse(const char *text, double theta[SYMGNN_TR_NTHETA], char *msg,
                         size_t msglen);

#ifdef __cplusplus
}
#endif
#endif
