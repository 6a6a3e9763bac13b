/* Ranking of explained edges by their mask (symgnn_explain_rank.h). */
#include "symgnn_explain_rank.h"

#include <stdlib.h>

/* Decreasing mask, ties by increasing edge index. */
static int by_mask(const void *a, const void *b) {
  const symgnn_ranked_edge *x = a, *y = b;
  if (x->mask != y->mask) return x->mask > y->mask ? -1 : 1;
  return (x->e > y->e) - (x->e < y->e);
}

void symgnn_rank_edges(symgnn_ranked_edge *r, size_t n) { qsort(r, n, sizeof *r, by_mask); }
