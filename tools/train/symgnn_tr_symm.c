/* Reparameterized sampling of rotations and reflections and the chain rule
 * from d loss / d transform to the distribution parameters. */
#include "symgnn_tr_symm.h"

#include <math.h>
#include <stddef.h>

/* Row-major 3x3 product C = A B. */
static void mat3_mul(const double *A, const double *B, double *C) {
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      C[3 * i + j] = A[3 * i] * B[j] + A[3 * i + 1] * B[3 + j] + A[3 * i + 2] * B[6 + j];
}

/* Cross-product matrix [w]_x, so that [w]_x v = w x v. */
static void skew(const double w[3], double K[9]) {
  K[0] = 0.0, K[1] = -w[2], K[2] = w[1];
  K[3] = w[2], K[4] = 0.0, K[5] = -w[0];
  K[6] = -w[1], K[7] = w[0], K[8] = 0.0;
}

/* R = I + A K + B K^2 with A = sin t / t, B = (1 - cos t) / t^2, t = |w|.
 * dA/dw_i = C w_i and dB/dw_i = D w_i with C = A'(t)/t, D = B'(t)/t, so
 * dR/dw_i = C w_i K + A E_i + D w_i K^2 + B (E_i K + K E_i), E_i = [e_i]_x.
 * Below t = 1e-2 the coefficients come from their Taylor series (the closed
 * forms cancel badly there). */
void symgnn_tr_rodrigues(const double w[3], double R[9], double dR[27]) {
  const double t2 = w[0] * w[0] + w[1] * w[1] + w[2] * w[2];
  const double t = sqrt(t2);
  double A, B, C, D;
  if (t < 1e-2) {
    const double t4 = t2 * t2;
    A = 1.0 - t2 / 6.0 + t4 / 120.0;
    B = 0.5 - t2 / 24.0 + t4 / 720.0;
    C = -1.0 / 3.0 + t2 / 30.0 - t4 / 840.0;
    D = -1.0 / 12.0 + t2 / 180.0 - t4 / 6720.0;
  } else {
    const double s = sin(t), c = cos(t);
    A = s / t;
    B = (1.0 - c) / t2;
    C = (t * c - s) / (t2 * t);
    D = (t * s - 2.0 * (1.0 - c)) / (t2 * t2);
  }
  double K[9], K2[9];
  skew(w, K);
  mat3_mul(K, K, K2);
  for (int a = 0; a < 9; ++a) R[a] = A * K[a] + B * K2[a] + (a % 4 == 0 ? 1.0 : 0.0);
  if (!dR) return;
  for (int i = 0; i < 3; ++i) {
    double e[3] = {0.0, 0.0, 0.0}, E[9], EK[9], KE[9];
    e[i] = 1.0;
    skew(e, E);
    mat3_mul(E, K, EK);
    mat3_mul(K, E, KE);
    for (int a = 0; a < 9; ++a)
      dR[9 * i + a] = C * w[i] * K[a] + A * E[a] + D * w[i] * K2[a] + B * (EK[a] + KE[a]);
  }
}

void symgnn_tr_symm_init(double theta[SYMGNN_TR_NTHETA], double sigma0) {
  for (int f = 0; f < 2; ++f)
    for (int i = 0; i < 3; ++i) {
      theta[6 * f + i] = 0.0;
      theta[6 * f + 3 + i] = log(sigma0);
    }
}

/* Axis-angle vector of sample k from its deviates: w = mu + exp(log_sigma) eps. */
static void sample_w(const double theta[SYMGNN_TR_NTHETA], int family, const double eps[3],
                     double w[3]) {
  const double *mu = theta + 6 * family, *ls = mu + 3;
  for (int i = 0; i < 3; ++i) w[i] = mu[i] + exp(ls[i]) * eps[i];
}

/* One transform of a family (0: rotation R(w), 1: reflection -R(w)); draws eps[3]. */
static void draw_one(const double theta[SYMGNN_TR_NTHETA], int family, symgnn_rng *rng,
                     double eps[3], double O[9]) {
  for (int i = 0; i < 3; ++i) eps[i] = symgnn_rng_normal(rng);
  double w[3];
  sample_w(theta, family, eps, w);
  symgnn_tr_rodrigues(w, O, NULL);
  if (family)
    for (int a = 0; a < 9; ++a) O[a] = -O[a];
}

void symgnn_tr_symm_sample(const double theta[SYMGNN_TR_NTHETA], int K, symgnn_rng *rng,
                           double *transforms, double *eps) {
  for (int k = 0; k < K; ++k) draw_one(theta, k >= K / 2, rng, eps + 3 * k, transforms + 9 * k);
}

void symgnn_tr_symm_backward(const double theta[SYMGNN_TR_NTHETA], int K, const double *eps,
                             const double *dtransforms, double dtheta[SYMGNN_TR_NTHETA]) {
  for (int k = 0; k < K; ++k) {
    const int family = k >= K / 2;
    const double sign = family ? -1.0 : 1.0;
    double w[3], R[9], dR[27];
    sample_w(theta, family, eps + 3 * k, w);
    symgnn_tr_rodrigues(w, R, dR);
    for (int i = 0; i < 3; ++i) {
      double dw = 0.0;
      for (int a = 0; a < 9; ++a) dw += dtransforms[9 * k + a] * sign * dR[9 * i + a];
      dtheta[6 * family + i] += dw;
      dtheta[6 * family + 3 + i] += dw * eps[3 * k + i] * exp(theta[6 * family + 3 + i]);
    }
  }
}

void symgnn_tr_symm_inference(const double theta[SYMGNN_TR_NTHETA], int M, uint64_t seed,
                              double *transforms) {
  symgnn_rng rng;
  symgnn_rng_seed(&rng, seed);
  double eps[3];
  for (int k = 0; k < M; ++k) draw_one(theta, k >= M / 2, &rng, eps, transforms + 9 * k);
}
