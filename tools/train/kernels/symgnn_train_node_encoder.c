/* Node encoder in training mode: Embedding -> BN -> ReLU -> Linear -> BN -> ReLU. */
#include "symgnn_train_impl.h"

#include <cblas.h>
#include <string.h>

/* Embedding rows of every node (the first BN's input, cheap to gather again). */
static void gather_embedding(const symgnn_step *s, float *e0) {
  const int d = s->tr->lay.width;
  const float *emb = s->params + s->tr->lay.emb;
  for (int i = 0; i < s->n; ++i)
    memcpy(e0 + (size_t)i * d, emb + (size_t)s->species[i] * d, (size_t)d * sizeof(float));
}

static void relu(float *x, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

/* Gradient through ReLU: keep dy where the ReLU output y is positive. */
static void relu_back(float *dy, const float *y, size_t n) {
  for (size_t i = 0; i < n; ++i) dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

void symgnn_node_encoder_forward(symgnn_step *s) {
  symgnn_trainer *tr = s->tr;
  const symgnn_layout *L = &tr->lay;
  const int d = L->width;
  const size_t nd = (size_t)s->n * d;
  float *e0 = TB_F(tr->nt1), *r = TB_F(tr->enc_r), *y = TB_F(tr->enc_y), *h0 = TB_F(tr->h[0]);
  symgnn_bn bn;
  gather_embedding(s, e0);
  symgnn_step_bn(s, &L->node_bn0, symgnn_slot_node_bn(0), TB_D(tr->work), &bn);
  symgnn_bn_rows_forward(&bn, e0, (size_t)s->n, s->nglob, &s->opts->reduce, r);
  relu(r, nd);
  const symgnn_lin_ref *lin = &L->node_lin;
  for (int i = 0; i < s->n; ++i) memcpy(y + (size_t)i * d, s->params + lin->b, d * sizeof(float));
  if (s->n > 0)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s->n, d, d, 1.0f, r, d, s->params + lin->w,
                d, 1.0f, y, d);
  symgnn_step_bn(s, &L->node_bn1, symgnn_slot_node_bn(1), TB_D(tr->work), &bn);
  symgnn_bn_rows_forward(&bn, y, (size_t)s->n, s->nglob, &s->opts->reduce, h0);
  relu(h0, nd);
}

void symgnn_node_encoder_backward(symgnn_step *s) {
  symgnn_trainer *tr = s->tr;
  const symgnn_layout *L = &tr->lay;
  const int d = L->width;
  const size_t nd = (size_t)s->n * d;
  float *dh = TB_F(tr->dh), *r = TB_F(tr->enc_r), *y = TB_F(tr->enc_y), *dr = TB_F(tr->nt1);
  float *e0 = TB_F(tr->nt2);
  float *tmp = TB_F(tr->gtmp);
  symgnn_bn bn;
  relu_back(dh, TB_F(tr->h[0]), nd);
  symgnn_step_bn(s, &L->node_bn1, symgnn_slot_node_bn(1), TB_D(tr->work), &bn);
  symgnn_bn_rows_backward(&bn, y, dh, (size_t)s->n, s->nglob, &s->opts->reduce, dh);
  const symgnn_lin_ref *lin = &L->node_lin;
  symgnn_acc_tn(s->gacc + lin->w, dh, d, r, d, s->n, d, d, tmp);
  symgnn_acc_colsum(s->gacc + lin->b, dh, s->n, d);
  if (s->n > 0)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->n, d, d, 1.0f, dh, d,
                s->params + lin->w, d, 0.0f, dr, d);
  relu_back(dr, r, nd);
  gather_embedding(s, e0);
  symgnn_step_bn(s, &L->node_bn0, symgnn_slot_node_bn(0), TB_D(tr->work), &bn);
  symgnn_bn_rows_backward(&bn, e0, dr, (size_t)s->n, s->nglob, &s->opts->reduce, dr);
  double *demb = s->gacc + L->emb;
  for (int i = 0; i < s->n; ++i) {
    double *row = demb + (size_t)s->species[i] * d;
    const float *g = dr + (size_t)i * d;
    for (int j = 0; j < d; ++j) row[j] += g[j];
  }
}
