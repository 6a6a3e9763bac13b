/* Train-mode backward pass of one message-passing layer. Edge work is done
 * in blocks of whole destinations, shared among the threads, from the stored
 * f and softmax weights: the BN_edge/projection gradient enters through one
 * product per block, the fused attention kernel turns it into du, and two
 * products per block give the gradients of W_fij and of the incoming edge
 * state. */
#include "symgnn_ext.h"
#include "symgnn_train_attention.h"
#include "symgnn_train_gemm.h"
#include "symgnn_train_impl.h"

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
  const int nl = s->lnode[l]; /* the rows layer l computed */
  symgnn_bn_rows_apply(&bn, m, (size_t)nl, xn);
  symgnn_acc_tn(s->gacc + L->proj_node.w, dh, d, xn, merged, nl, d, merged, TB_F(tr->gtmp));
  symgnn_acc_colsum(s->gacc + L->proj_node.b, dh, nl, d);
  symgnn_sgemm_rows(tr->nth, 0, nl, merged, d, dh, d, P, merged, 0.0f, xn, merged);
  symgnn_bn_rows_backward(&bn, m, xn, (size_t)nl, s->nglob, &s->opts->reduce, xn);
  if (merged == hw) return xn;
  /* mean over heads: every head receives dm / H */
  const float inv = 1.0f / (float)H;
  for (int t = 0; t < nl; ++t)
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

/* sm = [S | M]: S = column sums of dg ([d]) and M = dg^T f ([d][hw]) over
 * all edges, in parallel over fixed chunks of edges: a thread adds the float
 * products of its chunks into its own double sums (a slice of tacc), which
 * are then added in thread order. */
static void edge_sums(symgnn_step *s, int l, const float *dg, const float *f, int hw, double *sm) {
  symgnn_trainer *tr = s->tr;
  const int d = tr->lay.width, nth = tr->nth;
  const size_t hm = (size_t)tr->hwmax;
  const size_t nsum = (size_t)d * (1 + (size_t)hw);
  const int64_t ne = s->ledge[l], chunk = s->blkcap, nchunk = (ne + chunk - 1) / chunk;
#pragma omp parallel num_threads(nth) if (nth > 1)
  {
    const int tid = symgnn_thread_id();
    double *st = TB_D(tr->tacc) + (size_t)tid * tr->taccsz, *mt = st + d;
    float *gt = TB_F(tr->gtmp) + (size_t)tid * 2 * hm * d;
    memset(st, 0, nsum * sizeof(double));
#pragma omp for schedule(static)
    for (int64_t c = 0; c < nchunk; ++c) {
      const int64_t r0 = c * chunk, nr = ne - r0 < chunk ? ne - r0 : chunk;
      symgnn_acc_colsum(st, dg + (size_t)r0 * d, nr, d);
      symgnn_acc_tn(mt, dg + (size_t)r0 * d, d, f + (size_t)r0 * hw, hw, nr, d, hw, gt);
    }
  }
  memset(sm, 0, nsum * sizeof(double));
  for (int t = 0; t < nth; ++t) {
    const double *st = TB_D(tr->tacc) + (size_t)t * tr->taccsz;
    for (size_t j = 0; j < nsum; ++j) sm[j] += st[j];
  }
}

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
  double *dP = s->gacc + L->proj_edge.w, *dp = s->gacc + L->proj_edge.b;
  memset(sums, 0, 2 * (size_t)hw * sizeof(double));
  /* S and M feed the parameter gradients and train-mode BN_edge only */
  const int need_sums = !(s->weights_only && bn.eval);
  if (need_sums) edge_sums(s, l, dg, f, hw, S); /* S then M; f is stored centered */
  for (int k = 0; need_sums && k < d; ++k) {
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

/* Per-block backward over the destination blocks, one block per thread at a
 * time (static scheduling, so results do not depend on timing). A thread
 * scatters the source-row gradients d a | b and d z into its own copies
 * (thread 0 into the step's arrays, the others into tnode) and the gradients
 * of A and W_fij into its slice of tacc; the copies are added in thread order
 * afterwards. */
static void attention_blocks(symgnn_step *s, int l, const symgnn_attn *a, const float *P2) {
  symgnn_trainer *tr = s->tr;
  const symgnn_layer_ref *L = &tr->lay.layer[l];
  const int d = tr->lay.width, hw = L->hw, nth = tr->nth;
  const int last = (l == tr->lay.nlayers - 1);
  const size_t hm = (size_t)tr->hwmax, nab = (size_t)s->n * 2 * hw;
  const int nsrc = symgnn_src_rows(s, l); /* source rows: the only ones with gradients */
  const float *g = TB_F(tr->g[l]), *wf = s->params + L->w_fij;
  float *dg = TB_F(tr->dg);
  /* haar: layer 0's edge term came from the grid, so does its gradient (dg
   * keeps the residual path only; the encoder adds dC W_fij) */
  const int table = l == 0 && s->ntr == 0 && !a->partial;
  if (table) symgnn_haar_edge_term_zero(s);
#pragma omp parallel num_threads(nth) if (nth > 1)
  {
    const int tid = symgnn_thread_id();
    symgnn_attn at = *a;
    at.blk = TB_F(tr->et) + (size_t)tid * s->blkcap * hm;
    at.grp = TB_F(tr->grp) + (size_t)tid * tr->grpsz;
    at.dattn = TB_D(tr->tacc) + (size_t)tid * tr->taccsz;
    double *dw = at.dattn + hm; /* [hw][d] gradient of W_fij */
    float *gt = TB_F(tr->gtmp) + (size_t)tid * 2 * hm * d;
    if (tid > 0) {
      at.dab = TB_F(tr->tnode) + (size_t)(tid - 1) * s->n * 3 * hm;
      at.dz = at.dab + nab;
    }
    memset(at.dab, 0, (size_t)nsrc * 2 * hw * sizeof(float));
    memset(at.dz, 0, (size_t)nsrc * hw * sizeof(float));
    memset(at.dattn, 0, tr->taccsz * sizeof(double));
#pragma omp for schedule(static)
    for (int b = 0; b < s->lblk[l]; ++b) {
      const int t0 = s->blk[b], t1 = s->blk[b + 1];
      at.e0 = s->off[t0];
      const int nb = (int)(s->off[t1] - at.e0);
      float *dgb = dg + (size_t)at.e0 * d;
      if (a->partial) { /* the edge weights' gradient only */
        symgnn_attn_backward(&at, t0, t1);
        continue;
      }
      if (!last) symgnn_block_gemm(nb, hw, d, dgb, d, P2, hw, 0, at.blk, hw);
      symgnn_attn_backward(&at, t0, t1);
      if (table) {
        symgnn_haar_edge_term_grad(s, tid, at.e0, nb, at.blk);
        continue;
      }
      if (!s->weights_only) symgnn_acc_tn(dw, at.blk, hw, g + (size_t)at.e0 * d, d, nb, hw, d, gt);
      symgnn_block_gemm(nb, d, hw, at.blk, hw, wf, d, !last, dgb, d);
    }
  }
  if (table) symgnn_haar_edge_term_finish(s);
  for (int t = 0; t < nth; ++t) {
    const double *acc = TB_D(tr->tacc) + (size_t)t * tr->taccsz;
    for (int j = 0; j < hw; ++j) s->gacc[L->attn + j] += acc[j];
    for (size_t j = 0; j < (size_t)hw * d; ++j) s->gacc[L->w_fij + j] += acc[hm + j];
  }
  /* the other threads' copies, added in thread order, split by rows */
#pragma omp parallel for schedule(static) num_threads(nth) if (nth > 1)
  for (int r = 0; r < nsrc; ++r)
    for (int t = 1; t < nth; ++t) {
      const float *dab_t = TB_F(tr->tnode) + (size_t)(t - 1) * s->n * 3 * hm, *dz_t = dab_t + nab;
      for (size_t j = (size_t)r * 2 * hw; j < (size_t)(r + 1) * 2 * hw; ++j) a->dab[j] += dab_t[j];
      for (size_t j = (size_t)r * hw; j < (size_t)(r + 1) * hw; ++j) a->dz[j] += dz_t[j];
    }
}

void symgnn_layer_backward(symgnn_step *s, int l) {
  symgnn_trainer *tr = s->tr;
  const symgnn_layer_ref *L = &tr->lay.layer[l];
  const int d = tr->lay.width, hw = L->hw;
  const int last = (l == tr->lay.nlayers - 1);
  const float *p = s->params, *h = TB_F(tr->h[l]);
  float *dh = TB_F(tr->dh), *dg = TB_F(tr->dg), *dab = TB_F(tr->ab), *dz = TB_F(tr->dz);
  if (s->keep_scale > 0.0f) {
    symgnn_dropout_apply(dh, (const uint64_t *)tr->hmask[l].p, (size_t)s->n * d, s->keep_scale,
                         tr->nth);
    if (!last)
      symgnn_dropout_apply(dg, (const uint64_t *)tr->gmask[l].p, (size_t)s->ne * d, s->keep_scale,
                           tr->nth);
  }
  symgnn_attn a;
  symgnn_layer_attn_args(s, l, &a);
  a.dm = node_side(s, l);
  edge_terms et = {NULL, NULL, NULL, NULL};
  const int weights_only = l == 0 && s->weights_only; /* h[0], g[0] depend on no edge weight */
  if (!last && !weights_only) {
    edge_side(s, l, &et);
    a.c2 = et.c2;
    a.c3 = et.c3;
    a.mu = et.mu;
  }
  a.dab = dab;
  a.dz = dz;
  if (weights_only) {
    a.partial = 1;
    attention_blocks(s, l, &a, et.P2);
    return;
  }
  const int nl = s->lnode[l], nsrc = symgnn_src_rows(s, l);
  if (nl < nsrc) /* h[l] rows that layer l did not compute: only the sources' gradient */
    memset(dh + (size_t)nl * d, 0, (size_t)(nsrc - nl) * d * sizeof(float));
  if (last && s->ledge[l] < s->ne) /* edges the last layer skips get no gradient */
    memset(dg + (size_t)s->ledge[l] * d, 0, (size_t)(s->ne - s->ledge[l]) * d * sizeof(float));
  attention_blocks(s, l, &a, et.P2);
  /* node products: W_ni | W_nj are contiguous, as are the a | b gradient columns */
  symgnn_acc_tn(s->gacc + L->w_ni, dab, 2 * hw, h, d, nsrc, 2 * hw, d, TB_F(tr->gtmp));
  symgnn_acc_tn(s->gacc + L->w_src, dz, hw, h, d, nsrc, hw, d, TB_F(tr->gtmp));
  double *dbias = s->gacc + L->bias;
  for (int t = 0; t < nl; ++t)
    for (int j = 0; j < hw; ++j) dbias[j] += dab[(size_t)t * 2 * hw + hw + j];
  symgnn_sgemm_rows(tr->nth, 0, nsrc, d, 2 * hw, dab, 2 * hw, p + L->w_ni, d, 1.0f, dh, d);
  symgnn_sgemm_rows(tr->nth, 0, nsrc, d, hw, dz, hw, p + L->w_src, d, 1.0f, dh, d);
}
