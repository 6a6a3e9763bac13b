#include "symgnn_layout.h"
#include "symgnn_error.h"
#include "symgnn_model_format.h"

#include <string.h>

/* Running offsets while laying out the flat arrays. */
typedef struct {
  size_t p, s;
} cursor;

static size_t take(size_t *at, size_t n) {
  const size_t off = *at;
  *at += n;
  return off;
}

static symgnn_lin_ref lin(cursor *c, int out, int in) {
  symgnn_lin_ref r;
  r.out = out;
  r.in = in;
  r.w = take(&c->p, (size_t)out * (size_t)in);
  r.b = take(&c->p, (size_t)out);
  return r;
}

/* gamma and beta go to the parameters now; running stats are placed later in
 * BN order, so the statistics block of the file is one contiguous section. */
static symgnn_bn_ref bn(cursor *c, int width) {
  symgnn_bn_ref r;
  r.width = width;
  r.gamma = take(&c->p, (size_t)width);
  r.beta = take(&c->p, (size_t)width);
  r.mean = take(&c->s, (size_t)width);
  r.var = take(&c->s, (size_t)width);
  return r;
}

/* Lay out every tensor in the fixed file order documented in doc/model-format.md. */
symgnn_status symgnn_layout_build(const symgnn_arch *arch, symgnn_layout *lay, symgnn_error *err) {
  if (arch->nelements < 1 || arch->nelements > SYMGNN_MAX_ELEMENTS)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "number of elements %d outside 1..%d",
                            arch->nelements, SYMGNN_MAX_ELEMENTS);
  if (arch->width < 1 || arch->width > SYMGNN_MODEL_MAX_WIDTH)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "embedding width %d outside 1..%d", arch->width,
                            SYMGNN_MODEL_MAX_WIDTH);
  if (arch->nlayers < 1 || arch->nlayers > SYMGNN_MAX_LAYERS)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "number of layers %d outside 1..%d", arch->nlayers,
                            SYMGNN_MAX_LAYERS);
  if (arch->decoder_depth < 0 || arch->decoder_depth > SYMGNN_MAX_LAYERS)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "decoder depth %d outside 0..%d",
                            arch->decoder_depth, SYMGNN_MAX_LAYERS);
  if (!(arch->cutoff > 0.0) || !(arch->cutoff < 1.0e3))
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "cutoff %g outside (0, 1000) Angstrom",
                            arch->cutoff);
  for (int l = 0; l < arch->nlayers; ++l)
    if (arch->heads[l] < 1 || arch->heads[l] > 64)
      return symgnn_set_error(err, SYMGNN_ERR_ARG, "layer %d has %d heads, outside 1..64", l + 1,
                              arch->heads[l]);
  memset(lay, 0, sizeof *lay);
  const int d = arch->width;
  cursor c = {0, 0};
  lay->width = d;
  lay->emb = take(&c.p, (size_t)arch->nelements * (size_t)d);
  lay->node_bn0 = bn(&c, d);
  lay->node_lin = lin(&c, d, d);
  lay->node_bn1 = bn(&c, d);
  lay->edge_lin0 = lin(&c, d, 3);
  lay->edge_bn0 = bn(&c, d);
  lay->edge_lin1 = lin(&c, d, d);
  lay->edge_bn1 = bn(&c, d);
  lay->nlayers = arch->nlayers;
  for (int l = 0; l < arch->nlayers; ++l) {
    symgnn_layer_ref *L = &lay->layer[l];
    const size_t hw = (size_t)d * (size_t)arch->heads[l];
    L->heads = arch->heads[l];
    L->hw = (int)hw;
    L->merged = (l == arch->nlayers - 1) ? d : (int)hw;
    L->w_ni = take(&c.p, hw * (size_t)d);
    L->w_nj = take(&c.p, hw * (size_t)d);
    L->w_fij = take(&c.p, hw * (size_t)d);
    L->w_src = take(&c.p, hw * (size_t)d);
    L->attn = take(&c.p, hw);
    L->bias = take(&c.p, hw);
    L->bn_node = bn(&c, L->merged);
    L->bn_edge = bn(&c, L->merged);
    L->proj_node = lin(&c, d, L->merged);
    L->proj_edge = lin(&c, d, L->merged);
  }
  lay->decoder_depth = arch->decoder_depth;
  for (int k = 0; k < arch->decoder_depth; ++k) {
    lay->dec[k].lin = lin(&c, d, d);
    lay->dec[k].bn = bn(&c, d);
    lay->dec[k].prelu = take(&c.p, 1);
  }
  lay->out = lin(&c, 1, d);
  lay->nparams = c.p;
  lay->nstats = c.s;
  return SYMGNN_OK;
}
