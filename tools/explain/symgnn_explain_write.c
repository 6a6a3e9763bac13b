/* The per-target files of symgnn-explain: every edge with its mask, the top-k
 * edges, and the subgraph's nodes, each built in memory and written
 * atomically (unique temporary, then rename). */
#include "symgnn_explain.h"
#include "symgnn_explain_rank.h"
#include "symgnn_ext.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growable text buffer. */
typedef struct {
  char *p;
  size_t len, cap;
  int failed;
} text;

/* Append printf-formatted text; sets failed when out of memory. */
static void put(text *t, const char *fmt, ...) {
  if (t->failed) return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
      t->failed = 1;
      return;
    }
    if (t->p && t->len + (size_t)n < t->cap) {
      t->len += (size_t)n;
      return;
    }
    const size_t cap = 2 * (t->cap + (size_t)n) + 4096;
    char *q = realloc(t->p, cap);
    if (!q) {
      t->failed = 1;
      return;
    }
    t->p = q;
    t->cap = cap;
  }
}

/* Destination node of every edge. */
static int *edge_dst(const symgnn_subgraph *sg) {
  int *dst = malloc((size_t)sg->ne * sizeof(int) + 1);
  if (!dst) return NULL;
  for (int i = 0; i < sg->n; ++i)
    for (int64_t e = sg->off[i]; e < sg->off[i + 1]; ++e) dst[e] = i;
  return dst;
}

/* One edge row: ids, length, distance of the source from the target, hop
 * (the larger of the endpoints' hops) and mask. */
static void edge_row(text *t, const symgnn_subgraph *sg, const int64_t *ids, const int *dst,
                     int64_t e, const float *mask) {
  const int s = sg->src[e], d = dst[e];
  const double *x = sg->disp + 3 * e, *ps = sg->pos + 3 * s;
  const int hop = sg->hop[s] > sg->hop[d] ? sg->hop[s] : sg->hop[d];
  put(t, "%lld,%lld,%.6f,%.6f,%d,%.8g\n", (long long)ids[sg->node[s]], (long long)ids[sg->node[d]],
      sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]),
      sqrt(ps[0] * ps[0] + ps[1] * ps[1] + ps[2] * ps[2]), hop, (double)mask[e]);
}

/* Write a finished buffer to dir/atom<id>_<kind>.csv. */
static symgnn_status flush(text *t, const char *dir, long long id, const char *kind,
                           symgnn_error *err) {
  if (t->failed) return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for a CSV file");
  char path[4096];
  if (snprintf(path, sizeof path, "%s/atom%lld_%s.csv", dir, id, kind) >= (int)sizeof path)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "output path under '%s' is too long", dir);
  const symgnn_status st = symgnn_file_write_atomic(path, t->p, t->len, err);
  t->len = 0;
  return st;
}

symgnn_status symgnn_explain_write(const char *dir, const symgnn_subgraph *sg, const int64_t *ids,
                                   const float *mask, int topk, symgnn_error *err) {
  static const char header[] = "src_id,dst_id,length,dist_to_target,hop,mask\n";
  const long long id = (long long)ids[sg->node[0]];
  int *dst = edge_dst(sg);
  symgnn_ranked_edge *r = malloc((size_t)sg->ne * sizeof(symgnn_ranked_edge) + 1);
  text t = {NULL, 0, 0, 0};
  if (!dst || !r) {
    free(dst);
    free(r);
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for the files of atom %lld", id);
  }
  put(&t, "%s", header);
  for (int64_t e = 0; e < sg->ne; ++e) {
    edge_row(&t, sg, ids, dst, e, mask);
    r[e].mask = mask[e];
    r[e].e = e;
  }
  symgnn_status st = flush(&t, dir, id, "edges", err);
  symgnn_rank_edges(r, (size_t)sg->ne);
  put(&t, "rank,%s", header);
  for (int64_t k = 0; k < sg->ne && k < topk; ++k) {
    put(&t, "%lld,", (long long)k + 1);
    edge_row(&t, sg, ids, dst, r[k].e, mask);
  }
  if (st == SYMGNN_OK) st = flush(&t, dir, id, "top", err);
  put(&t, "id,hop,x,y,z\n");
  for (int i = 0; i < sg->n; ++i)
    put(&t, "%lld,%d,%.6f,%.6f,%.6f\n", (long long)ids[sg->node[i]], sg->hop[i], sg->pos[3 * i],
        sg->pos[3 * i + 1], sg->pos[3 * i + 2]);
  if (st == SYMGNN_OK) st = flush(&t, dir, id, "nodes", err);
  free(t.p);
  free(dst);
  free(r);
  return st;
}
