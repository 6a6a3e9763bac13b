/* Trainer object: creation (small, architecture-sized arrays only), buffers
 * that grow to the largest batch seen and are reused across steps, release. */
#include "symgnn_ext.h"
#include "symgnn_train_impl.h"

#include <stdlib.h>
#include <string.h>

/* Sizes of the kernels' shared double and float work areas (see the layer and
 * encoder kernels for how they are carved). */
static size_t work_doubles(int hwmax, int d) {
  return 16 * (size_t)hwmax + 2 * (size_t)d * hwmax + 32 * (size_t)d + 64;
}
static size_t work_floats(int hwmax, int d) {
  return 2 * (size_t)d * hwmax + 8 * (size_t)hwmax + 32 * (size_t)d + 64;
}

/* Grow a buffer to at least `bytes` (64-byte aligned); old contents are dropped. */
static int tb_reserve(symgnn_tbuf *b, size_t bytes) {
  bytes = (bytes + 63) / 64 * 64;
  if (bytes == 0) bytes = 64;
  if (b->bytes >= bytes) return 1;
  free(b->p);
  b->p = aligned_alloc(64, bytes);
  b->bytes = b->p ? bytes : 0;
  return b->p != NULL;
}

static void tb_free(symgnn_tbuf *b) {
  free(b->p);
  b->p = NULL;
  b->bytes = 0;
}

symgnn_status symgnn_trainer_create(const symgnn_model *model, symgnn_trainer **out,
                                    symgnn_error *err) {
  if (!out) return symgnn_set_error(err, SYMGNN_ERR_ARG, "no output pointer for the trainer");
  *out = NULL;
  if (!model) return symgnn_set_error(err, SYMGNN_ERR_ARG, "no model given to the trainer");
  symgnn_trainer *tr = calloc(1, sizeof *tr);
  if (!tr) return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for the trainer");
  tr->arch = *symgnn_model_arch(model);
  tr->lay = *symgnn_model_layout(model);
  tr->hwmax = tr->lay.width;
  tr->hmax = 1;
  for (int l = 0; l < tr->lay.nlayers; ++l) {
    if (tr->lay.layer[l].hw > tr->hwmax) tr->hwmax = tr->lay.layer[l].hw;
    if (tr->lay.layer[l].heads > tr->hmax) tr->hmax = tr->lay.layer[l].heads;
  }
  const size_t d = (size_t)tr->lay.width;
  tr->gacc = malloc(tr->lay.nparams * sizeof(double));
  if (!tr->gacc || !tb_reserve(&tr->work, work_doubles(tr->hwmax, (int)d) * sizeof(double)) ||
      !tb_reserve(&tr->fwork, work_floats(tr->hwmax, (int)d) * sizeof(float)) ||
      !tb_reserve(&tr->gtmp, 2 * (size_t)tr->hwmax * d * sizeof(float)) ||
      !tb_reserve(&tr->wt, (size_t)tr->hwmax * d * sizeof(float))) {
    symgnn_trainer_free(tr);
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for the trainer");
  }
  *out = tr;
  return SYMGNN_OK;
}

void symgnn_trainer_free(symgnn_trainer *tr) {
  if (!tr) return;
  symgnn_tbuf *node[] = {
      &tr->enc_r, &tr->enc_y, &tr->dec_y, &tr->dec_z, &tr->ab,    &tr->dz,   &tr->nt1,   &tr->nt2,
      &tr->dh,    &tr->pred,  &tr->dg,    &tr->y1,    &tr->et,    &tr->er,   &tr->ed,    &tr->gtmp,
      &tr->blk,   &tr->grp,   &tr->bnst,  &tr->work,  &tr->fwork, &tr->tacc, &tr->tnode, &tr->hgrid,
      &tr->hy1,   &tr->hidx,  &tr->hfrac, &tr->hc,    &tr->hdc,   &tr->hdcw, &tr->hacc,  &tr->wt};
  for (size_t i = 0; i < sizeof node / sizeof node[0]; ++i) tb_free(node[i]);
  for (int l = 0; l <= SYMGNN_MAX_LAYERS; ++l) tb_free(&tr->h[l]);
  for (int l = 0; l < SYMGNN_MAX_LAYERS; ++l) {
    tb_free(&tr->z[l]);
    tb_free(&tr->m[l]);
    tb_free(&tr->hmask[l]);
    tb_free(&tr->g[l]);
    tb_free(&tr->f[l]);
    tb_free(&tr->att[l]);
    tb_free(&tr->gmask[l]);
  }
  free(tr->gacc);
  free(tr);
}

/* Bytes of a keep-bit mask for n elements. */
static size_t mask_bytes(size_t n) { return (n + 63) / 64 * sizeof(uint64_t); }

int symgnn_trainer_reserve(symgnn_trainer *tr, int n, int64_t ne, int ntr, int64_t blkcap,
                           int maxdeg, int nth) {
  const symgnn_layout *L = &tr->lay;
  const size_t d = (size_t)L->width, N = (size_t)n, E = (size_t)ne, hm = (size_t)tr->hwmax;
  const size_t fs = sizeof(float);
  int ok = 1;
  for (int l = 0; l <= L->nlayers; ++l) ok &= tb_reserve(&tr->h[l], N * d * fs);
  for (int l = 0; l < L->nlayers; ++l) {
    const size_t hw = (size_t)L->layer[l].hw;
    ok &= tb_reserve(&tr->z[l], N * hw * fs);
    ok &= tb_reserve(&tr->m[l], N * (size_t)L->layer[l].merged * fs);
    ok &= tb_reserve(&tr->hmask[l], mask_bytes(N * d));
    ok &= tb_reserve(&tr->g[l], E * d * fs);
    ok &= tb_reserve(&tr->f[l], E * hw * fs);
    ok &= tb_reserve(&tr->att[l], E * (size_t)L->layer[l].heads * fs);
    if (l < L->nlayers - 1) ok &= tb_reserve(&tr->gmask[l], mask_bytes(E * d));
  }
  const size_t depth = (size_t)L->decoder_depth;
  ok &= tb_reserve(&tr->enc_r, N * d * fs) && tb_reserve(&tr->enc_y, N * d * fs);
  ok &= tb_reserve(&tr->dec_y, depth * N * d * fs) && tb_reserve(&tr->dec_z, depth * N * d * fs);
  ok &= tb_reserve(&tr->ab, N * 2 * hm * fs) && tb_reserve(&tr->dz, N * hm * fs);
  ok &= tb_reserve(&tr->nt1, N * hm * fs) && tb_reserve(&tr->nt2, N * hm * fs);
  ok &= tb_reserve(&tr->dh, N * d * fs) && tb_reserve(&tr->pred, N * fs);
  ok &= tb_reserve(&tr->dg, E * d * fs) && tb_reserve(&tr->y1, E * d * fs);
  const size_t T = (size_t)nth;
  tr->nth = nth;
  tr->grpsz = 2 * (size_t)maxdeg * (size_t)tr->hmax + 4 * hm;
  ok &= tb_reserve(&tr->et, T * (size_t)blkcap * hm * fs);
  ok &= tb_reserve(&tr->gtmp, T * 2 * hm * d * fs);
  tr->taccsz = 2 * hm + hm * (d + 1);
  ok &= tb_reserve(&tr->tacc, T * tr->taccsz * sizeof(double));
  ok &= tb_reserve(&tr->tnode, (T - 1) * N * 3 * hm * fs);
  ok &=
      tb_reserve(&tr->er, (size_t)blkcap * d * fs) && tb_reserve(&tr->ed, (size_t)blkcap * d * fs);
  ok &= tb_reserve(&tr->blk, (N + 1) * sizeof(int));
  ok &= tb_reserve(&tr->grp, T * tr->grpsz * fs);
  ok &=
      tb_reserve(&tr->bnst, (size_t)symgnn_nslots(L, ntr > 0 ? ntr : 1) * 2 * hm * sizeof(double));
  if (ntr == 0) { /* haar */
    size_t nd, nf, na;
    symgnn_haar_train_sizes(tr->arch.cutoff, L->width, nth, &nd, &nf, &na);
    ok &= tb_reserve(&tr->hgrid, nd * sizeof(double)) && tb_reserve(&tr->hy1, nf * fs);
    ok &= tb_reserve(&tr->hacc, na * sizeof(double));
    int G, Q;
    symgnn_haar_train_grid(tr->arch.cutoff, &G, &Q);
    const size_t np = (size_t)G + 1, hw0 = (size_t)L->layer[0].hw;
    ok &= tb_reserve(&tr->hidx, E * sizeof(int)) && tb_reserve(&tr->hfrac, E * sizeof(double));
    ok &= tb_reserve(&tr->hc, np * hw0 * fs) && tb_reserve(&tr->hdc, T * np * hw0 * sizeof(double));
    ok &= tb_reserve(&tr->hdcw, np * d * sizeof(double));
  }
  return ok;
}
