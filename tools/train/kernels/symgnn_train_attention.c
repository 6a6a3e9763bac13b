/* Fused per-destination edge work of an EGAT layer: one pass over a
 * destination's incoming edges computes the pre-activation, LeakyReLU, logits,
 * softmax and messages (forward), or the softmax, aggregation and LeakyReLU
 * gradients with their scatters (backward). Inner loops run over the feature
 * columns of one edge and are written to vectorize. */
#include "symgnn_train_attention.h"

#include <math.h>
#include <string.h>

/* f = LeakyReLU(a_src + (b_t + bias) + c) for one edge, with or without the
 * BN_edge statistics of f. */
static inline void edge_preact(const float *restrict as, const float *restrict btb,
                               const float *restrict ce, float *restrict fe, float *restrict s1,
                               float *restrict s2, int hw) {
  if (s1) {
#pragma omp simd
    for (int j = 0; j < hw; ++j) {
      const float u = as[j] + btb[j] + ce[j];
      const float v = u > 0.0f ? u : SYMGNN_LEAKY_SLOPE * u;
      fe[j] = v;
      s1[j] += v;
      s2[j] += v * v;
    }
  } else {
#pragma omp simd
    for (int j = 0; j < hw; ++j) {
      const float u = as[j] + btb[j] + ce[j];
      fe[j] = u > 0.0f ? u : SYMGNN_LEAKY_SLOPE * u;
    }
  }
}

/* Dot product of n floats. */
static inline float dot(const float *restrict x, const float *restrict y, int n) {
  float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
  for (int k = 0; k < n; ++k) acc += x[k] * y[k];
  return acc;
}

/* y += w * x for n floats. */
static inline void axpy(float w, const float *restrict x, float *restrict y, int n) {
#pragma omp simd
  for (int k = 0; k < n; ++k) y[k] += w * x[k];
}

/* Messages of destination t: m_t = sum over its n edges from eb of
 * weight * att * z[src], per head. */
static void messages(const symgnn_attn *a, int t, int64_t eb, int n) {
  const int d = a->d, H = a->heads, hw = a->hw;
  float *mt = a->m + (size_t)t * hw;
  memset(mt, 0, (size_t)hw * sizeof(float));
  for (int i = 0; i < n; ++i) {
    const int64_t e = eb + i;
    const float *zs = a->z + (size_t)a->src[e] * hw;
    const float we = a->ew ? a->ew[e] : 1.0f; /* x * 1.0f is exact: no weights, no change */
    for (int h = 0; h < H; ++h) axpy(a->att[(size_t)e * H + h] * we, zs + h * d, mt + h * d, d);
  }
}

SYMGNN_HOT
void symgnn_attn_forward(const symgnn_attn *a, int t0, int t1) {
  const int d = a->d, H = a->heads, hw = a->hw;
  const size_t ld = 2 * (size_t)hw;
  float *lg = a->grp; /* per-edge logits, then softmax numerators */
  for (int t = t0; t < t1; ++t) {
    const int64_t eb = a->off[t], ee = a->off[t + 1];
    const int n = (int)(ee - eb);
    if (a->partial) {
      messages(a, t, eb, n);
      continue;
    }
    float *restrict btb = lg + 2 * (size_t)n * H; /* b_t + bias */
    float *s1 = a->fsum ? btb + hw : NULL, *s2 = a->fsum ? btb + 2 * hw : NULL;
    const float *bsrc = a->ab + (size_t)t * ld + hw;
    for (int j = 0; j < hw; ++j) btb[j] = bsrc[j] + a->bias[j];
    if (s1) {
      memset(s1, 0, (size_t)hw * sizeof(float));
      memset(s2, 0, (size_t)hw * sizeof(float));
    }
    for (int i = 0; i < n; ++i) {
      const int64_t e = eb + i;
      float *fe = a->f + (size_t)e * hw;
      edge_preact(a->ab + (size_t)a->src[e] * ld, btb, a->blk + (size_t)(e - a->e0) * hw, fe, s1,
                  s2, hw);
      for (int h = 0; h < H; ++h) lg[(size_t)i * H + h] = dot(fe + h * d, a->attn + h * d, d);
    }
    for (int h = 0; h < H; ++h) {
      float mx = lg[h];
      for (int i = 1; i < n; ++i) mx = fmaxf(mx, lg[(size_t)i * H + h]);
      double sum = 0.0;
      for (int i = 0; i < n; ++i) {
        const float v = expf(lg[(size_t)i * H + h] - mx);
        lg[(size_t)i * H + h] = v;
        sum += v;
      }
      const float inv = (float)(1.0 / sum);
      for (int i = 0; i < n; ++i) a->att[(size_t)(eb + i) * H + h] = lg[(size_t)i * H + h] * inv;
    }
    messages(a, t, eb, n);
    if (s1)
      for (int j = 0; j < hw; ++j) {
        a->fsum[j] += s1[j];
        a->fsum[hw + j] += s2[j];
      }
  }
}

/* One edge's LeakyReLU backward for head columns [0, d) of the given row
 * pointers: du from df, with the scatters into the source rows and the
 * destination's b-gradient. */
static inline void edge_columns(const symgnn_attn *a, int k0, int d, float dal, float w,
                                const float *restrict fe, float *restrict te,
                                const float *restrict dmt, float *restrict pa, float *restrict dbt,
                                float *restrict das, float *restrict dzs) {
  const float *restrict attn = a->attn + k0;
  fe += k0;
  te += k0;
  dmt += k0;
  pa += k0;
  dbt += k0;
  das += k0;
  dzs += k0;
  if (a->c2) {
    const float *restrict c2 = a->c2 + k0, *restrict c3 = a->c3 + k0, *restrict mu = a->mu + k0;
#pragma omp simd
    for (int k = 0; k < d; ++k) {
      const float fv = fe[k] + mu[k]; /* fe holds f - mean */
      const float df = dal * attn[k] + te[k] + c2[k] * fe[k] + c3[k];
      const float du = fv > 0.0f ? df : SYMGNN_LEAKY_SLOPE * df;
      te[k] = du;
      pa[k] += dal * fv;
      dbt[k] += du;
      das[k] += du;
      dzs[k] += w * dmt[k];
    }
  } else {
#pragma omp simd
    for (int k = 0; k < d; ++k) {
      const float fv = fe[k];
      const float df = dal * attn[k];
      const float du = fv > 0.0f ? df : SYMGNN_LEAKY_SLOPE * df;
      te[k] = du;
      pa[k] += dal * fv;
      dbt[k] += du;
      das[k] += du;
      dzs[k] += w * dmt[k];
    }
  }
}

/* Edge weights: the message uses w_e * att, so d loss / d w_e = sum over
 * heads of att * da (da = d loss / d (w_e att) per head), and the softmax
 * sees da scaled by w_e, which is written back into da. */
static void edge_weight_grad(const symgnn_attn *a, int64_t eb, int n, float *da) {
  const int H = a->heads;
  for (int i = 0; i < n; ++i) {
    const int64_t e = eb + i;
    double acc = 0.0;
    for (int h = 0; h < H; ++h) {
      acc += (double)a->att[(size_t)e * H + h] * da[(size_t)i * H + h];
      da[(size_t)i * H + h] *= a->ew[e];
    }
    if (a->dew) a->dew[e] += acc;
  }
}

SYMGNN_HOT
void symgnn_attn_backward(const symgnn_attn *a, int t0, int t1) {
  const int d = a->d, H = a->heads, hw = a->hw;
  const size_t ld = 2 * (size_t)hw;
  float *da = a->grp;
  for (int t = t0; t < t1; ++t) {
    const int64_t eb = a->off[t], ee = a->off[t + 1];
    const int n = (int)(ee - eb);
    float *sh = da + (size_t)n * H; /* per-head sum_e att * da */
    float *pa = sh + H;             /* this destination's share of dA */
    const float *dmt = a->dm + (size_t)t * hw;
    float *dbt = a->dab + (size_t)t * ld + hw;
    for (int i = 0; i < n; ++i) {
      const float *zs = a->z + (size_t)a->src[eb + i] * hw;
      for (int h = 0; h < H; ++h) da[(size_t)i * H + h] = dot(dmt + h * d, zs + h * d, d);
    }
    if (a->ew) edge_weight_grad(a, eb, n, da);
    if (a->partial) continue;
    for (int h = 0; h < H; ++h) {
      float acc = 0.0f;
      for (int i = 0; i < n; ++i) acc += a->att[(size_t)(eb + i) * H + h] * da[(size_t)i * H + h];
      sh[h] = acc;
    }
    memset(pa, 0, (size_t)hw * sizeof(float));
    for (int i = 0; i < n; ++i) {
      const int64_t e = eb + i;
      const int s = a->src[e];
      const float *fe = a->f + (size_t)e * hw;
      float *te = a->blk + (size_t)(e - a->e0) * hw;
      float *das = a->dab + (size_t)s * ld, *dzs = a->dz + (size_t)s * hw;
      for (int h = 0; h < H; ++h) {
        const float w = a->att[(size_t)e * H + h];
        const float dal = w * (da[(size_t)i * H + h] - sh[h]);
        edge_columns(a, h * d, d, dal, a->ew ? w * a->ew[e] : w, fe, te, dmt, pa, dbt, das, dzs);
      }
    }
    for (int j = 0; j < hw; ++j) a->dattn[j] += pa[j];
  }
}
