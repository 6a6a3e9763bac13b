/* Ranking of explained edges by their mask, shared by the explainer's output
 * and its analysis so that both call the same edges "top". */
#ifndef SYMGNN_EXPLAIN_RANK_H
#define SYMGNN_EXPLAIN_RANK_H

#include <stddef.h>
#include <stdint.h>

/* An edge (its index e) with its mask value. */
typedef struct {
  float mask;
  int64_t e;
} symgnn_ranked_edge;

/* Sort n edges by decreasing mask, ties by increasing edge index, so the
 * order is the same on every run and thread count. */
void symgnn_rank_edges(symgnn_ranked_edge *r, size_t n);

#endif
