/* Reading one target's explainer files back (nodes and edges CSV), with the
 * header checked and every field parsed strictly. */
#include "symgnn_explain_stats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void symgnn_explanation_free(symgnn_explanation *x) {
  free(x->id);
  free(x->hop);
  free(x->pos);
  free(x->src);
  free(x->dst);
  free(x->len);
  free(x->ehop);
  free(x->mask);
  memset(x, 0, sizeof *x);
}

/* Split a CSV line in place into at most max fields; the field count. */
static int split(char *line, char **f, int max) {
  int n = 0;
  line[strcspn(line, "\r\n")] = '\0';
  for (char *p = line; n < max;) {
    f[n++] = p;
    char *c = strchr(p, ',');
    if (!c) break;
    *c = '\0';
    p = c + 1;
  }
  return n;
}

/* Whole-field number parsers; 0 on success. */
static int to_ll(const char *s, long long *v) {
  char *end;
  errno = 0;
  *v = strtoll(s, &end, 10);
  return (*s == '\0' || *end != '\0' || errno) ? -1 : 0;
}

static int to_d(const char *s, double *v) {
  char *end;
  errno = 0;
  *v = strtod(s, &end);
  return (*s == '\0' || *end != '\0' || errno) ? -1 : 0;
}

/* Open DIR/atom<ID>_<kind>.csv, check its header and count its rows. */
static FILE *open_csv(const char *dir, long long id, const char *kind, const char *header,
                      char *path, size_t pathlen, int64_t *rows, char *msg, size_t msglen) {
  snprintf(path, pathlen, "%s/atom%lld_%s.csv", dir, id, kind);
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(msg, msglen, "cannot open '%s': %s", path, strerror(errno));
    return NULL;
  }
  char line[512];
  if (!fgets(line, sizeof line, f) || strncmp(line, header, strlen(header)) != 0) {
    snprintf(msg, msglen, "'%s' line 1: header is not '%s'", path, header);
    fclose(f);
    return NULL;
  }
  *rows = 0;
  while (fgets(line, sizeof line, f)) ++*rows;
  rewind(f);
  if (!fgets(line, sizeof line, f)) *rows = 0;
  return f;
}

/* Index of atom id among the sorted (id, index) pairs, or -1. */
static int find_id(const long long (*sorted)[2], int n, long long id) {
  int lo = 0, hi = n - 1;
  while (lo <= hi) {
    const int mid = (lo + hi) / 2;
    if (sorted[mid][0] == id) return (int)sorted[mid][1];
    if (sorted[mid][0] < id)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return -1;
}

static int by_id(const void *a, const void *b) {
  const long long x = ((const long long *)a)[0], y = ((const long long *)b)[0];
  return (x > y) - (x < y);
}

/* The nodes file. */
static int read_nodes(const char *dir, long long id, symgnn_explanation *x, char *msg,
                      size_t msglen) {
  char path[4096], line[512], *f[8];
  int64_t rows;
  FILE *fp = open_csv(dir, id, "nodes", "id,hop,x,y,z", path, sizeof path, &rows, msg, msglen);
  if (!fp) return -1;
  x->n = (int)rows;
  x->id = malloc((size_t)rows * sizeof(int64_t) + 1);
  x->hop = malloc((size_t)rows * sizeof(int) + 1);
  x->pos = malloc(3 * (size_t)rows * sizeof(double) + 1);
  int rc = (!x->id || !x->hop || !x->pos) ? -1 : 0;
  if (rc) snprintf(msg, msglen, "out of memory for '%s'", path);
  for (int i = 0; rc == 0 && i < x->n && fgets(line, sizeof line, fp); ++i) {
    long long v = 0, h = 0;
    if (split(line, f, 8) != 5 || to_ll(f[0], &v) || to_ll(f[1], &h) ||
        to_d(f[2], x->pos + 3 * i) || to_d(f[3], x->pos + 3 * i + 1) ||
        to_d(f[4], x->pos + 3 * i + 2)) {
      snprintf(msg, msglen, "'%s' line %d: expected id,hop,x,y,z", path, i + 2);
      rc = -1;
    }
    x->id[i] = v;
    x->hop[i] = (int)h;
  }
  fclose(fp);
  return rc;
}

/* The edges file, ids mapped to node indices. */
static int read_edges(const char *dir, long long id, symgnn_explanation *x,
                      const long long (*sorted)[2], char *msg, size_t msglen) {
  char path[4096], line[512], *f[8];
  int64_t rows;
  FILE *fp = open_csv(dir, id, "edges", "src_id,dst_id,length,dist_to_target,hop,mask", path,
                      sizeof path, &rows, msg, msglen);
  if (!fp) return -1;
  x->ne = rows;
  x->src = malloc((size_t)rows * sizeof(int) + 1);
  x->dst = malloc((size_t)rows * sizeof(int) + 1);
  x->len = malloc((size_t)rows * sizeof(double) + 1);
  x->ehop = malloc((size_t)rows * sizeof(int) + 1);
  x->mask = malloc((size_t)rows * sizeof(float) + 1);
  int rc = (!x->src || !x->dst || !x->len || !x->ehop || !x->mask) ? -1 : 0;
  if (rc) snprintf(msg, msglen, "out of memory for '%s'", path);
  for (int64_t e = 0; rc == 0 && e < x->ne && fgets(line, sizeof line, fp); ++e) {
    long long s, d, h;
    double dist, m;
    if (split(line, f, 8) != 6 || to_ll(f[0], &s) || to_ll(f[1], &d) || to_d(f[2], x->len + e) ||
        to_d(f[3], &dist) || to_ll(f[4], &h) || to_d(f[5], &m)) {
      snprintf(msg, msglen, "'%s' line %lld: expected src_id,dst_id,length,dist_to_target,hop,mask",
               path, (long long)e + 2);
      rc = -1;
      break;
    }
    x->src[e] = find_id(sorted, x->n, s);
    x->dst[e] = find_id(sorted, x->n, d);
    if (x->src[e] < 0 || x->dst[e] < 0) {
      snprintf(msg, msglen, "'%s' line %lld: atom %lld is not in the nodes file", path,
               (long long)e + 2, x->src[e] < 0 ? s : d);
      rc = -1;
    }
    x->ehop[e] = (int)h;
    x->mask[e] = (float)m;
  }
  fclose(fp);
  return rc;
}

int symgnn_explanation_read(const char *dir, long long id, symgnn_explanation *x, char *msg,
                            size_t msglen) {
  memset(x, 0, sizeof *x);
  if (read_nodes(dir, id, x, msg, msglen)) {
    symgnn_explanation_free(x);
    return -1;
  }
  long long(*sorted)[2] = malloc((size_t)x->n * sizeof *sorted + 1);
  if (!sorted) {
    snprintf(msg, msglen, "out of memory for %d atom ids", x->n);
    symgnn_explanation_free(x);
    return -1;
  }
  for (int i = 0; i < x->n; ++i) {
    sorted[i][0] = x->id[i];
    sorted[i][1] = i;
  }
  qsort(sorted, (size_t)x->n, sizeof *sorted, by_id);
  const int rc = read_edges(dir, id, x, (const long long(*)[2])sorted, msg, msglen);
  free(sorted);
  if (rc) symgnn_explanation_free(x);
  return rc;
}
