/* symgnn-predict: per-atom energy barriers (eV) of one periodic extended-XYZ
 * configuration with a SymGNN model, a stable key: value summary on stdout,
 * metrics against a label column when the input has one, and optionally the
 * input written back with an eb_pred column. Interface: doc/symgnn-predict.md. */
#include "symgnn.h"
#include "symgnn_metrics.h"
#include "symgnn_xyz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_LABEL "eb"
#define PRED_COLUMN "eb_pred"

typedef struct {
  const char *model;
  const char *input;
  const char *output; /* NULL: no output file */
  const char *label;
  int label_given; /* --label was given: its absence is then an error */
} options;

static void usage(FILE *f) {
  fprintf(f,
          "usage: symgnn-predict MODEL IN.extxyz [-o OUT.extxyz] [--label COL]\n"
          "\n"
          "Predict the per-atom energy barrier (eV) of the first configuration of IN.extxyz\n"
          "(periodic, with Lattice, species and pos) with the SymGNN model file MODEL.\n"
          "\n"
          "  -o, --output OUT  write IN with the prediction as column " PRED_COLUMN ":R:1\n"
          "  --label COL       label column to compare against (default " DEFAULT_LABEL "; when\n"
          "                    given explicitly it must exist)\n"
          "  -h, --help        show this help\n"
          "  --version         show the version\n");
}

/* Usage errors: message, usage on stderr, exit status 2. */
static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "symgnn-predict: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n");
  usage(stderr);
  return 2;
}

/* Parse the command line: 0 to run, -1 when help or version was printed,
 * 2 on a usage error. */
static int parse_args(int argc, char **argv, options *o) {
  int npos = 0;
  *o = (options){NULL, NULL, NULL, DEFAULT_LABEL, 0};
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return -1;
    }
    if (!strcmp(a, "--version")) {
      printf("symgnn-predict %s\n", SYMGNN_VERSION_STRING);
      return -1;
    }
    if (!strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "--label")) {
      if (i + 1 >= argc) return usage_error("option %s needs a value", a);
      if (!strcmp(a, "--label")) {
        o->label = argv[++i];
        o->label_given = 1;
      } else {
        o->output = argv[++i];
      }
    } else if (a[0] == '-' && a[1] != '\0') {
      return usage_error("unknown option %s", a);
    } else if (npos == 0) {
      o->model = a;
      npos++;
    } else if (npos == 1) {
      o->input = a;
      npos++;
    } else {
      return usage_error("unexpected argument %s", a);
    }
  }
  if (npos < 2)
    return usage_error("%s", npos ? "missing IN.extxyz" : "missing MODEL and IN.extxyz");
  return 0;
}

/* Runtime errors: one line on stderr, exit status 1. */
static int fail(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
static int fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "symgnn-predict: error: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  return 1;
}

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The summary lines: a fixed key order, one "key: value" per line. */
static void print_summary(const options *o, const symgnn_model *model, const symgnn_eval *ev,
                          const symgnn_xyz *xyz, int64_t nedges, double t_graph, double t_forward,
                          const double *eb) {
  const symgnn_arch *arch = symgnn_model_arch(model);
  const int n = symgnn_xyz_natoms(xyz);
  printf("model: %s\n", o->model);
  printf("elements:");
  for (int k = 0; k < arch->nelements; ++k) printf(" %s", arch->elements[k]);
  printf("\ncutoff: %.6f\n", arch->cutoff);
  symgnn_haar_table_info h;
  if (symgnn_eval_haar_info(ev, &h, NULL) == SYMGNN_OK)
    printf("symmetrization: haar\nhaar_table_seconds: %.6f\nhaar_table_distances: %d\n"
           "haar_rule_directions: %d\nhaar_quad_error: %.2g\nhaar_interp_error: %.2g\n",
           h.build_seconds, h.ndist, 2 * h.order * h.order, h.quad_error, h.interp_error);
  else
    printf("symmetrization: transforms\ntransforms: %d\n", symgnn_model_ntransforms(model));
  printf("input: %s\n", o->input);
  printf("atoms: %d\n", n);
  printf("edges: %lld\n", (long long)nedges);
  printf("graph_seconds: %.6f\n", t_graph);
  printf("forward_seconds: %.6f\n", t_forward);
  const symgnn_summary s = symgnn_summary_compute(eb, (size_t)n);
  printf("eb_mean: %.6f\neb_min: %.6f\neb_max: %.6f\neb_std: %.6f\n", s.mean, s.min, s.max, s.std);
  if (symgnn_xyz_has_label(xyz)) {
    const symgnn_metrics m = symgnn_metrics_compute(eb, symgnn_xyz_labels(xyz), (size_t)n);
    printf("label: %s\n", o->label);
    printf("pearson: %.6f\nmae: %.6f\nrmse: %.6f\nr2: %.6f\n", m.pearson, m.mae, m.rmse, m.r2);
  }
}

/* Warn (stderr) about atoms with no neighbour within the cutoff: only their
 * self-loop in the graph. The model was never trained on such an atom, so its
 * barrier is an extrapolation. Lists the first few by input number and line. */
static void warn_isolated(const options *o, const symgnn_graph *graph, const int *order,
                          double cutoff) {
  const symgnn_graph_view v = symgnn_graph_get_view(graph);
  int count = 0;
  char list[256] = "";
  size_t used = 0;
  for (int i = 0; i < v.nlocal; ++i) {
    if (v.offsets[i + 1] - v.offsets[i] > 1) continue;
    if (++count <= 5 && used < sizeof list)
      used += (size_t)snprintf(list + used, sizeof list - used, "%s atom %d (line %d)",
                               count > 1 ? "," : "", order[i] + 1, order[i] + 3);
  }
  if (count)
    fprintf(stderr,
            "symgnn-predict: warning: %s: %d atom%s no neighbour within the cutoff of %g A "
            "(%s%s); %s barrier is an extrapolation\n",
            o->input, count, count == 1 ? " has" : "s have", cutoff, list + 1,
            count > 5 ? ", ..." : "", count == 1 ? "its" : "their");
}

/* Graph, evaluation and prediction for a configuration already read. Atoms are
 * processed in spatial order (neighbours close in memory, a faster forward
 * pass) and the results put back in input order. */
static int predict(const options *o, const symgnn_model *model, const symgnn_xyz *xyz,
                   const int *species, double *eb) {
  symgnn_error err = {SYMGNN_OK, ""};
  symgnn_graph *graph = NULL;
  symgnn_eval *ev = NULL;
  const int n = symgnn_xyz_natoms(xyz);
  int *order = malloc((size_t)n * sizeof(int));
  double *out = malloc((size_t)n * sizeof(double));
  if (!order || !out) {
    free(order);
    free(out);
    return fail("%s: out of memory for %d atoms", o->input, n);
  }
  double t0 = seconds();
  symgnn_status st =
      symgnn_graph_build_spatial(n, symgnn_xyz_positions(xyz), symgnn_xyz_lattice(xyz), species,
                                 symgnn_model_arch(model)->cutoff, order, &graph, &err);
  const double t_graph = seconds() - t0;
  if (st == SYMGNN_OK) warn_isolated(o, graph, order, symgnn_model_arch(model)->cutoff);
  int bad_isa = 0;
  if (st == SYMGNN_OK) st = symgnn_eval_create(model, &ev, &err);
  if (st == SYMGNN_OK && getenv("SYMGNN_ISA") && /* a lower instruction set, for comparisons */
      symgnn_eval_set_isa(ev, getenv("SYMGNN_ISA"), &err) != SYMGNN_OK) {
    bad_isa = 1;
    st = SYMGNN_ERR_ARG;
  }
  double t_forward = 0.0;
  if (st == SYMGNN_OK) {
    const symgnn_graph_view view = symgnn_graph_get_view(graph);
    t0 = seconds();
    st = symgnn_predict(ev, &view, out, &err);
    t_forward = seconds() - t0;
  }
  if (st == SYMGNN_OK) {
    for (int i = 0; i < n; ++i) eb[order[i]] = out[i];
    print_summary(o, model, ev, xyz, symgnn_graph_nedges(graph), t_graph, t_forward, eb);
  }
  symgnn_eval_free(ev);
  symgnn_graph_free(graph);
  free(order);
  free(out);
  if (bad_isa)
    return fail("environment variable SYMGNN_ISA=%s: unknown instruction set (avx512, avx2 or "
                "generic)",
                getenv("SYMGNN_ISA"));
  if (st != SYMGNN_OK) return fail("%s: %s", o->input, err.message);
  return 0;
}

/* Load, predict, report, write: exit status 0 on success, 1 on any error. */
static int run(const options *o) {
  symgnn_error err = {SYMGNN_OK, ""};
  symgnn_model *model = NULL;
  if (symgnn_model_read(o->model, &model, &err) != SYMGNN_OK)
    return fail("cannot read model '%s': %s", o->model, err.message);
  char msg[1024] = "";
  symgnn_xyz *xyz = NULL;
  if (symgnn_xyz_read(o->input, o->label, &xyz, msg, sizeof msg)) {
    symgnn_model_free(model);
    return fail("%s", msg);
  }
  int rc = 0;
  const size_t n = (size_t)symgnn_xyz_natoms(xyz);
  int *species = malloc(n * sizeof(int));
  double *eb = malloc(n * sizeof(double));
  if (o->label_given && !symgnn_xyz_has_label(xyz))
    rc = fail("%s: no label column '%s' (given with --label)", o->input, o->label);
  else if (!species || !eb)
    rc = fail("out of memory for %zu atoms", n);
  else if (symgnn_xyz_species_indices(xyz, model, species, msg, sizeof msg))
    rc = fail("%s: %s", o->input, msg);
  else
    rc = predict(o, model, xyz, species, eb);
  if (rc == 0 && o->output) {
    if (symgnn_xyz_write_with_column(xyz, o->output, PRED_COLUMN, eb, msg, sizeof msg))
      rc = fail("%s", msg);
    else
      printf("output: %s\n", o->output);
  }
  free(species);
  free(eb);
  symgnn_xyz_free(xyz);
  symgnn_model_free(model);
  return rc;
}

int main(int argc, char **argv) {
  options o;
  const int rc = parse_args(argc, argv, &o);
  if (rc) return rc < 0 ? 0 : rc;
  const int status = run(&o);
  if (fflush(stdout) != 0) return fail("cannot write the summary to standard output");
  return status;
}
