/* The aggregate analysis of symgnn-explain's output (symgnn-explain-stats):
 * one target's files read back, its bond graph, and the primitive rings
 * through an edge. */
#ifndef SYMGNN_EXPLAIN_STATS_H
#define SYMGNN_EXPLAIN_STATS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One target's explanation as written by symgnn_explain_write. */
typedef struct {
  int n;          /* subgraph nodes; node 0 is the target */
  int64_t ne;     /* edges */
  int64_t *id;    /* [n] atom ids */
  int *hop;       /* [n] hops from the target */
  double *pos;    /* [n][3] positions relative to the target */
  int *src, *dst; /* [ne] node indices */
  double *len;    /* [ne] edge lengths */
  int *ehop;      /* [ne] edge hops */
  float *mask;    /* [ne] mask values */
} symgnn_explanation;

/* Read DIR/atom<ID>_nodes.csv and DIR/atom<ID>_edges.csv; 0, or -1 with a
 * message naming the file, line and problem. */
int symgnn_explanation_read(const char *dir, long long id, symgnn_explanation *x, char *msg,
                            size_t msglen);
void symgnn_explanation_free(symgnn_explanation *x);

/* Undirected bond graph: pairs of distinct nodes joined by an edge shorter
 * than a bond length, as adjacency lists. */
typedef struct {
  int n;
  int64_t *off; /* [n + 1] */
  int *nbr;     /* neighbours */
} symgnn_bonds;

int symgnn_bonds_build(const symgnn_explanation *x, double rbond, symgnn_bonds *b);
void symgnn_bonds_free(symgnn_bonds *b);

/* Scratch of ring searches on a bond graph of n nodes. */
typedef struct {
  int *dist, *queue;
  double *count;
} symgnn_ring_work;

int symgnn_ring_work_alloc(symgnn_ring_work *w, int n);
void symgnn_ring_work_free(symgnn_ring_work *w);

/* The primitive (shortest) rings through bond u-v: *size = 1 + the shortest
 * path from u to v that avoids the bond itself (0 when u-v is no bond or no
 * such ring has at most maxsize members), *count = the number of such
 * shortest paths (rings of that size through the bond). */
void symgnn_rings_through(const symgnn_bonds *b, int u, int v, int maxsize, symgnn_ring_work *w,
                          int *size, double *count);

#ifdef __cplusplus
}
#endif
#endif
