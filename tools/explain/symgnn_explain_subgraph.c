/* L-hop in-neighbourhood subgraphs: breadth-first search backwards along the
 * edges (source of an edge into a reached node is one hop further), then the
 * induced subgraph, so every node within L-1 hops keeps all its incoming
 * edges and the target's L-layer prediction is the full graph's. */
#include "symgnn_explain.h"
#include "symgnn_ext.h"

#include <stdlib.h>
#include <string.h>

void symgnn_subgraph_free(symgnn_subgraph *sg) {
  if (!sg) return;
  free(sg->node);
  free(sg->hop);
  free(sg->pos);
  free(sg->species);
  free(sg->off);
  free(sg->src);
  free(sg->disp);
  memset(sg, 0, sizeof *sg);
}

symgnn_graph_view symgnn_subgraph_view(const symgnn_subgraph *sg) {
  const symgnn_graph_view v = {sg->n, sg->n, sg->species, sg->off, sg->src, sg->disp};
  return v;
}

/* Breadth-first search from the target; local[i] is node i's subgraph index
 * or -1. Fills node, hop and pos of the first sg->n entries. */
static void search(const symgnn_graph_view *g, int target, int hops, int *local,
                   symgnn_subgraph *sg) {
  sg->n = 1;
  sg->node[0] = target;
  sg->hop[0] = 0;
  memset(sg->pos, 0, 3 * sizeof(double));
  local[target] = 0;
  for (int q = 0; q < sg->n; ++q) {
    if (sg->hop[q] == hops) continue;
    const int t = sg->node[q];
    for (int64_t e = g->offsets[t]; e < g->offsets[t + 1]; ++e) {
      const int s = g->src[e];
      if (local[s] >= 0) continue;
      local[s] = sg->n;
      sg->node[sg->n] = s;
      sg->hop[sg->n] = sg->hop[q] + 1;
      for (int k = 0; k < 3; ++k) sg->pos[3 * sg->n + k] = sg->pos[3 * q + k] - g->disp[3 * e + k];
      ++sg->n;
    }
  }
}

/* Count (fill = 0) or copy (fill = 1) the edges between subgraph nodes. */
static int64_t induced_edges(const symgnn_graph_view *g, const int *local, symgnn_subgraph *sg,
                             int fill) {
  int64_t ne = 0;
  for (int i = 0; i < sg->n; ++i) {
    const int t = sg->node[i];
    if (fill) sg->off[i] = ne;
    for (int64_t e = g->offsets[t]; e < g->offsets[t + 1]; ++e) {
      if (local[g->src[e]] < 0) continue;
      if (fill) {
        sg->src[ne] = local[g->src[e]];
        memcpy(sg->disp + 3 * ne, g->disp + 3 * e, 3 * sizeof(double));
      }
      ++ne;
    }
  }
  if (fill) sg->off[sg->n] = ne;
  return ne;
}

symgnn_status symgnn_subgraph_khop(const symgnn_graph_view *g, int target, int hops,
                                   symgnn_subgraph *out, symgnn_error *err) {
  memset(out, 0, sizeof *out);
  if (g->ntotal != g->nlocal)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "subgraphs need a graph without ghosts");
  if (target < 0 || target >= g->nlocal)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "target node %d outside 0..%d", target,
                            g->nlocal - 1);
  if (hops < 0) return symgnn_set_error(err, SYMGNN_ERR_ARG, "hop count %d is negative", hops);
  const size_t N = (size_t)g->nlocal;
  int *local = malloc(N * sizeof(int));
  out->node = malloc(N * sizeof(int));
  out->hop = malloc(N * sizeof(int));
  out->pos = malloc(3 * N * sizeof(double));
  if (!local || !out->node || !out->hop || !out->pos) {
    free(local);
    symgnn_subgraph_free(out);
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for a subgraph of %zu nodes", N);
  }
  for (size_t i = 0; i < N; ++i) local[i] = -1;
  search(g, target, hops, local, out);
  out->ne = induced_edges(g, local, out, 0);
  out->species = malloc((size_t)out->n * sizeof(int));
  out->off = malloc(((size_t)out->n + 1) * sizeof(int64_t));
  out->src = malloc((size_t)out->ne * sizeof(int));
  out->disp = malloc(3 * (size_t)out->ne * sizeof(double));
  if (!out->species || !out->off || !out->src || !out->disp) {
    free(local);
    symgnn_subgraph_free(out);
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for a subgraph of %zu nodes", N);
  }
  for (int i = 0; i < out->n; ++i) out->species[i] = g->species[out->node[i]];
  induced_edges(g, local, out, 1);
  free(local);
  return SYMGNN_OK;
}
