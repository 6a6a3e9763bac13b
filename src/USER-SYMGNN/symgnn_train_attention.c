/* Fused per-destination edge work of an EGAT layer: one pass over a
 * destination's incoming edges computes the pre-activation, LeakyReLU, logits,
 * softmax and messages (forward), or the softmax, aggregation and LeakyReLU
 * gradients with their scatters (backward). */
#include "symgnn_train_attention.h"

#include <math.h>
#include <string.h>

void symgnn_attn_forward(const symgnn_attn *a, int t0, int t1) {
  const int d = a->d, H = a->heads, hw = a->hw;
  const size_t ld = 2 * (size_t)hw;
  float *lg = a->grp; /* per-edge logits, then softmax numerators */
  for (int t = t0; t < t1; ++t) {
    const int64_t eb = a->off[t], ee = a->off[t + 1];
    const int n = (int)(ee - eb);
    float *restrict btb = lg + 2 * (size_t)n * H; /* b_t + bias */
    float *restrict s1 = btb + hw, *restrict s2 = s1 + hw;
    const float *bsrc = a->ab + (size_t)t * ld + hw;
    for (int j = 0; j < hw; ++j) btb[j] = bsrc[j] + a->bias[j];
    if (a->fsum) {
      memset(s1, 0, (size_t)hw * sizeof(float));
      memset(s2, 0, (size_t)hw * sizeof(float));
    }
    for (int i = 0; i < n; ++i) {
      const int64_t e = eb + i;
      const float *restrict as = a->ab + (size_t)a->src[e] * ld;
      const float *restrict ce = a->blk + (size_t)(e - a->e0) * hw;
      float *restrict fe = a->f + (size_t)e * hw;
      for (int j = 0; j < hw; ++j) {
        const float u = as[j] + btb[j] + ce[j];
        fe[j] = u > 0.0f ? u : SYMGNN_LEAKY * u;
      }
      for (int h = 0; h < H; ++h) {
        float dot = 0.0f;
        for (int k = h * d; k < (h + 1) * d; ++k) dot += fe[k] * a->attn[k];
        lg[(size_t)i * H + h] = dot;
      }
      if (a->fsum)
        for (int j = 0; j < hw; ++j) {
          s1[j] += fe[j];
          s2[j] += fe[j] * fe[j];
        }
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
    float *restrict mt = a->m + (size_t)t * hw;
    memset(mt, 0, (size_t)hw * sizeof(float));
    for (int i = 0; i < n; ++i) {
      const int64_t e = eb + i;
      const float *restrict zs = a->z + (size_t)a->src[e] * hw;
      for (int h = 0; h < H; ++h) {
        const float w = a->att[(size_t)e * H + h];
        for (int k = h * d; k < (h + 1) * d; ++k) mt[k] += w * zs[k];
      }
    }
    if (a->fsum)
      for (int j = 0; j < hw; ++j) {
        a->fsum[j] += s1[j];
        a->fsum[hw + j] += s2[j];
      }
  }
}

/* One edge's LeakyReLU backward for head h's columns [k0, k1): du from df,
 * with the scatters into the source rows and the destination's b-gradient. */
static inline void edge_columns(const symgnn_attn *a, int k0, int k1, float dal, float w,
                                const float *restrict fe, float *restrict te,
                                const float *restrict dmt, float *restrict pa, float *restrict dbt,
                                float *restrict das, float *restrict dzs) {
  if (a->c2) {
    for (int k = k0; k < k1; ++k) {
      const float fv = fe[k];
      const float df = dal * a->attn[k] + te[k] + a->c2[k] * (fv - a->mu[k]) + a->c3[k];
      const float du = fv > 0.0f ? df : SYMGNN_LEAKY * df;
      te[k] = du;
      pa[k] += dal * fv;
      dbt[k] += du;
      das[k] += du;
      dzs[k] += w * dmt[k];
    }
  } else {
    for (int k = k0; k < k1; ++k) {
      const float fv = fe[k];
      const float df = dal * a->attn[k];
      const float du = fv > 0.0f ? df : SYMGNN_LEAKY * df;
      te[k] = du;
      pa[k] += dal * fv;
      dbt[k] += du;
      das[k] += du;
      dzs[k] += w * dmt[k];
    }
  }
}

void symgnn_attn_backward(const symgnn_attn *a, int t0, int t1) {
  const int d = a->d, H = a->heads, hw = a->hw;
  const size_t ld = 2 * (size_t)hw;
  float *da = a->grp;
  for (int t = t0; t < t1; ++t) {
    const int64_t eb = a->off[t], ee = a->off[t + 1];
    const int n = (int)(ee - eb);
    float *restrict sh = da + (size_t)n * H; /* per-head sum_e att * da */
    float *restrict pa = sh + H;             /* this destination's share of dA */
    const float *restrict dmt = a->dm + (size_t)t * hw;
    float *dbt = a->dab + (size_t)t * ld + hw;
    for (int i = 0; i < n; ++i) {
      const float *restrict zs = a->z + (size_t)a->src[eb + i] * hw;
      for (int h = 0; h < H; ++h) {
        float dot = 0.0f;
        for (int k = h * d; k < (h + 1) * d; ++k) dot += dmt[k] * zs[k];
        da[(size_t)i * H + h] = dot;
      }
    }
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
        edge_columns(a, h * d, (h + 1) * d, dal, w, fe, te, dmt, pa, dbt, das, dzs);
      }
    }
    for (int j = 0; j < hw; ++j) a->dattn[j] += pa[j];
  }
}
