/* Decoder in training mode, [Linear -> BN -> PReLU] x depth -> Linear(width, 1),
 * and the gradient of the MSE loss on normalized labels. */
#include "symgnn_train_impl.h"

#include <cblas.h>
#include <string.h>

/* PReLU with one slope for the whole tensor. */
static void prelu(const float *z, float *x, size_t n, float a) {
  for (size_t i = 0; i < n; ++i) x[i] = z[i] > 0.0f ? z[i] : a * z[i];
}

/* Input of decoder block k: h[L] for the first block, else PReLU of the previous BN output. */
static const float *block_input(const symgnn_step *s, int k, float *scratch) {
  const symgnn_trainer *tr = s->tr;
  const size_t nd = (size_t)s->n * tr->lay.width;
  if (k == 0) return TB_F(tr->h[tr->lay.nlayers]);
  prelu(TB_F(tr->dec_z) + (size_t)(k - 1) * nd, scratch, (size_t)s->nout * tr->lay.width,
        s->params[tr->lay.dec[k - 1].prelu]);
  return scratch;
}

void symgnn_decoder_forward(symgnn_step *s) {
  symgnn_trainer *tr = s->tr;
  const symgnn_layout *L = &tr->lay;
  const int d = L->width, depth = L->decoder_depth;
  const size_t nd = (size_t)s->n * d;
  float *x = TB_F(tr->nt1);
  for (int k = 0; k < depth; ++k) {
    const float *in = block_input(s, k, x);
    float *y = TB_F(tr->dec_y) + (size_t)k * nd, *z = TB_F(tr->dec_z) + (size_t)k * nd;
    const symgnn_lin_ref *lin = &L->dec[k].lin;
    for (int i = 0; i < s->nout; ++i)
      memcpy(y + (size_t)i * d, s->params + lin->b, d * sizeof(float));
    if (s->nout > 0)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s->nout, d, d, 1.0f, in, d,
                  s->params + lin->w, d, 1.0f, y, d);
    symgnn_bn bn;
    symgnn_step_bn(s, &L->dec[k].bn, symgnn_slot_dec_bn(s, k), TB_D(tr->work), &bn);
    symgnn_bn_rows_forward(&bn, y, (size_t)s->nout, s->nglob, &s->opts->reduce, z);
  }
  const float *in = block_input(s, depth, x);
  const float *w = s->params + L->out.w;
  float *pred = TB_F(tr->pred);
  memset(pred + s->nout, 0, (size_t)(s->n - s->nout) * sizeof(float)); /* not computed */
  for (int i = 0; i < s->nout; ++i) {
    double acc = s->params[L->out.b];
    for (int j = 0; j < d; ++j) acc += (double)in[(size_t)i * d + j] * w[j];
    pred[i] = (float)acc;
  }
}

void symgnn_decoder_backward(symgnn_step *s, const float *labels) {
  symgnn_trainer *tr = s->tr;
  const symgnn_layout *L = &tr->lay;
  const int d = L->width, depth = L->decoder_depth;
  const size_t nd = (size_t)s->n * d;
  const float *pred = TB_F(tr->pred), *w = s->params + L->out.w;
  float *x = TB_F(tr->nt1), *dx = TB_F(tr->dh), *dy = TB_F(tr->nt2), *tmp = TB_F(tr->gtmp);
  /* loss = sum w (pred - z)^2 / sum w over all ranks (w = 1 without loss weights) */
  const double scale = 2.0 / s->loss_norm;
  const float *lw = s->opts->loss_weight;
  const float *in = block_input(s, depth, x);
  double *dw = s->gacc + L->out.w, db = 0.0;
  for (int i = 0; i < s->nout; ++i) {
    const double g =
        lw ? scale * lw[i] * ((double)pred[i] - labels[i]) : scale * ((double)pred[i] - labels[i]);
    db += g;
    for (int j = 0; j < d; ++j) {
      dw[j] += g * in[(size_t)i * d + j];
      dx[(size_t)i * d + j] = (float)(g * w[j]);
    }
  }
  s->gacc[L->out.b] += db;
  for (int k = depth - 1; k >= 0; --k) {
    const float *y = TB_F(tr->dec_y) + (size_t)k * nd, *z = TB_F(tr->dec_z) + (size_t)k * nd;
    const float a = s->params[L->dec[k].prelu];
    double da = 0.0;
    for (size_t i = 0; i < (size_t)s->nout * d; ++i) {
      if (z[i] > 0.0f) {
        dy[i] = dx[i];
      } else {
        da += (double)dx[i] * z[i];
        dy[i] = a * dx[i];
      }
    }
    s->gacc[L->dec[k].prelu] += da;
    symgnn_bn bn;
    symgnn_step_bn(s, &L->dec[k].bn, symgnn_slot_dec_bn(s, k), TB_D(tr->work), &bn);
    symgnn_bn_rows_backward(&bn, y, dy, (size_t)s->nout, s->nglob, &s->opts->reduce, dy);
    const symgnn_lin_ref *lin = &L->dec[k].lin;
    in = block_input(s, k, x);
    symgnn_acc_tn(s->gacc + lin->w, dy, d, in, d, s->nout, d, d, tmp);
    symgnn_acc_colsum(s->gacc + lin->b, dy, s->nout, d);
    if (s->nout > 0)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->nout, d, d, 1.0f, dy, d,
                  s->params + lin->w, d, 0.0f, dx, d);
  }
}
