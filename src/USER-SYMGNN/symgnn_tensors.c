#include "symgnn_tensors.h"

#include <stdio.h>

/* Append helper state: the list being filled and its length. */
typedef struct {
  symgnn_tensor *t;
  int n;
} tensor_list;

/* Append one tensor named prefix + suffix. */
static void add(tensor_list *l, const char *prefix, const char *suffix, size_t offset, int rows,
                int cols) {
  symgnn_tensor *t = &l->t[l->n++];
  snprintf(t->name, sizeof t->name, "%s%s", prefix, suffix);
  t->offset = offset;
  t->ndim = cols > 0 ? 2 : 1;
  t->shape[0] = rows;
  t->shape[1] = cols > 0 ? cols : 1;
}

static void add_linear(tensor_list *l, const char *prefix, const symgnn_lin_ref *r) {
  add(l, prefix, ".weight", r->w, r->out, r->in);
  add(l, prefix, ".bias", r->b, r->out, 0);
}

static void add_bn(tensor_list *l, const char *prefix, const symgnn_bn_ref *r) {
  add(l, prefix, ".gamma", r->gamma, r->width, 0);
  add(l, prefix, ".beta", r->beta, r->width, 0);
}

static void add_bn_stats(tensor_list *l, const char *prefix, const symgnn_bn_ref *r) {
  add(l, prefix, ".running_mean", r->mean, r->width, 0);
  add(l, prefix, ".running_var", r->var, r->width, 0);
}

/* The order below is the file order; it must follow symgnn_layout_build. */
int symgnn_param_tensors(const symgnn_layout *lay, symgnn_tensor out[SYMGNN_MAX_PARAM_TENSORS]) {
  tensor_list l = {out, 0};
  const int d = lay->width;
  add(&l, "node_encoder.embedding", "", lay->emb, (int)((lay->node_bn0.gamma - lay->emb) / d), d);
  add_bn(&l, "node_encoder.bn0", &lay->node_bn0);
  add_linear(&l, "node_encoder.linear", &lay->node_lin);
  add_bn(&l, "node_encoder.bn1", &lay->node_bn1);
  add_linear(&l, "edge_encoder.linear0", &lay->edge_lin0);
  add_bn(&l, "edge_encoder.bn0", &lay->edge_bn0);
  add_linear(&l, "edge_encoder.linear1", &lay->edge_lin1);
  add_bn(&l, "edge_encoder.bn1", &lay->edge_bn1);
  char p[32];
  for (int i = 0; i < lay->nlayers; ++i) {
    const symgnn_layer_ref *r = &lay->layer[i];
    snprintf(p, sizeof p, "layer%d", i + 1);
    add(&l, p, ".W_ni", r->w_ni, r->hw, d);
    add(&l, p, ".W_nj", r->w_nj, r->hw, d);
    add(&l, p, ".W_fij", r->w_fij, r->hw, d);
    add(&l, p, ".W_src", r->w_src, r->hw, d);
    add(&l, p, ".attn", r->attn, r->heads, d);
    add(&l, p, ".bias", r->bias, r->hw, 0);
    snprintf(p, sizeof p, "layer%d.bn_node", i + 1);
    add_bn(&l, p, &r->bn_node);
    snprintf(p, sizeof p, "layer%d.bn_edge", i + 1);
    add_bn(&l, p, &r->bn_edge);
    snprintf(p, sizeof p, "layer%d.proj_node", i + 1);
    add_linear(&l, p, &r->proj_node);
    snprintf(p, sizeof p, "layer%d.proj_edge", i + 1);
    add_linear(&l, p, &r->proj_edge);
  }
  for (int k = 0; k < lay->decoder_depth; ++k) {
    snprintf(p, sizeof p, "decoder%d.linear", k + 1);
    add_linear(&l, p, &lay->dec[k].lin);
    snprintf(p, sizeof p, "decoder%d.bn", k + 1);
    add_bn(&l, p, &lay->dec[k].bn);
    snprintf(p, sizeof p, "decoder%d", k + 1);
    add(&l, p, ".prelu", lay->dec[k].prelu, 1, 0);
  }
  add_linear(&l, "output", &lay->out);
  return l.n;
}

int symgnn_stat_tensors(const symgnn_layout *lay, symgnn_tensor out[SYMGNN_MAX_STAT_TENSORS]) {
  tensor_list l = {out, 0};
  add_bn_stats(&l, "node_encoder.bn0", &lay->node_bn0);
  add_bn_stats(&l, "node_encoder.bn1", &lay->node_bn1);
  add_bn_stats(&l, "edge_encoder.bn0", &lay->edge_bn0);
  add_bn_stats(&l, "edge_encoder.bn1", &lay->edge_bn1);
  char p[32];
  for (int i = 0; i < lay->nlayers; ++i) {
    snprintf(p, sizeof p, "layer%d.bn_node", i + 1);
    add_bn_stats(&l, p, &lay->layer[i].bn_node);
    snprintf(p, sizeof p, "layer%d.bn_edge", i + 1);
    add_bn_stats(&l, p, &lay->layer[i].bn_edge);
  }
  for (int k = 0; k < lay->decoder_depth; ++k) {
    snprintf(p, sizeof p, "decoder%d.bn", k + 1);
    add_bn_stats(&l, p, &lay->dec[k].bn);
  }
  return l.n;
}

size_t symgnn_tensor_size(const symgnn_tensor *t) {
  return (size_t)t->shape[0] * (size_t)t->shape[1];
}

/* Linear search is fine: at most a few hundred tensors, used only for messages. */
void symgnn_tensor_locate(const symgnn_tensor *list, int n, size_t index, char *buf, size_t size) {
  for (int i = 0; i < n; ++i) {
    const symgnn_tensor *t = &list[i];
    if (index < t->offset || index - t->offset >= symgnn_tensor_size(t)) continue;
    const size_t k = index - t->offset;
    if (t->ndim == 2)
      snprintf(buf, size, "%s[%zu][%zu]", t->name, k / (size_t)t->shape[1],
               k % (size_t)t->shape[1]);
    else
      snprintf(buf, size, "%s[%zu]", t->name, k);
    return;
  }
  snprintf(buf, size, "element %zu", index);
}
