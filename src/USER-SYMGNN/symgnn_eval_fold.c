/* Eval-mode weight folding: BatchNorm with running statistics is an affine map,
 * so it merges into the linear layer before it (encoders, decoder) or after it
 * (the projections that follow the EGAT outputs). The file keeps BN as trained;
 * this runs once per symgnn_eval_create. */
#include "symgnn_error.h"
#include "symgnn_eval_impl.h"
#include "symgnn_model_format.h"
#include "symgnn_model_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* BN as scale s and shift t: y = s*x + t. */
static void bn_affine(const symgnn_model *m, const symgnn_bn_ref *bn, int i, double *s, double *t) {
  const double var = m->stats[bn->var + i];
  *s = m->params[bn->gamma + i] / sqrt(var + SYMGNN_BN_EPS);
  *t = m->params[bn->beta + i] - m->stats[bn->mean + i] * *s;
}

/* Linear followed by BN: W'[j][:] = s_j W[j][:], b'_j = s_j b_j + t_j. */
static void fold_after(const symgnn_model *m, const symgnn_lin_ref *lin, const symgnn_bn_ref *bn,
                       float *w, float *b) {
  for (int j = 0; j < lin->out; ++j) {
    double s, t;
    bn_affine(m, bn, j, &s, &t);
    for (int i = 0; i < lin->in; ++i)
      w[j * lin->in + i] = (float)(s * m->params[lin->w + (size_t)j * lin->in + i]);
    b[j] = (float)(s * m->params[lin->b + j] + t);
  }
}

/* BN followed by Linear: W'[j][i] = W[j][i] s_i, b'_j = b_j + sum_i W[j][i] t_i. */
static void fold_before(const symgnn_model *m, const symgnn_bn_ref *bn, const symgnn_lin_ref *lin,
                        float *w, float *b) {
  for (int j = 0; j < lin->out; ++j) {
    double acc = m->params[lin->b + j];
    for (int i = 0; i < lin->in; ++i) {
      double s, t;
      bn_affine(m, bn, i, &s, &t);
      const double wji = m->params[lin->w + (size_t)j * lin->in + i];
      w[j * lin->in + i] = (float)(wji * s);
      acc += wji * t;
    }
    b[j] = (float)acc;
  }
}

/* Node encoder per species: Embedding -> BN -> ReLU -> Linear -> BN -> ReLU. */
static void fold_node_encoder(struct symgnn_eval *ev, const symgnn_model *m) {
  const symgnn_layout *L = &m->layout;
  const int d = ev->width;
  for (int e = 0; e < ev->nelements; ++e) {
    double x[SYMGNN_MODEL_MAX_WIDTH];
    for (int i = 0; i < d; ++i) {
      double s, t;
      bn_affine(m, &L->node_bn0, i, &s, &t);
      x[i] = fmax(0.0, s * m->params[L->emb + (size_t)e * d + i] + t);
    }
    for (int j = 0; j < d; ++j) {
      double acc = m->params[L->node_lin.b + j], s, t;
      for (int i = 0; i < d; ++i) acc += m->params[L->node_lin.w + (size_t)j * d + i] * x[i];
      bn_affine(m, &L->node_bn1, j, &s, &t);
      ev->node_table[e * d + j] = (float)fmax(0.0, s * acc + t);
    }
  }
}

symgnn_encoder_ref symgnn_eval_encoder(const struct symgnn_eval *ev) {
  const symgnn_encoder_ref e = {ev->width, ev->enc0_w, ev->enc0_b, ev->enc1_w, ev->enc1_b};
  return e;
}

/* Edge encoder: the transform O_k folds into the first Linear, per k (a
 * haar model has one, the identity, and its average comes from the table). */
static void fold_edge_encoder(struct symgnn_eval *ev, const symgnn_model *m) {
  static const double identity[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  const symgnn_layout *L = &m->layout;
  const int d = ev->width;
  for (int k = 0; k < ev->ntransforms; ++k) {
    const double *O = ev->haar ? identity : m->transforms + 9 * k;
    for (int r = 0; r < 3; ++r)
      for (int j = 0; j < d; ++j) {
        double s, t, acc = 0.0;
        bn_affine(m, &L->edge_bn0, j, &s, &t);
        for (int c = 0; c < 3; ++c) acc += O[3 * r + c] * m->params[L->edge_lin0.w + 3 * j + c];
        ev->enc0_w[((size_t)k * 3 + r) * d + j] = (float)(s * acc);
      }
  }
  for (int j = 0; j < d; ++j) {
    double s, t;
    bn_affine(m, &L->edge_bn0, j, &s, &t);
    ev->enc0_b[j] = (float)(s * m->params[L->edge_lin0.b + j] + t);
  }
  fold_after(m, &L->edge_lin1, &L->edge_bn1, ev->enc1_w, ev->enc1_b);
}

/* Message-passing layer: stack the node projections, fold BN into P_n and
 * P_e, and lay every per-head block of features out at stride dp (zero
 * padding), with W_fij and P_e transposed for the edge kernels. */
static int fold_layer(symgnn_eval_layer_w *w, const symgnn_model *m, int l, int dp) {
  const symgnn_layer_ref *r = &m->layout.layer[l];
  const int d = m->layout.width, H = r->heads;
  float *pn = malloc((size_t)d * r->merged * sizeof(float));
  float *pe = malloc((size_t)d * r->hw * sizeof(float));
  if (!pn || !pe) {
    free(pn);
    free(pe);
    return 0;
  }
  fold_before(m, &r->bn_node, &r->proj_node, pn, w->pn_b);
  if (!w->last) fold_before(m, &r->bn_edge, &r->proj_edge, pe, w->pe_b);
  for (int h = 0; h < H; ++h)
    for (int j = 0; j < d; ++j) {
      const size_t orig = (size_t)h * d + j, pad = (size_t)h * dp + j; /* feature (h, j) */
      for (int q = 0; q < 3; ++q) {
        const size_t src[3] = {r->w_ni, r->w_src, r->w_nj};
        memcpy(w->w_node + ((size_t)q * w->hwp + pad) * d, m->params + src[q] + orig * d,
               (size_t)d * sizeof(float));
      }
      for (int k = 0; k < d; ++k)
        w->wfij_t[((size_t)h * dp + k) * dp + j] = m->params[r->w_fij + orig * d + k];
      w->attn[pad] = m->params[r->attn + orig];
      w->bias[pad] = m->params[r->bias + orig];
      for (int o = 0; o < d; ++o) {
        if (!w->last) {
          w->pn_w[(size_t)o * w->hwp + pad] = pn[(size_t)o * r->merged + orig];
          w->pe_t[pad * dp + o] = pe[(size_t)o * r->hw + orig];
        } else if (h == 0) {
          w->pn_w[(size_t)o * d + j] = pn[(size_t)o * d + j];
        }
      }
    }
  free(pn);
  free(pe);
  return 1;
}

void symgnn_eval_unfold(struct symgnn_eval *ev) {
  free(ev->node_table);
  free(ev->enc0_w);
  free(ev->enc0_b);
  free(ev->enc1_w);
  free(ev->enc1_b);
  for (int l = 0; l < SYMGNN_MAX_LAYERS; ++l) {
    symgnn_eval_layer_w *w = &ev->layer[l];
    free(w->w_node);
    free(w->wfij_t);
    free(w->attn);
    free(w->bias);
    free(w->pn_w);
    free(w->pn_b);
    free(w->pe_t);
    free(w->pe_b);
    free(ev->dec_w[l]);
    free(ev->dec_b[l]);
  }
  free(ev->out_w);
  symgnn_haar_table_free(&ev->haar_table);
  free(ev->direct_r);
  free(ev->direct_g);
}

symgnn_status symgnn_eval_fold(struct symgnn_eval *ev, const symgnn_model *m, symgnn_error *err) {
  const symgnn_layout *L = &m->layout;
  const size_t d = (size_t)L->width;
  ev->width = L->width;
  ev->nlayers = L->nlayers;
  ev->nelements = m->arch.nelements;
  ev->haar = m->symm == SYMGNN_SYMM_HAAR;
  ev->ntransforms = ev->haar ? 1 : m->ntransforms;
  ev->depth = L->decoder_depth;
  ev->label_mean = m->label_mean;
  ev->label_std = m->label_std;
  int ok = (ev->node_table = malloc(ev->nelements * d * sizeof(float))) &&
           (ev->enc0_w = malloc((size_t)ev->ntransforms * 3 * d * sizeof(float))) &&
           (ev->enc0_b = malloc(d * sizeof(float))) &&
           (ev->enc1_w = malloc(d * d * sizeof(float))) &&
           (ev->enc1_b = malloc(d * sizeof(float))) && (ev->out_w = malloc(d * sizeof(float)));
  ev->dp = (L->width + SYMGNN_LANES - 1) / SYMGNN_LANES * SYMGNN_LANES;
  const size_t dp = (size_t)ev->dp;
  for (int l = 0; ok && l < ev->nlayers; ++l) { /* calloc: padded entries stay zero */
    symgnn_eval_layer_w *w = &ev->layer[l];
    const symgnn_layer_ref *r = &L->layer[l];
    w->heads = r->heads;
    w->hw = r->hw;
    w->hwp = r->heads * ev->dp;
    w->last = (l == ev->nlayers - 1);
    const size_t hwp = (size_t)w->hwp;
    ok = (w->w_node = calloc(3 * hwp * d, sizeof(float))) &&
         (w->wfij_t = calloc(hwp * dp, sizeof(float))) && (w->attn = calloc(hwp, sizeof(float))) &&
         (w->bias = calloc(hwp, sizeof(float))) &&
         (w->pn_w = calloc(d * (w->last ? d : hwp), sizeof(float))) &&
         (w->pn_b = calloc(d, sizeof(float))) && (w->pe_t = calloc(hwp * dp, sizeof(float))) &&
         (w->pe_b = calloc(dp, sizeof(float)));
  }
  for (int k = 0; ok && k < ev->depth; ++k)
    ok = (ev->dec_w[k] = malloc(d * d * sizeof(float))) &&
         (ev->dec_b[k] = malloc(d * sizeof(float)));
  if (!ok) return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for the eval weights");
  fold_node_encoder(ev, m);
  fold_edge_encoder(ev, m);
  for (int l = 0; ok && l < ev->nlayers; ++l) ok = fold_layer(&ev->layer[l], m, l, ev->dp);
  if (!ok) return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for the eval weights");
  for (int k = 0; k < ev->depth; ++k) {
    fold_after(m, &L->dec[k].lin, &L->dec[k].bn, ev->dec_w[k], ev->dec_b[k]);
    ev->dec_slope[k] = m->params[L->dec[k].prelu];
  }
  for (size_t i = 0; i < d; ++i) ev->out_w[i] = m->params[L->out.w + i];
  ev->out_b = m->params[L->out.b];
  ev->cutoff = m->arch.cutoff;
  return SYMGNN_OK;
}
