/* symgnn-bench-forward: times the eval-mode forward pass of the C core on one
 * extended-XYZ configuration, and dumps the graph the core built so the
 * PyTorch peer (bench/torch_symgnn.py) runs on exactly the same edges.
 *
 * --identity-transform replaces the model's symmetrization in memory by a
 * single identity transform (K = 1) before the evaluation is prepared: the
 * same weights with the cheapest explicit edge encoder, the reference for the
 * cost of a haar model's tabulated one.
 *
 * Output: `key: value` lines on stdout (parsed by bench/run.sh). Peak memory
 * is reported by the process itself (getrusage) after each stage, so the
 * share of the graph and of the forward pass can be told apart. */
#include "symgnn.h"
#include "symgnn_xyz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define USAGE                                                                                      \
  "usage: symgnn-bench-forward MODEL [IN.extxyz] [--repeats R] [--warmup W]\n"                     \
  "                            [--dump-graph FILE] [--predictions FILE] [--block-edges B]\n"       \
  "                            [--identity-transform]\n"                                           \
  "Without IN.extxyz only the model is loaded and folded (memory baseline).\n"

typedef struct {
  const char *model, *input, *dump, *preds;
  int repeats, warmup, block_edges, identity;
} options;

/* Wall clock in seconds. */
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Peak resident set size of this process so far, in KiB. */
static long peak_rss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/* Parse the command line; returns 0 on success. */
static int parse(int argc, char **argv, options *o) {
  *o = (options){NULL, NULL, NULL, NULL, 5, 1, 0, 0};
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    const int has_value = i + 1 < argc;
    if (!strcmp(a, "--repeats") && has_value)
      o->repeats = atoi(argv[++i]);
    else if (!strcmp(a, "--warmup") && has_value)
      o->warmup = atoi(argv[++i]);
    else if (!strcmp(a, "--dump-graph") && has_value)
      o->dump = argv[++i];
    else if (!strcmp(a, "--predictions") && has_value)
      o->preds = argv[++i];
    else if (!strcmp(a, "--block-edges") && has_value)
      o->block_edges = atoi(argv[++i]);
    else if (!strcmp(a, "--identity-transform"))
      o->identity = 1;
    else if (a[0] == '-')
      return -1;
    else if (!o->model)
      o->model = a;
    else if (!o->input)
      o->input = a;
    else
      return -1;
  }
  return (o->model && o->repeats >= 0 && o->warmup >= 0) ? 0 : -1;
}

/* Binary graph dump read by torch_symgnn.py: "SGBENCH1", int32 natoms,
 * int64 nedges, lattice 9 x f64, species natoms x int32, offsets
 * (natoms+1) x int64 (CSR by destination), src nedges x int32, disp
 * 3*nedges x f64 (r_dst - r_src). Host byte order (little-endian here). */
static int dump_graph(const char *path, const double *lattice, const symgnn_graph_view *v) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "wb");
  if (!f) return -1;
  const int32_t n = v->nlocal;
  const int64_t ne = v->offsets[v->nlocal];
  int ok = fwrite("SGBENCH1", 1, 8, f) == 8 && fwrite(&n, sizeof n, 1, f) == 1 &&
           fwrite(&ne, sizeof ne, 1, f) == 1 && fwrite(lattice, sizeof(double), 9, f) == 9;
  for (int i = 0; ok && i < n; ++i) {
    const int32_t s = v->species[i];
    ok = fwrite(&s, sizeof s, 1, f) == 1;
  }
  ok = ok && fwrite(v->offsets, sizeof(int64_t), (size_t)n + 1, f) == (size_t)n + 1;
  for (int64_t e = 0; ok && e < ne; ++e) {
    const int32_t s = v->src[e];
    ok = fwrite(&s, sizeof s, 1, f) == 1;
  }
  ok = ok && fwrite(v->disp, sizeof(double), 3 * (size_t)ne, f) == 3 * (size_t)ne;
  ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp, path) != 0) {
    remove(tmp);
    return -1;
  }
  return 0;
}

/* Predictions, one per line (%.9g), written under a temporary name. */
static int write_predictions(const char *path, const double *eb, int n) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) return -1;
  int ok = 1;
  for (int i = 0; ok && i < n; ++i) ok = fprintf(f, "%.9g\n", eb[i]) > 0;
  ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp, path) != 0) {
    remove(tmp);
    return -1;
  }
  return 0;
}

/* Graph, warm-up and timed forward passes on one configuration. */
static int run(const options *o, const symgnn_model *model, symgnn_eval *ev) {
  char msg[1024];
  symgnn_xyz *xyz = NULL;
  if (symgnn_xyz_read(o->input, NULL, &xyz, msg, sizeof msg) != 0) {
    fprintf(stderr, "symgnn-bench-forward: error: %s\n", msg);
    return 1;
  }
  const int n = symgnn_xyz_natoms(xyz);
  int *species = malloc((size_t)n * sizeof *species);
  double *eb = malloc((size_t)n * sizeof *eb);
  symgnn_graph *graph = NULL;
  symgnn_error err = {0};
  int rc = 1;
  if (!species || !eb) {
    fprintf(stderr, "symgnn-bench-forward: error: out of memory\n");
    goto done;
  }
  if (symgnn_xyz_species_indices(xyz, model, species, msg, sizeof msg) != 0) {
    fprintf(stderr, "symgnn-bench-forward: error: %s\n", msg);
    goto done;
  }
  printf("atoms: %d\n", n);
  printf("rss_after_read_kb: %ld\n", peak_rss_kb());
  double t0 = now();
  if (symgnn_graph_build(n, symgnn_xyz_positions(xyz), symgnn_xyz_lattice(xyz), species,
                         symgnn_model_arch(model)->cutoff, &graph, &err) != SYMGNN_OK) {
    fprintf(stderr, "symgnn-bench-forward: error: graph: %s\n", err.message);
    goto done;
  }
  const symgnn_graph_view view = symgnn_graph_get_view(graph);
  printf("edges: %lld\n", (long long)symgnn_graph_nedges(graph));
  printf("graph_seconds: %.6f\n", now() - t0);
  printf("rss_after_graph_kb: %ld\n", peak_rss_kb());
  if (o->dump && dump_graph(o->dump, symgnn_xyz_lattice(xyz), &view) != 0) {
    fprintf(stderr, "symgnn-bench-forward: error: cannot write %s\n", o->dump);
    goto done;
  }
  for (int r = 0; r < o->warmup + o->repeats; ++r) {
    t0 = now();
    if (symgnn_predict(ev, &view, eb, &err) != SYMGNN_OK) {
      fprintf(stderr, "symgnn-bench-forward: error: forward: %s\n", err.message);
      goto done;
    }
    const double dt = now() - t0;
    if (r >= o->warmup) printf("forward_seconds: %.6f\n", dt);
  }
  printf("rss_after_forward_kb: %ld\n", peak_rss_kb());
  double mean = 0.0;
  for (int i = 0; i < n; ++i) mean += eb[i];
  printf("eb_mean: %.9f\n", n ? mean / n : 0.0);
  if (o->preds && write_predictions(o->preds, eb, n) != 0) {
    fprintf(stderr, "symgnn-bench-forward: error: cannot write %s\n", o->preds);
    goto done;
  }
  rc = 0;
done:
  symgnn_graph_free(graph);
  free(species);
  free(eb);
  symgnn_xyz_free(xyz);
  return rc;
}

int main(int argc, char **argv) {
  options o;
  if (parse(argc, argv, &o) != 0) {
    fputs(USAGE, stderr);
    return 2;
  }
  symgnn_error err = {0};
  symgnn_model *model = NULL;
  symgnn_eval *ev = NULL;
  static const double identity[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  const double t0 = now();
  int ok = symgnn_model_read(o.model, &model, &err) == SYMGNN_OK;
  const double t1 = now();
  ok = ok && (!o.identity || symgnn_model_set_transforms(model, 1, identity, &err) == SYMGNN_OK);
  ok = ok && symgnn_eval_create(model, &ev, &err) == SYMGNN_OK;
  if (!ok) {
    fprintf(stderr, "symgnn-bench-forward: error: %s\n", err.message);
    symgnn_model_free(model);
    return 1;
  }
  printf("model_read_seconds: %.6f\n", t1 - t0);
  printf("eval_create_seconds: %.6f\n", now() - t1);
  if (symgnn_model_symmetrization(model) == SYMGNN_SYMM_HAAR) {
    symgnn_haar_table_info info;
    if (symgnn_eval_haar_info(ev, &info, &err) == SYMGNN_OK)
      printf("symmetrization: haar\nhaar_table_distances: %d\nhaar_table_order: %d\n"
             "haar_table_build_seconds: %.6f\nhaar_table_interp_error: %.3g\n",
             info.ndist, info.order, info.build_seconds, info.interp_error);
  } else {
    printf("symmetrization: transforms\ntransforms: %d\n", symgnn_model_ntransforms(model));
  }
  if (o.block_edges > 0) symgnn_eval_set_block_edges(ev, o.block_edges);
  printf("rss_model_kb: %ld\n", peak_rss_kb());
  const int rc = o.input ? run(&o, model, ev) : 0;
  symgnn_eval_free(ev);
  symgnn_model_free(model);
  return rc;
}
