/* Train-mode forward pass of one message-passing layer (EGAT + BN +
 * projection + residual + dropout). The edge pre-activation is computed in
 * blocks of whole destinations, shared among the threads; only f =
 * LeakyReLU(u) and the softmax weights are kept for the backward pass.
 * BN_edge is folded into the edge projection, so BN_edge(f) is never
 * materialized. */
#include "symgnn_ext.h"
#include "symgnn_train_attention.h"
#include "symgnn_train_gemm.h"
#include "symgnn_train_impl.h"

#include <string.h>

void symgnn_layer_attn_args(const symgnn_step *s, int l, symgnn_attn *a) {
  const symgnn_trainer *tr = s->tr;
  const symgnn_layer_ref *L = &tr->lay.layer[l];
  memset(a, 0, sizeof *a);
  a->d = tr->lay.width;
  a->heads = L->heads;
  a->hw = L->hw;
  a->off = s->off;
  a->src = s->src;
  a->ab = TB_F(tr->ab);
  a->z = TB_F(tr->z[l]);
  a->attn = s->params + L->attn;
  a->bias = s->params + L->bias;
  a->blk = TB_F(tr->et);
  a->f = TB_F(tr->f[l]);
  a->att = TB_F(tr->att[l]);
  a->grp = TB_F(tr->grp);
  a->ew = s->opts->edge_weight;
  a->dew = s->opts->dedge_weight;
}

/* Mean over heads (last layer): m[t][k] = (1/H) sum_h full[t][h*d + k]. */
static void merge_heads(const float *full, int n, int d, int H, float *m) {
  for (int t = 0; t < n; ++t) {
    const float *ft = full + (size_t)t * H * d;
    float *mt = m + (size_t)t * d;
    for (int k = 0; k < d; ++k) {
      float acc = 0.0f;
      for (int h = 0; h < H; ++h) acc += ft[h * d + k];
      mt[k] = acc / (float)H;
    }
  }
}

/* out[i] = in[i] + bias for n rows of d (residual plus projection bias). */
static void residual_init(const float *in, const float *bias, size_t n, int d, float *out) {
  for (size_t i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) out[i * d + j] = in[i * d + j] + bias[j];
}

/* g[l+1] = BN_edge(f) P_e^T + p_e + g[l]: f is centered in place (the
 * backward pass uses it centered too), so no large mean cancels in float, and
 * the BN scale is folded into P_e, kept transposed ([hw][d]) for the block
 * products. */
static void edge_update(symgnn_step *s, int l, const symgnn_bn *bn) {
  symgnn_trainer *tr = s->tr;
  const symgnn_layer_ref *L = &tr->lay.layer[l];
  const int d = tr->lay.width, hw = L->hw;
  const float *P = s->params + L->proj_edge.w, *pb = s->params + L->proj_edge.b;
  float *Pt = TB_F(tr->fwork), *biasf = Pt + (size_t)d * hw, *mu = biasf + d;
  for (int k = 0; k < d; ++k) {
    double acc = pb[k];
    for (int j = 0; j < hw; ++j) {
      Pt[(size_t)j * d + k] = (float)(P[(size_t)k * hw + j] * bn->gamma[j] * bn->istd[j]);
      acc += P[(size_t)k * hw + j] * bn->beta[j];
    }
    biasf[k] = (float)acc;
  }
  for (int j = 0; j < hw; ++j) mu[j] = (float)bn->mean[j];
  float *gn = TB_F(tr->g[l + 1]), *f = TB_F(tr->f[l]);
  const float *g = TB_F(tr->g[l]);
  const int64_t ne = s->ledge[l], chunk = s->blkcap, nchunk = (ne + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) num_threads(tr->nth) if (tr->nth > 1)
  for (int64_t c = 0; c < nchunk; ++c) { /* rows are independent: any split gives the same */
    const int64_t r0 = c * chunk, nr = ne - r0 < chunk ? ne - r0 : chunk;
    residual_init(g + (size_t)r0 * d, biasf, (size_t)nr, d, gn + (size_t)r0 * d);
    symgnn_center_rows(f + (size_t)r0 * hw, mu, nr, hw, f + (size_t)r0 * hw);
    symgnn_block_gemm((int)nr, d, hw, f + (size_t)r0 * hw, hw, Pt, d, 1, gn + (size_t)r0 * d, d);
  }
  if (s->keep_scale > 0.0f) {
    uint64_t *bits = (uint64_t *)tr->gmask[l].p;
    symgnn_dropout_draw_threads(bits, (size_t)s->ne * d, s->opts->dropout, s->opts->seed,
                                2 * (uint64_t)l + 1, tr->nth);
    symgnn_dropout_apply(gn, bits, (size_t)s->ne * d, s->keep_scale, tr->nth);
  }
}

/* Edge products and the fused attention kernel over the destination blocks,
 * one block per thread at a time with the thread's own slices of the block
 * scratch and of the BN_edge sums (the start of its tacc slice); static
 * scheduling keeps the result independent of timing. */
static void attention_blocks(symgnn_step *s, int l, const symgnn_attn *a) {
  symgnn_trainer *tr = s->tr;
  const symgnn_layer_ref *L = &tr->lay.layer[l];
  const int d = tr->lay.width, hw = L->hw, nth = tr->nth;
  const int last = (l == tr->lay.nlayers - 1);
  const float *g = TB_F(tr->g[l]);
  const int table = l == 0 && s->ntr == 0; /* haar: layer 0's edge term from the grid */
  float *wt = TB_F(tr->wt);                /* W_fij^T, [d][hw] */
  if (!a->partial && !table) symgnn_block_transpose(hw, d, s->params + L->w_fij, wt);
  memset(tr->tacc.p, 0, (size_t)nth * tr->taccsz * sizeof(double));
#pragma omp parallel num_threads(nth) if (nth > 1)
  {
    const int tid = symgnn_thread_id();
    symgnn_attn at = *a;
    at.blk = TB_F(tr->et) + (size_t)tid * s->blkcap * tr->hwmax;
    at.grp = TB_F(tr->grp) + (size_t)tid * tr->grpsz;
    at.fsum = last ? NULL : TB_D(tr->tacc) + (size_t)tid * tr->taccsz;
#pragma omp for schedule(static)
    for (int b = 0; b < s->lblk[l]; ++b) {
      const int t0 = s->blk[b], t1 = s->blk[b + 1];
      at.e0 = s->off[t0];
      const int nb = (int)(s->off[t1] - at.e0);
      if (!a->partial && table)
        symgnn_haar_edge_term_rows(s, at.e0, nb, at.blk);
      else if (!a->partial)
        symgnn_block_gemm(nb, hw, d, g + (size_t)at.e0 * d, d, wt, hw, 0, at.blk, hw);
      symgnn_attn_forward(&at, t0, t1);
    }
  }
}

void symgnn_layer_forward(symgnn_step *s, int l) {
  symgnn_trainer *tr = s->tr;
  const symgnn_layer_ref *L = &tr->lay.layer[l];
  const int d = tr->lay.width, H = L->heads, hw = L->hw, merged = L->merged;
  const int last = (l == tr->lay.nlayers - 1);
  const float *p = s->params, *h = TB_F(tr->h[l]);
  float *m = TB_F(tr->m[l]), *xn = TB_F(tr->nt2), *hn = TB_F(tr->h[l + 1]);
  float *mfull = merged == hw ? m : TB_F(tr->nt1);
  double *work = TB_D(tr->work), *fsum = work + 5 * (size_t)tr->hwmax;
  /* layer 0's attention depends on no edge weight: in eval mode with reused
   * inputs its f, softmax weights, z and edge output are the earlier pass's */
  const int partial = l == 0 && s->opts->reuse_inputs && s->opts->eval;
  const int nsrc = symgnn_src_rows(s, l), nl = s->lnode[l]; /* rows read, rows computed */
  if (!partial) {
    symgnn_sgemm_rows(tr->nth, 1, nsrc, 2 * hw, d, h, d, p + L->w_ni, d, 0.0f, TB_F(tr->ab),
                      2 * hw);
    symgnn_sgemm_rows(tr->nth, 1, nsrc, hw, d, h, d, p + L->w_src, d, 0.0f, TB_F(tr->z[l]), hw);
  }
  symgnn_attn a;
  symgnn_layer_attn_args(s, l, &a);
  a.m = mfull;
  a.partial = partial;
  attention_blocks(s, l, &a);
  if (!last && !partial) { /* BN_edge statistics: the threads' sums, added in thread order */
    memset(fsum, 0, 2 * (size_t)hw * sizeof(double));
    const double *tf = TB_D(tr->tacc);
    for (int t = 0; t < tr->nth; ++t)
      for (int j = 0; j < 2 * hw; ++j) fsum[j] += tf[(size_t)t * tr->taccsz + j];
  }
  if (merged != hw) merge_heads(mfull, nl, d, H, m);
  /* node update: h[l+1] = BN_node(m) P_n^T + p_n + h[l], then dropout */
  symgnn_bn bn;
  symgnn_step_bn(s, &L->bn_node, symgnn_slot_layer_bn(l, 0), work, &bn);
  symgnn_bn_rows_forward(&bn, m, (size_t)nl, s->nglob, &s->opts->reduce, xn);
  residual_init(h, p + L->proj_node.b, (size_t)nl, d, hn);
  symgnn_sgemm_rows(tr->nth, 1, nl, d, merged, xn, merged, p + L->proj_node.w, merged, 1.0f, hn, d);
  if (s->keep_scale > 0.0f) {
    uint64_t *bits = (uint64_t *)tr->hmask[l].p;
    symgnn_dropout_draw_threads(bits, (size_t)s->n * d, s->opts->dropout, s->opts->seed,
                                2 * (uint64_t)l, tr->nth);
    symgnn_dropout_apply(hn, bits, (size_t)s->n * d, s->keep_scale, tr->nth);
  }
  if (last || partial) return; /* the last layer's edge output is never used */
  symgnn_step_bn(s, &L->bn_edge, symgnn_slot_layer_bn(l, 1), work, &bn);
  symgnn_bn_stats(&bn, fsum, s->eglob, &s->opts->reduce);
  edge_update(s, l, &bn);
}
