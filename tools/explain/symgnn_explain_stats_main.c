/* symgnn-explain-stats: aggregate analysis of symgnn-explain's output over
 * all targets of a directory: distances of the atoms on important edges vs
 * all subgraph atoms, hops of important vs all edges, and the primitive
 * rings through important, random, median and least important edges. */
#include "symgnn_explain_rank.h"
#include "symgnn_explain_stats.h"
#include "symgnn_ext.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBIN 50   /* distance bins of 0.5 Angstrom */
#define BIN_W 0.5 /* Angstrom */
#define MAXHOP 8  /* hop histogram length */
#define MAXRING 8 /* ring-size histogram length */
#define NGROUP 4  /* top, random, median, lowest */

static const char usage[] =
    "usage: symgnn-explain-stats DIR [--top K] [--bond R] [--max-ring N] [--seed S]\n"
    "  DIR: output of symgnn-explain (summary.csv and the per-atom files). Important edges are\n"
    "  the top K (10) by mask; bonds are edges shorter than R (3.7 A); rings have at most N (7)\n"
    "  members. Writes DIR/stats_{distance,hop,rings}.dat and prints a summary.\n";
static const char *group_name[NGROUP] = {"important", "random", "median", "least"};

typedef struct {
  const char *dir;
  int topk, maxring;
  double rbond;
  uint64_t seed;
} cli;

/* Totals over all targets. */
typedef struct {
  double dist_imp[NBIN + 1], dist_all[NBIN + 1]; /* last bin: beyond the range */
  double hop_top[MAXHOP + 1], hop_all[MAXHOP + 1];
  double rings[NGROUP], bonds[NGROUP], edges[NGROUP];
  double size[NGROUP][MAXRING + 1];
  double imp_within10, imp_n, imp_sum, all_within10, all_n;
  int targets;
} totals;

static int bad_usage(const char *what, const char *value) {
  fprintf(stderr, "symgnn-explain-stats: error: %s%s\n%s", what, value, usage);
  return 2;
}

static int parse_cli(int argc, char **argv, cli *c) {
  c->dir = NULL;
  c->topk = 10;
  c->maxring = 7;
  c->rbond = 3.7;
  c->seed = 0;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (a[0] != '-') {
      if (c->dir) return bad_usage("unexpected argument ", a);
      c->dir = a;
      continue;
    }
    if (i + 1 >= argc) return bad_usage("missing value of ", a);
    const char *v = argv[++i];
    char *end;
    errno = 0;
    if (!strcmp(a, "--top")) {
      const long n = strtol(v, &end, 10);
      if (*end || errno || n < 1 || n > 1000000) return bad_usage("--top is not a count >= 1: ", v);
      c->topk = (int)n;
    } else if (!strcmp(a, "--max-ring")) {
      const long n = strtol(v, &end, 10);
      if (*end || errno || n < 3 || n > MAXRING) return bad_usage("--max-ring is not in 3..8: ", v);
      c->maxring = (int)n;
    } else if (!strcmp(a, "--bond")) {
      c->rbond = strtod(v, &end);
      if (*end || errno || !(c->rbond > 0.0) || !isfinite(c->rbond))
        return bad_usage("--bond is not a length > 0: ", v);
    } else if (!strcmp(a, "--seed")) {
      const long long n = strtoll(v, &end, 10);
      if (*end || errno || n < 0) return bad_usage("--seed is not an integer >= 0: ", v);
      c->seed = (uint64_t)n;
    } else
      return bad_usage("unknown option ", a);
  }
  if (!c->dir) return bad_usage("DIR is required", "");
  return 0;
}

/* Ids listed in DIR/summary.csv; their count, or -1 with a message. */
static int read_ids(const char *dir, long long **ids) {
  char path[4096], line[512];
  snprintf(path, sizeof path, "%s/summary.csv", dir);
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "symgnn-explain-stats: error: cannot open '%s': %s\n", path, strerror(errno));
    return -1;
  }
  int n = 0, cap = 0, rc = 0;
  *ids = NULL;
  for (int ln = 1; fgets(line, sizeof line, f); ++ln) {
    if (ln == 1) continue; /* header */
    char *end;
    const long long id = strtoll(line, &end, 10);
    if (end == line || *end != ',') {
      fprintf(stderr, "symgnn-explain-stats: error: '%s' line %d: no atom id\n", path, ln);
      rc = -1;
      break;
    }
    if (n == cap) {
      cap = 2 * cap + 64;
      long long *p = realloc(*ids, (size_t)cap * sizeof(long long));
      if (!p) {
        rc = -1;
        break;
      }
      *ids = p;
    }
    (*ids)[n++] = id;
  }
  fclose(f);
  return rc ? -1 : n;
}

static double norm3(const double *p) { return sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]); }

static void add_dist(double *hist, double r) {
  const int b = (int)(r / BIN_W);
  hist[b < NBIN ? b : NBIN] += 1.0;
}

/* Distances: the atoms on the top edges (each once) and all subgraph atoms. */
static void distances(const symgnn_explanation *x, const symgnn_ranked_edge *r, int k, char *seen,
                      totals *t) {
  memset(seen, 0, (size_t)x->n);
  for (int i = 0; i < k; ++i) {
    const int ends[2] = {x->src[r[i].e], x->dst[r[i].e]};
    for (int j = 0; j < 2; ++j) {
      if (seen[ends[j]]) continue;
      seen[ends[j]] = 1;
      const double d = norm3(x->pos + 3 * ends[j]);
      add_dist(t->dist_imp, d);
      t->imp_within10 += d < 10.0;
      t->imp_sum += d;
      t->imp_n += 1.0;
    }
  }
  for (int i = 0; i < x->n; ++i) {
    const double d = norm3(x->pos + 3 * i);
    add_dist(t->dist_all, d);
    t->all_within10 += d < 10.0;
    t->all_n += 1.0;
  }
}

/* The four edge groups' rings. */
static void rings(const cli *c, const symgnn_explanation *x, const symgnn_ranked_edge *r, int k,
                  const symgnn_bonds *b, symgnn_ring_work *w, symgnn_rng *rng, totals *t) {
  for (int g = 0; g < NGROUP; ++g)
    for (int i = 0; i < k; ++i) {
      int64_t e;
      if (g == 0)
        e = r[i].e;
      else if (g == 1)
        e = (int64_t)(symgnn_rng_uniform(rng) * (double)x->ne) % x->ne;
      else if (g == 2)
        e = r[x->ne / 2 - k / 2 + i].e;
      else
        e = r[x->ne - 1 - i].e;
      int size;
      double count;
      symgnn_rings_through(b, x->src[e], x->dst[e], c->maxring, w, &size, &count);
      t->edges[g] += 1.0;
      t->bonds[g] += x->src[e] != x->dst[e] && x->len[e] < c->rbond;
      t->rings[g] += count;
      t->size[g][size] += 1.0;
    }
}

/* One target's contribution to the totals; 0, or -1 after a message. */
static int analyse(const cli *c, long long id, symgnn_rng *rng, totals *t) {
  symgnn_explanation x;
  char msg[4400];
  if (symgnn_explanation_read(c->dir, id, &x, msg, sizeof msg)) {
    fprintf(stderr, "symgnn-explain-stats: error: %s\n", msg);
    return -1;
  }
  const int k = x.ne < 2 * c->topk ? (int)(x.ne / 2) : c->topk;
  symgnn_ranked_edge *r = malloc((size_t)x.ne * sizeof *r + 1);
  char *seen = malloc((size_t)x.n + 1);
  symgnn_bonds b;
  symgnn_ring_work w;
  int rc = (!r || !seen || symgnn_bonds_build(&x, c->rbond, &b)) ? -1 : 0;
  if (rc == 0 && symgnn_ring_work_alloc(&w, x.n)) {
    symgnn_bonds_free(&b);
    rc = -1;
  }
  if (rc == 0) {
    for (int64_t e = 0; e < x.ne; ++e) {
      r[e].mask = x.mask[e];
      r[e].e = e;
      t->hop_all[x.ehop[e] < MAXHOP ? x.ehop[e] : MAXHOP] += 1.0;
    }
    symgnn_rank_edges(r, (size_t)x.ne);
    for (int i = 0; i < k; ++i)
      t->hop_top[x.ehop[r[i].e] < MAXHOP ? x.ehop[r[i].e] : MAXHOP] += 1.0;
    distances(&x, r, k, seen, t);
    rings(c, &x, r, k, &b, &w, rng, t);
    symgnn_ring_work_free(&w);
    symgnn_bonds_free(&b);
    ++t->targets;
  } else
    fprintf(stderr, "symgnn-explain-stats: error: out of memory for atom %lld\n", id);
  free(r);
  free(seen);
  symgnn_explanation_free(&x);
  return rc;
}

/* Append printf-formatted text to a fixed buffer (output beyond it is cut). */
static void put(char *buf, size_t cap, size_t *len, const char *fmt, ...) {
  if (*len >= cap) return;
  va_list ap;
  va_start(ap, fmt);
  const int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
  va_end(ap);
  if (n > 0) *len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
}

/* Write text to DIR/<name> atomically; 0 or -1 after a message. */
static int save(const char *dir, const char *name, const char *buf, size_t len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  symgnn_error err;
  if (symgnn_file_write_atomic(path, buf, len, &err) != SYMGNN_OK) {
    fprintf(stderr, "symgnn-explain-stats: error: %s\n", err.message);
    return -1;
  }
  return 0;
}

static double sum(const double *v, int n) {
  double s = 0.0;
  for (int i = 0; i < n; ++i) s += v[i];
  return s;
}

/* The three data files (fractions, gnuplot columns) and the printed summary. */
static int report(const cli *c, const totals *t) {
  static char buf[16384];
  size_t len = 0;
  const double ni = sum(t->dist_imp, NBIN + 1), na = sum(t->dist_all, NBIN + 1);
  put(buf, sizeof buf, &len, "# r_lo r_hi important_atoms all_atoms (fractions; %d targets)\n",
      t->targets);
  for (int b = 0; b < NBIN; ++b)
    put(buf, sizeof buf, &len, "%.2f %.2f %.6f %.6f\n", b * BIN_W, (b + 1) * BIN_W,
        t->dist_imp[b] / ni, t->dist_all[b] / na);
  int rc = save(c->dir, "stats_distance.dat", buf, len);
  len = 0;
  const double ht = sum(t->hop_top, MAXHOP + 1), ha = sum(t->hop_all, MAXHOP + 1);
  put(buf, sizeof buf, &len, "# hop important_edges all_edges (fractions)\n");
  for (int h = 0; h <= MAXHOP; ++h)
    if (t->hop_all[h] > 0.0)
      put(buf, sizeof buf, &len, "%d %.6f %.6f\n", h, t->hop_top[h] / ht, t->hop_all[h] / ha);
  rc |= save(c->dir, "stats_hop.dat", buf, len);
  len = 0;
  put(buf, sizeof buf, &len,
      "# ring_size important random median least (fractions of edges; 0: no ring)\n");
  for (int s = 0; s <= c->maxring; ++s)
    if (s == 0 || s >= 3)
      put(buf, sizeof buf, &len, "%d %.6f %.6f %.6f %.6f\n", s, t->size[0][s] / t->edges[0],
          t->size[1][s] / t->edges[1], t->size[2][s] / t->edges[2], t->size[3][s] / t->edges[3]);
  put(buf, sizeof buf, &len, "\n\n# group index mean_rings bond_fraction\n");
  for (int g = 0; g < NGROUP; ++g)
    put(buf, sizeof buf, &len, "%s %d %.4f %.4f\n", group_name[g], g, t->rings[g] / t->edges[g],
        t->bonds[g] / t->edges[g]);
  rc |= save(c->dir, "stats_rings.dat", buf, len);
  printf("targets: %d, important edges: top %d of each\n", t->targets, c->topk);
  printf("important atoms: %.0f, mean distance %.2f A, within 10 A: %.1f%% (all subgraph atoms: "
         "%.1f%%)\n",
         t->imp_n, t->imp_sum / t->imp_n, 100.0 * t->imp_within10 / t->imp_n,
         100.0 * t->all_within10 / t->all_n);
  printf("important edges by hop:");
  for (int h = 0; h <= MAXHOP; ++h)
    if (t->hop_top[h] > 0.0) printf(" %d: %.1f%%", h, 100.0 * t->hop_top[h] / ht);
  printf("\nprimitive rings through an edge (bonds < %.2f A, rings <= %d):\n", c->rbond,
         c->maxring);
  for (int g = 0; g < NGROUP; ++g)
    printf("  %-9s mean %.2f rings, %.1f%% bonds\n", group_name[g], t->rings[g] / t->edges[g],
           100.0 * t->bonds[g] / t->edges[g]);
  return rc;
}

int main(int argc, char **argv) {
  cli c;
  int rc = parse_cli(argc, argv, &c);
  if (rc) return rc;
  long long *ids = NULL;
  const int n = read_ids(c.dir, &ids);
  if (n < 0) return 1;
  if (n == 0) {
    fprintf(stderr, "symgnn-explain-stats: error: '%s/summary.csv' lists no atom\n", c.dir);
    free(ids);
    return 1;
  }
  totals *t = calloc(1, sizeof *t);
  symgnn_rng rng;
  symgnn_rng_seed(&rng, c.seed);
  rc = t ? 0 : 1;
  for (int i = 0; rc == 0 && i < n; ++i)
    if (analyse(&c, ids[i], &rng, t)) rc = 1;
  if (rc == 0 && report(&c, t)) rc = 1;
  free(t);
  free(ids);
  return rc;
}
