/* symgnn-explain: the regression GNNExplainer (Li et al., ICML 2024) for chosen
 * atoms of an extended-XYZ configuration; one set of CSV files per atom and
 * a summary, targets explained in parallel on threads. */
#include "symgnn_explain.h"
#include "symgnn_ext.h"
#include "symgnn_xyz.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char usage[] =
    "usage: symgnn-explain MODEL FILE.extxyz (--atoms ID,ID,... | --central N) [-o DIR]\n"
    "         [--steps N] [--lr X] [--seed S] [--size-coef X] [--entropy-coef X] [--top K]\n"
    "         [--threads N]\n"
    "  IDs are the file's id column (1-based file order without one); --central N takes the\n"
    "  N atoms closest to the cell centre. Writes DIR/atom<ID>_{edges,top,nodes}.csv and\n"
    "  DIR/summary.csv (DIR: explain-out).\n";

typedef struct {
  const char *model, *xyz, *dir, *atoms;
  int central, topk, threads;
  symgnn_explain_opts eo;
} cli;

/* Report a usage error and return exit code 2. */
static int bad_usage(const char *fmt, const char *value) {
  fprintf(stderr, "symgnn-explain: error: ");
  fprintf(stderr, fmt, value);
  fprintf(stderr, "\n%s", usage);
  return 2;
}

/* Whole-string integer in [lo, hi]; 0 on success. */
static int parse_int(const char *s, long lo, long hi, long *v) {
  char *end;
  errno = 0;
  *v = strtol(s, &end, 10);
  return (*s == '\0' || *end != '\0' || errno || *v < lo || *v > hi) ? -1 : 0;
}

/* Whole-string finite real; 0 on success. */
static int parse_real(const char *s, double *v) {
  char *end;
  errno = 0;
  *v = strtod(s, &end);
  return (*s == '\0' || *end != '\0' || errno || !isfinite(*v)) ? -1 : 0;
}

/* Command line into c; 0, or the exit code of a usage error. */
static int parse_cli(int argc, char **argv, cli *c) {
  memset(c, 0, sizeof *c);
  c->dir = "explain-out";
  c->topk = 10;
  c->threads = 1;
  symgnn_explain_opts_default(&c->eo);
  int npos = 0;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (a[0] != '-') {
      if (npos == 0)
        c->model = a;
      else if (npos == 1)
        c->xyz = a;
      else
        return bad_usage("unexpected argument '%s'", a);
      ++npos;
      continue;
    }
    if (i + 1 >= argc) return bad_usage("option %s needs a value", a);
    const char *v = argv[++i];
    long n;
    double x;
    if (!strcmp(a, "--atoms"))
      c->atoms = v;
    else if (!strcmp(a, "-o"))
      c->dir = v;
    else if (!strcmp(a, "--central")) {
      if (parse_int(v, 1, 100000000, &n)) return bad_usage("--central '%s' is not a count >= 1", v);
      c->central = (int)n;
    } else if (!strcmp(a, "--steps")) {
      if (parse_int(v, 0, 100000000, &n)) return bad_usage("--steps '%s' is not a count >= 0", v);
      c->eo.steps = (int)n;
    } else if (!strcmp(a, "--top")) {
      if (parse_int(v, 1, 100000000, &n)) return bad_usage("--top '%s' is not a count >= 1", v);
      c->topk = (int)n;
    } else if (!strcmp(a, "--threads")) {
      if (parse_int(v, 1, 4096, &n)) return bad_usage("--threads '%s' is not in 1..4096", v);
      c->threads = (int)n;
    } else if (!strcmp(a, "--seed")) {
      if (parse_int(v, 0, __LONG_MAX__, &n))
        return bad_usage("--seed '%s' is not an integer >= 0", v);
      c->eo.seed = (uint64_t)n;
    } else if (!strcmp(a, "--lr")) {
      if (parse_real(v, &x) || !(x > 0.0)) return bad_usage("--lr '%s' is not a number > 0", v);
      c->eo.lr = x;
    } else if (!strcmp(a, "--size-coef")) {
      if (parse_real(v, &x) || x < 0.0)
        return bad_usage("--size-coef '%s' is not a number >= 0", v);
      c->eo.size_coef = x;
    } else if (!strcmp(a, "--entropy-coef")) {
      if (parse_real(v, &x) || x < 0.0)
        return bad_usage("--entropy-coef '%s' is not a number >= 0", v);
      c->eo.entropy_coef = x;
    } else
      return bad_usage("unknown option '%s'", a);
  }
  if (npos < 2) return bad_usage("%sMODEL and FILE.extxyz are required", "");
  if (!c->atoms == !c->central) return bad_usage("%sgive exactly one of --atoms and --central", "");
  return 0;
}

/* Node indices of the --atoms list (ids as in the file); -1 and a message on
 * an id that is malformed or not in the file. */
static int atoms_from_list(const char *list, const int64_t *ids, int natoms, int *out, int *nout) {
  *nout = 0;
  const char *p = list;
  while (*p) {
    char *end;
    errno = 0;
    const long long id = strtoll(p, &end, 10);
    if (end == p || errno || (*end != ',' && *end != '\0')) {
      fprintf(stderr, "symgnn-explain: error: --atoms: '%s' is not a comma-separated id list\n",
              list);
      return -1;
    }
    int found = -1;
    for (int i = 0; i < natoms && found < 0; ++i)
      if (ids[i] == id) found = i;
    if (found < 0) {
      fprintf(stderr, "symgnn-explain: error: --atoms: atom id %lld is not in the file\n", id);
      return -1;
    }
    out[(*nout)++] = found;
    p = *end ? end + 1 : end;
  }
  return 0;
}

/* Squared distance of atom i from the cell centre, minimum image. */
static double centre_dist2(const double *lat, const double *r) {
  double x[3], f[3];
  for (int k = 0; k < 3; ++k) x[k] = r[k] - 0.5 * (lat[k] + lat[3 + k] + lat[6 + k]);
  /* fractional coordinates: solve x = f lat (rows a, b, c) by Cramer's rule */
  const double *a = lat, *b = lat + 3, *c = lat + 6;
  const double bc[3] = {b[1] * c[2] - b[2] * c[1], b[2] * c[0] - b[0] * c[2],
                        b[0] * c[1] - b[1] * c[0]};
  const double ca[3] = {c[1] * a[2] - c[2] * a[1], c[2] * a[0] - c[0] * a[2],
                        c[0] * a[1] - c[1] * a[0]};
  const double ab[3] = {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                        a[0] * b[1] - a[1] * b[0]};
  const double vol = a[0] * bc[0] + a[1] * bc[1] + a[2] * bc[2];
  f[0] = (x[0] * bc[0] + x[1] * bc[1] + x[2] * bc[2]) / vol;
  f[1] = (x[0] * ca[0] + x[1] * ca[1] + x[2] * ca[2]) / vol;
  f[2] = (x[0] * ab[0] + x[1] * ab[1] + x[2] * ab[2]) / vol;
  double d2 = 0.0;
  for (int k = 0; k < 3; ++k) f[k] -= floor(f[k] + 0.5);
  for (int k = 0; k < 3; ++k) {
    const double y = f[0] * a[k] + f[1] * b[k] + f[2] * c[k];
    d2 += y * y;
  }
  return d2;
}

/* The n atoms closest to the cell centre (ties by file order). */
static void atoms_central(const symgnn_xyz *x, int n, int *out) {
  const int N = symgnn_xyz_natoms(x);
  const double *lat = symgnn_xyz_lattice(x), *pos = symgnn_xyz_positions(x);
  double *d2 = malloc((size_t)N * sizeof(double));
  char *used = calloc((size_t)N, 1);
  for (int i = 0; d2 && i < N; ++i) d2[i] = centre_dist2(lat, pos + 3 * i);
  for (int k = 0; d2 && used && k < n; ++k) { /* n is small: selection */
    int best = -1;
    for (int i = 0; i < N; ++i)
      if (!used[i] && (best < 0 || d2[i] < d2[best])) best = i;
    used[best] = 1;
    out[k] = best;
  }
  free(d2);
  free(used);
}

/* Seconds of the monotonic clock. */
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
  int nodes;
  int64_t edges;
  symgnn_explain_result r;
  double seconds;
  symgnn_status st;
  symgnn_error err;
} outcome;

/* Explain one target with this thread's trainer and write its files. */
static void explain_one(const cli *c, symgnn_trainer *tr, symgnn_model *m,
                        const symgnn_graph_view *g, const int64_t *ids, int target, outcome *o) {
  const double t0 = now();
  symgnn_subgraph sg;
  o->st = symgnn_subgraph_khop(g, target, symgnn_model_arch(m)->nlayers, &sg, &o->err);
  if (o->st != SYMGNN_OK) return;
  o->nodes = sg.n;
  o->edges = sg.ne;
  float *mask = malloc((size_t)sg.ne * sizeof(float) + 1);
  if (!mask)
    o->st = symgnn_set_error(&o->err, SYMGNN_ERR_NOMEM, "out of memory for %lld mask values",
                             (long long)sg.ne);
  if (o->st == SYMGNN_OK) o->st = symgnn_explain_target(tr, m, &sg, &c->eo, mask, &o->r, &o->err);
  if (o->st == SYMGNN_OK) o->st = symgnn_explain_write(c->dir, &sg, ids, mask, c->topk, &o->err);
  free(mask);
  symgnn_subgraph_free(&sg);
  o->seconds = now() - t0;
}

/* Targets in parallel, one trainer per thread. */
static void explain_all(const cli *c, symgnn_model *m, const symgnn_graph_view *g,
                        const int64_t *ids, const int *targets, int nt, outcome *out) {
#pragma omp parallel num_threads(c->threads) if (c->threads > 1)
  {
    symgnn_trainer *tr = NULL;
    symgnn_error err;
    const symgnn_status st = symgnn_trainer_create(m, &tr, &err);
#pragma omp for schedule(dynamic, 1)
    for (int k = 0; k < nt; ++k) {
      if (st != SYMGNN_OK) {
        out[k].st = st;
        out[k].err = err;
        continue;
      }
      explain_one(c, tr, m, g, ids, targets[k], &out[k]);
      if (out[k].st == SYMGNN_OK)
        printf("atom %lld: %d nodes, %lld edges, prediction %.6f -> %.6f, %.2f s\n",
               (long long)ids[targets[k]], out[k].nodes, (long long)out[k].edges, out[k].r.pred0,
               out[k].r.pred, out[k].seconds);
      fflush(stdout); /* progress of long runs */
    }
    symgnn_trainer_free(tr);
  }
}

/* DIR/summary.csv: one row per target (predictions in eV), written atomically. */
static int write_summary(const cli *c, const symgnn_model *m, const int64_t *ids,
                         const int *targets, int nt, const outcome *out) {
  double mean, sd;
  symgnn_model_label_norm(m, &mean, &sd);
  size_t cap = 128 + (size_t)nt * 160, len = 0;
  char *buf = malloc(cap);
  if (!buf) return -1;
  len +=
      (size_t)snprintf(buf, cap, "id,nodes,edges,eb_pred_ev,eb_masked_ev,sq_change,loss,seconds\n");
  for (int k = 0; k < nt; ++k)
    len += (size_t)snprintf(buf + len, cap - len, "%lld,%d,%lld,%.6f,%.6f,%.6g,%.6g,%.3f\n",
                            (long long)ids[targets[k]], out[k].nodes, (long long)out[k].edges,
                            out[k].r.pred0 * sd + mean, out[k].r.pred * sd + mean,
                            out[k].r.sq_change, out[k].r.loss, out[k].seconds);
  char path[4096];
  snprintf(path, sizeof path, "%s/summary.csv", c->dir);
  symgnn_error err;
  const symgnn_status st = symgnn_file_write_atomic(path, buf, len, &err);
  free(buf);
  if (st != SYMGNN_OK) fprintf(stderr, "symgnn-explain: error: %s\n", err.message);
  return st == SYMGNN_OK ? 0 : -1;
}

/* Atom ids: the file's id column, else 1-based file order. */
static int64_t *atom_ids(const symgnn_xyz *x) {
  const int N = symgnn_xyz_natoms(x);
  int64_t *ids = malloc((size_t)N * sizeof(int64_t) + 1);
  const double *col = symgnn_xyz_has_label(x) ? symgnn_xyz_labels(x) : NULL;
  for (int i = 0; ids && i < N; ++i) ids[i] = col ? (int64_t)llround(col[i]) : i + 1;
  return ids;
}

/* Model, configuration and graph, then the targets; the exit code. */
static int run(const cli *c) {
  symgnn_error err;
  char msg[512];
  symgnn_model *m = NULL;
  symgnn_xyz *x = NULL;
  symgnn_graph *g = NULL;
  int64_t *ids = NULL;
  int *sp = NULL, *targets = NULL, nt = 0, rc = 1;
  outcome *out = NULL;
  if (symgnn_model_read(c->model, &m, &err) != SYMGNN_OK) {
    fprintf(stderr, "symgnn-explain: error: %s\n", err.message);
    goto done;
  }
  if (symgnn_xyz_read(c->xyz, "id", &x, msg, sizeof msg)) {
    fprintf(stderr, "symgnn-explain: error: %s\n", msg);
    goto done;
  }
  const int N = symgnn_xyz_natoms(x);
  sp = malloc((size_t)N * sizeof(int) + 1);
  targets = malloc(((size_t)N + (size_t)c->central) * sizeof(int) + 1);
  ids = atom_ids(x);
  if (!sp || !targets || !ids) {
    fprintf(stderr, "symgnn-explain: error: out of memory for %d atoms\n", N);
    goto done;
  }
  if (symgnn_xyz_species_indices(x, m, sp, msg, sizeof msg)) {
    fprintf(stderr, "symgnn-explain: error: %s\n", msg);
    goto done;
  }
  if (c->atoms && atoms_from_list(c->atoms, ids, N, targets, &nt)) goto done;
  if (c->central > N) {
    fprintf(stderr, "symgnn-explain: error: --central %d exceeds the %d atoms of '%s'\n",
            c->central, N, c->xyz);
    goto done;
  }
  if (c->central) {
    atoms_central(x, c->central, targets);
    nt = c->central;
  }
  if (symgnn_graph_build(N, symgnn_xyz_positions(x), symgnn_xyz_lattice(x), sp,
                         symgnn_model_arch(m)->cutoff, &g, &err) != SYMGNN_OK) {
    fprintf(stderr, "symgnn-explain: error: %s\n", err.message);
    goto done;
  }
  if (mkdir(c->dir, 0755) != 0 && errno != EEXIST) {
    fprintf(stderr, "symgnn-explain: error: cannot create '%s': %s\n", c->dir, strerror(errno));
    goto done;
  }
  out = calloc((size_t)nt + 1, sizeof(outcome));
  if (!out) goto done;
  symgnn_blas_single(2); /* targets are the parallel unit: OpenBLAS stays single-threaded */
  const symgnn_graph_view v = symgnn_graph_get_view(g);
  explain_all(c, m, &v, ids, targets, nt, out);
  rc = 0;
  for (int k = 0; k < nt; ++k)
    if (out[k].st != SYMGNN_OK) {
      fprintf(stderr, "symgnn-explain: error: atom %lld: %s\n", (long long)ids[targets[k]],
              out[k].err.message);
      rc = 1;
    }
  if (rc == 0 && write_summary(c, m, ids, targets, nt, out)) rc = 1;
done:
  free(out);
  free(targets);
  free(sp);
  free(ids);
  symgnn_graph_free(g);
  symgnn_xyz_free(x);
  symgnn_model_free(m);
  return rc;
}

int main(int argc, char **argv) {
  cli c;
  const int rc = parse_cli(argc, argv, &c);
  return rc ? rc : run(&c);
}
