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

#ifdef __cplusplus
}
#endif
#endif
