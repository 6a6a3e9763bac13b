/* Train-mode backward pass of one message-passing layer. Edge work is done
 * in blocks of whole destinations from the stored f and softmax weights:
 * the BN_edge/projection gradient enters through one product per block, the
 * fused attention kernel turns it into du, and two products per block give
 * the gradients of W_fij and of the incoming edge state. */
#include "symgnn_train_attention.h"
#include "symgnn_train_impl.h"

#include <cblas.h>
#include <string.h>

/* Node side: projection and BN_node backward, leaving d loss / d m (per head,
 * [N][hw]) in the returned buffer. dh holds the gradient of the layer output
 * before dropout. */
static float *node_side(symgnn_step *s, int l) {
  symgnn_trainer *tr = s->tr;
  const symgnn_layer_ref *L = &tr->lay.layer[l];
  const int d = tr->lay.width, H = L->heads, hw = L->hw, merged = L->merged;
  const float *m = TB_F(tr->m[l]), *P = s->params + L->proj_node.w;
  float *dh = TB_F(tr->dh), *xn = TB_F(tr->nt2), *full = TB_F(tr->nt1);
  symgnn_bn bn;
  symgnn_step_bn(s, &L->bn_node, symgnn_slot_layer_bn(l, 0), TB_D(tr->work), &bn);
  symgnn_bn_rows_apply(&bn, m, (size_t)s->n, xn);
  symgnn_acc_tn(s->gacc + L->proj_node.w, dh, d, xn, merged, s->n, d, merged, TB_F(tr->gtmp));
  symgnn_acc_colsum(s->gacc + L->proj_node.b, dh, s->n, d);
  if (s->n > 0)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->n, merged, d, 1.0f, dh, d, P, merged,
                0.0f, xn, merged);
  symgnn_bn_rows_backward(&bn, m, xn, (size_t)s->n, s->nglob, &s->opts->reduce, xn);
  if (merged == hw) return xn;
  /* mean over heads: every head receives dm / H */
  const float inv = 1.0f / (float)H;
  for (int t = 0; t < s->n; ++t)
    for (int h = 0; h < H; ++h)
      for (int k = 0; k < d; ++k) full[(size_t)t * hw + h * d + k] = xn[(size_t)t * d + k] * inv;
  return full;
}

/* Edge side, before the blocks: gradients of P_e, p_e and BN_edge from
 * S = sum dg' and M = dg'^T (f - mean) (f is stored centered), and the float terms of dx = c1*dy +
 * c2*(f-mean) + c3, with c1 folded into P'' = P_e diag(c1). */
typedef struct {
  float *P2, *c2, *c3, *mu;
} edge_terms;

static void edge_side(symgnn_step *s, int l, edge_terms *out) {
  symgnn_trainer *tr = s->tr;
  const symgnn_layer_ref *L = &tr->lay.layer[l];
  const int d = tr->lay.width, hw = L->hw;
  const size_t hm = (size_t)tr->hwmax;
  const float *dg = TB_F(tr->dg), *f = TB_F(tr->f[l]), *P = s->params + L->proj_edge.w;
  double *work = TB_D(tr->work), *sums = work + 5 * hm, *coef = sums + 2 * hm;
  double *S = coef + 3 * hm, *M = S + d;
  float *fl = TB_F(tr->fwork);
  symgnn_bn bn;
  symgnn_step_bn(s, &L->bn_edge, symgnn_slot_layer_bn(l, 1), work, &bn);
  memset(S, 0, (size_t)d * sizeof(double));
  memset(M, 0, (size_t)d * hw * sizeof(double));
  symgnn_acc_colsum(S, dg, s->ne, d);
  symgnn_acc_tn(M, dg, d, f, hw, s->ne, d, hw, TB_F(tr->gtmp)); /* f is stored centered */
  double *dP = s->gacc + L->proj_edge.w, *dp = s->gacc + L->proj_edge.b;
  memset(sums, 0, 2 * (size_t)hw * sizeof(double));
  for (int k = 0; k < d; ++k) {
    dp[k] += S[k];
    for (int j = 0; j < hw; ++j) {
      const double mx = M[(size_t)k * hw + j] * bn.istd[j]; /* dg'^T xhat */
      const double pkj = P[(size_t)k * hw + j];
      dP[(size_t)k * hw + j] += bn.gamma[j] * mx + bn.beta[j] * S[k];
      sums[j] += S[k] * pkj;
      sums[hw + j] += pkj * mx;
    }
  }
  symgnn_bn_coeffs(&bn, sums, s->eglob, &s->opts->reduce, coef);
  out->P2 = fl;
  out->c2 = fl + (size_t)d * hw;
  out->c3 = out->c2 + hw;
  out->mu = out->c3 + hw;
  for (int k = 0; k < d; ++k)
    for (int j = 0; j < hw; ++j)
      out->P2[(size_t)k * hw + j] = (float)(P[(size_t)k * hw + j] * coef[j]);
  for (int j = 0; j < hw; ++j) {
    out->c2[j] = (float)coef[hw + j];
    out->c3[j] = (float)coef[2 * hw + j];
    out->mu[j] = (float)bn.mean[j];
  }
}

void symgnn_layer_backward(symgnn_step *s, int l) {
  symgnn_trainer *tr = s->tr;
  const symgnn_layer_ref *L = &tr->lay.layer[l];
  const int d = tr->lay.width, hw = L->hw;
  const int last = (l == tr->lay.nlayers - 1);
  const size_t hm = (size_t)tr->hwmax;
  const float *p = s->params, *h = TB_F(tr->h[l]), *g = TB_F(tr->g[l]);
  float *dh = TB_F(tr->dh), *dg = TB_F(tr->dg), *dab = TB_F(tr->ab), *dz = TB_F(tr->dz);
  if (s->keep_scale > 0.0f) {
    symgnn_dropout_apply(dh, (const uint64_t *)tr->hmask[l].p, (size_t)s->n * d, s->keep_scale);
    if (!last)
      symgnn_dropout_apply(dg, (const uint64_t *)tr->gmask[l].p, (size_t)s->ne * d, s->keep_scale);
  }
  symgnn_attn a;
  symgnn_layer_attn_args(s, l, &a);
  a.dm = node_side(s, l);
  edge_terms et = {NULL, NULL, NULL, NULL};
  if (!last) {
    edge_side(s, l, &et);
    a.c2 = et.c2;
    a.c3 = et.c3;
    a.mu = et.mu;
  }
  double *dattn = TB_D(tr->work) + 5 * hm; /* the BN_edge sums area, free again */
  memset(dattn, 0, (size_t)hw * sizeof(double));
  a.dab = dab;
  a.dz = dz;
  a.dattn = dattn;
  memset(dab, 0, (size_t)s->n * 2 * hw * sizeof(float));
  memset(dz, 0, (size_t)s->n * hw * sizeof(float));
  for (int b = 0; b < s->nblk; ++b) {
    const int t0 = s->blk[b], t1 = s->blk[b + 1];
    a.e0 = s->off[t0];
    const int nb = (int)(s->off[t1] - a.e0);
    float *dgb = dg + (size_t)a.e0 * d;
    if (!last)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nb, hw, d, 1.0f, dgb, d, et.P2, hw,
                  0.0f, a.blk, hw);
    symgnn_attn_backward(&a, t0, t1);
    symgnn_acc_tn(s->gacc + L->w_fij, a.blk, hw, g + (size_t)a.e0 * d, d, nb, hw, d,
                  TB_F(tr->gtmp));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nb, d, hw, 1.0f, a.blk, hw, p + L->w_fij,
                d, last ? 0.0f : 1.0f, dgb, d);
  }
  for (int j = 0; j < hw; ++j) s->gacc[L->attn + j] += dattn[j];
  /* node products: W_ni | W_nj are contiguous, as are the a | b gradient columns */
  symgnn_acc_tn(s->gacc + L->w_ni, dab, 2 * hw, h, d, s->n, 2 * hw, d, TB_F(tr->gtmp));
  symgnn_acc_tn(s->gacc + L->w_src, dz, hw, h, d, s->n, hw, d, TB_F(tr->gtmp));
  double *dbias = s->gacc + L->bias;
  for (int t = 0; t < s->n; ++t)
    for (int j = 0; j < hw; ++j) dbias[j] += dab[(size_t)t * 2 * hw + hw + j];
  if (s->n > 0) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->n, d, 2 * hw, 1.0f, dab, 2 * hw,
                p + L->w_ni, d, 1.0f, dh, d);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->n, d, hw, 1.0f, dz, hw, p + L->w_src,
                d, 1.0f, dh, d);
  }
}
