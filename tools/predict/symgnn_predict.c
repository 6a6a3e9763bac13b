/* symgnn-predict: per-atom energy barriers (eV) of one periodic extended-XYZ
 * configuration with a SymGNN model or ensemble, a stable key: value summary on
 * stdout, metrics against a label column when the input has one, and
 * optionally the input written back with an eb_pred column (the ensemble mean)
 * and, for an ensemble, an eb_std column (the members' spread). Interface:
 * doc/symgnn-predict.md. */
#include "symgnn.h"
#include "symgnn_metrics.h"
#include "symgnn_xyz.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_LABEL "eb"
#define PRED_COLUMN "eb_pred"
#define STD_COLUMN "eb_std"

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
          "(periodic, with Lattice, species and pos) with the SymGNN model or ensemble file\n"
          "MODEL. An ensemble predicts the mean of its members; their spread (population\n"
          "standard deviation) is the per-atom uncertainty.\n"
          "\n"
          "  -o, --output OUT  write IN with the prediction as column " PRED_COLUMN ":R:1 (and,\n"
          "                    for an ensemble, the uncertainty as " STD_COLUMN ":R:1)\n"
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

/* What one prediction produced, for the summary. */
typedef struct {
  int64_t nedges;
  double t_graph, t_forward;
  const double *eb;  /* ensemble mean, input order */
  const double *std; /* members' spread, input order (NULL for one member) */
  double *member_pearson;
} prediction;

/* Haar table or transforms of the first member (members share the kind in
 * every file the tools write; each member logs the same table figures). */
static void print_symmetrization(const symgnn_model *model, const symgnn_eval *ev) {
  symgnn_haar_table_info h;
  if (symgnn_eval_haar_info(ev, &h, NULL) == SYMGNN_OK)
    printf("symmetrization: haar\nhaar_table_seconds: %.6f\nhaar_table_distances: %d\n"
           "haar_rule_directions: %d\nhaar_quad_error: %.2g\nhaar_interp_error: %.2g\n",
           h.build_seconds, h.ndist, 2 * h.order * h.order, h.quad_error, h.interp_error);
  else
    printf("symmetrization: transforms\ntransforms: %d\n", symgnn_model_ntransforms(model));
}

/* The summary lines: a fixed key order, one "key: value" per line. */
static void print_summary(const options *o, const symgnn_ensemble *ens, const symgnn_eval *ev0,
                          const symgnn_xyz *xyz, const prediction *p) {
  const symgnn_model *model = symgnn_ensemble_member(ens, 0);
  const symgnn_arch *arch = symgnn_model_arch(model);
  const int n = symgnn_xyz_natoms(xyz), m = symgnn_ensemble_size(ens);
  printf("model: %s\n", o->model);
  printf("members: %d\n", m);
  printf("elements:");
  for (int k = 0; k < arch->nelements; ++k) printf(" %s", arch->elements[k]);
  printf("\ncutoff: %.6f\n", arch->cutoff);
  print_symmetrization(model, ev0);
  printf("input: %s\n", o->input);
  printf("atoms: %d\n", n);
  printf("edges: %lld\n", (long long)p->nedges);
  printf("graph_seconds: %.6f\n", p->t_graph);
  printf("forward_seconds: %.6f\n", p->t_forward);
  const symgnn_summary s = symgnn_summary_compute(p->eb, (size_t)n);
  printf("eb_mean: %.6f\neb_min: %.6f\neb_max: %.6f\neb_std: %.6f\n", s.mean, s.min, s.max, s.std);
  if (p->std) {
    const symgnn_summary u = symgnn_summary_compute(p->std, (size_t)n);
    printf("uncertainty_mean: %.6f\nuncertainty_max: %.6f\n", u.mean, u.max);
  }
  if (symgnn_xyz_has_label(xyz)) {
    const double *ref = symgnn_xyz_labels(xyz);
    const symgnn_metrics mt = symgnn_metrics_compute(p->eb, ref, (size_t)n);
    printf("label: %s\n", o->label);
    printf("pearson: %.6f\nmae: %.6f\nrmse: %.6f\nr2: %.6f\n", mt.pearson, mt.mae, mt.rmse, mt.r2);
    if (p->std) {
      printf("member_pearson:");
      for (int k = 0; k < m; ++k) printf(" %.6f", p->member_pearson[k]);
      double *abs_err = malloc((size_t)n * sizeof *abs_err);
      for (int i = 0; abs_err && i < n; ++i) abs_err[i] = fabs(p->eb[i] - ref[i]);
      printf("\nuncertainty_error_spearman: %.6f\n",
             abs_err ? symgnn_spearman(p->std, abs_err, (size_t)n) : NAN);
      free(abs_err);
    }
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

/* Evaluation context for one member, honouring SYMGNN_ISA (a lower
 * instruction set, for comparisons). *bad_isa is set for an unknown name. */
static symgnn_status make_eval(const symgnn_model *model, symgnn_eval **ev, int *bad_isa,
                               symgnn_error *err) {
  symgnn_status st = symgnn_eval_create(model, ev, err);
  if (st == SYMGNN_OK && getenv("SYMGNN_ISA") &&
      symgnn_eval_set_isa(*ev, getenv("SYMGNN_ISA"), err) != SYMGNN_OK) {
    *bad_isa = 1;
    st = SYMGNN_ERR_ARG;
  }
  return st;
}

/* Evaluation contexts of every member (a haar member builds its table here),
 * made before the forward passes are timed. On failure the ones made are
 * freed and *bad_isa is set for an unknown SYMGNN_ISA. */
static symgnn_status make_evals(const symgnn_ensemble *ens, symgnn_eval **ev, int *bad_isa,
                                symgnn_error *err) {
  symgnn_status st = SYMGNN_OK;
  const int m = symgnn_ensemble_size(ens);
  for (int k = 0; k < m; ++k) ev[k] = NULL;
  for (int k = 0; st == SYMGNN_OK && k < m; ++k)
    st = make_eval(symgnn_ensemble_member(ens, k), &ev[k], bad_isa, err);
  return st;
}

/* Every member on one graph: out[k][i] is member k's barrier of graph node i. */
static symgnn_status predict_members(int m, symgnn_eval *const *ev, const symgnn_graph *graph,
                                     double **out, symgnn_error *err) {
  const symgnn_graph_view view = symgnn_graph_get_view(graph);
  symgnn_status st = SYMGNN_OK;
  for (int k = 0; st == SYMGNN_OK && k < m; ++k) {
    st = symgnn_predict(ev[k], &view, out[k], err);
    /* one set of graph-sized buffers, handed from member to member (and on to the next file) */
    if (m > 1) symgnn_eval_move_scratch(ev[k], ev[(k + 1) % m]);
  }
  return st;
}

/* Graph, evaluation and prediction for a configuration already read. Atoms are
 * processed in spatial order (neighbours close in memory, a faster forward
 * pass) and the results put back in input order: eb (the members' mean) and,
 * for an ensemble, std (their spread). */
static int predict(const options *o, const symgnn_ensemble *ens, const symgnn_xyz *xyz,
                   const int *species, double *eb, double *std) {
  symgnn_error err = {SYMGNN_OK, ""};
  symgnn_graph *graph = NULL;
  const int n = symgnn_xyz_natoms(xyz), m = symgnn_ensemble_size(ens);
  const double cutoff = symgnn_model_arch(symgnn_ensemble_member(ens, 0))->cutoff;
  int *order = malloc((size_t)n * sizeof(int));
  double *buf = malloc((size_t)n * (size_t)(m + 2) * sizeof(double));
  double **out = malloc((size_t)m * sizeof(double *));
  double *mpear = malloc((size_t)m * sizeof(double));
  symgnn_eval **ev = calloc((size_t)m, sizeof *ev);
  if (!order || !buf || !out || !mpear || !ev) {
    free(order);
    free(buf);
    free(out);
    free(mpear);
    free(ev);
    return fail("%s: out of memory for %d atoms", o->input, n);
  }
  for (int k = 0; k < m; ++k) out[k] = buf + (size_t)k * (size_t)n;
  double *mean = buf + (size_t)m * (size_t)n, *spread = mean + n;
  double t0 = seconds();
  symgnn_status st = symgnn_graph_build_spatial(
      n, symgnn_xyz_positions(xyz), symgnn_xyz_lattice(xyz), species, cutoff, order, &graph, &err);
  const double t_graph = seconds() - t0;
  if (st == SYMGNN_OK) warn_isolated(o, graph, order, cutoff);
  int bad_isa = 0;
  double t_forward = 0.0;
  if (st == SYMGNN_OK) st = make_evals(ens, ev, &bad_isa, &err);
  if (st == SYMGNN_OK) {
    t0 = seconds();
    st = predict_members(m, ev, graph, out, &err);
    t_forward = seconds() - t0;
  }
  if (st == SYMGNN_OK) {
    symgnn_ensemble_reduce(m, n, (const double *const *)out, mean, spread);
    for (int i = 0; i < n; ++i) {
      eb[order[i]] = mean[i];
      if (std) std[order[i]] = spread[i];
    }
    if (symgnn_xyz_has_label(xyz))
      for (int k = 0; k < m; ++k) { /* member k in input order, in the spare row */
        for (int i = 0; i < n; ++i) mean[order[i]] = out[k][i];
        mpear[k] = symgnn_metrics_compute(mean, symgnn_xyz_labels(xyz), (size_t)n).pearson;
      }
    const prediction p = {symgnn_graph_nedges(graph), t_graph, t_forward, eb, std, mpear};
    print_summary(o, ens, ev[0], xyz, &p);
  }
  for (int k = 0; k < m; ++k) symgnn_eval_free(ev[k]);
  free(ev);
  symgnn_graph_free(graph);
  free(order);
  free(buf);
  free(out);
  free(mpear);
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
  symgnn_ensemble *ens = NULL;
  if (symgnn_ensemble_read(o->model, &ens, &err) != SYMGNN_OK)
    return fail("cannot read model '%s': %s", o->model, err.message);
  char msg[1024] = "";
  symgnn_xyz *xyz = NULL;
  if (symgnn_xyz_read(o->input, o->label, &xyz, msg, sizeof msg)) {
    symgnn_ensemble_free(ens);
    return fail("%s", msg);
  }
  int rc = 0;
  const size_t n = (size_t)symgnn_xyz_natoms(xyz);
  const int m = symgnn_ensemble_size(ens);
  int *species = malloc(n * sizeof(int));
  double *eb = malloc(2 * n * sizeof(double));
  double *std = (m > 1 && eb) ? eb + n : NULL;
  if (o->label_given && !symgnn_xyz_has_label(xyz))
    rc = fail("%s: no label column '%s' (given with --label)", o->input, o->label);
  else if (!species || !eb)
    rc = fail("out of memory for %zu atoms", n);
  else if (symgnn_xyz_species_indices(xyz, symgnn_ensemble_member(ens, 0), species, msg,
                                      sizeof msg))
    rc = fail("%s: %s", o->input, msg);
  else
    rc = predict(o, ens, xyz, species, eb, std);
  if (rc == 0 && o->output) {
    const char *names[2] = {PRED_COLUMN, STD_COLUMN};
    const double *cols[2] = {eb, std};
    if (symgnn_xyz_write_with_columns(xyz, o->output, std ? 2 : 1, names, cols, msg, sizeof msg))
      rc = fail("%s", msg);
    else
      printf("output: %s\n", o->output);
  }
  free(species);
  free(eb);
  symgnn_xyz_free(xyz);
  symgnn_ensemble_free(ens);
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
