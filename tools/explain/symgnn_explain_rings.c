/* Bond graphs of explained subgraphs and the primitive rings through a
 * bond: a breadth-first search from one end that may not use the bond,
 * counting shortest paths to the other end. */
#include "symgnn_explain_stats.h"

#include <stdlib.h>
#include <string.h>

void symgnn_bonds_free(symgnn_bonds *b) {
  free(b->off);
  free(b->nbr);
  memset(b, 0, sizeof *b);
}

/* 1 when edge e joins distinct nodes closer than rbond. */
static int is_bond(const symgnn_explanation *x, int64_t e, double rbond) {
  return x->src[e] != x->dst[e] && x->len[e] < rbond;
}

int symgnn_bonds_build(const symgnn_explanation *x, double rbond, symgnn_bonds *b) {
  memset(b, 0, sizeof *b);
  b->n = x->n;
  b->off = calloc((size_t)x->n + 1, sizeof(int64_t));
  if (!b->off) return -1;
  /* the edges hold every pair in both directions: each direction adds the
   * source to the destination's list, so every bond is listed at both ends */
  for (int64_t e = 0; e < x->ne; ++e)
    if (is_bond(x, e, rbond)) ++b->off[x->dst[e] + 1];
  for (int i = 0; i < x->n; ++i) b->off[i + 1] += b->off[i];
  b->nbr = malloc((size_t)b->off[x->n] * sizeof(int) + 1);
  int64_t *fill = malloc((size_t)x->n * sizeof(int64_t) + 1);
  if (!b->nbr || !fill) {
    free(fill);
    symgnn_bonds_free(b);
    return -1;
  }
  memcpy(fill, b->off, (size_t)x->n * sizeof(int64_t));
  for (int64_t e = 0; e < x->ne; ++e)
    if (is_bond(x, e, rbond)) b->nbr[fill[x->dst[e]]++] = x->src[e];
  free(fill);
  return 0;
}

int symgnn_ring_work_alloc(symgnn_ring_work *w, int n) {
  w->dist = malloc((size_t)n * sizeof(int) + 1);
  w->queue = malloc((size_t)n * sizeof(int) + 1);
  w->count = malloc((size_t)n * sizeof(double) + 1);
  if (!w->dist || !w->queue || !w->count) {
    symgnn_ring_work_free(w);
    return -1;
  }
  for (int i = 0; i < n; ++i) w->dist[i] = -1;
  return 0;
}

void symgnn_ring_work_free(symgnn_ring_work *w) {
  free(w->dist);
  free(w->queue);
  free(w->count);
  memset(w, 0, sizeof *w);
}

/* 1 when v is a neighbour of u. */
static int bonded(const symgnn_bonds *b, int u, int v) {
  for (int64_t k = b->off[u]; k < b->off[u + 1]; ++k)
    if (b->nbr[k] == v) return 1;
  return 0;
}

void symgnn_rings_through(const symgnn_bonds *b, int u, int v, int maxsize, symgnn_ring_work *w,
                          int *size, double *count) {
  *size = 0;
  *count = 0.0;
  if (u == v || !bonded(b, u, v)) return;
  int head = 0, tail = 0;
  w->queue[tail++] = u;
  w->dist[u] = 0;
  w->count[u] = 1.0;
  while (head < tail) {
    const int p = w->queue[head++];
    if (w->dist[v] >= 0 && w->dist[p] >= w->dist[v]) break; /* v's level is complete */
    if (w->dist[p] + 2 > maxsize) break;                    /* rings would be too large */
    for (int64_t k = b->off[p]; k < b->off[p + 1]; ++k) {
      const int q = b->nbr[k];
      if (p == u && q == v) continue; /* the bond itself */
      if (w->dist[q] < 0) {
        w->dist[q] = w->dist[p] + 1;
        w->count[q] = w->count[p];
        w->queue[tail++] = q;
      } else if (w->dist[q] == w->dist[p] + 1) {
        w->count[q] += w->count[p];
      }
    }
  }
  if (w->dist[v] > 0) {
    *size = w->dist[v] + 1;
    *count = w->count[v];
  }
  for (int i = 0; i < tail; ++i) w->dist[w->queue[i]] = -1; /* reset what was touched */
}
