/* symgnn-haarcheck MODEL [FILE.extxyz] [--order N]
 * symgnn-haarcheck --help | --version
 *
 * Accuracy of the table a haar model is evaluated with (doc/model-format.md,
 * section 8), measured, not assumed:
 *  1. the table build and its own error estimates;
 *  2. convergence of the sphere rule by refinement: at probe distances, the
 *     direct quadrature of orders 32 ... 384 against order 768;
 *  3. with FILE: the table against a direct quadrature of order N on every
 *     edge (max |delta g0| over the edges' distinct lengths, as g0 depends on
 *     the length only) and the predicted barriers with g0 from the table and
 *     from the direct quadrature on every edge (max |delta EB|).
 * An ensemble's members are checked in turn; with FILE the ensemble's own
 * max |delta EB| (of the members' mean) follows. */
#include "symgnn.h"
#include "symgnn_xyz.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Wall clock in seconds (C11). */
static double now(void) {
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void usage(FILE *out) {
  fputs("usage: symgnn-haarcheck MODEL [FILE.extxyz] [--order N]\n"
        "       symgnn-haarcheck --help | --version\n"
        "  Measures the accuracy of a haar model's table of the O(3)-averaged edge encoder:\n"
        "  the table build, the convergence of the sphere rule (orders 32..384 against 768 at\n"
        "  probe distances) and, with FILE, the table against direct quadrature of order N\n"
        "  (default 768) at every edge's own length: max |delta g0| relative to max |g0|, and\n"
        "  max |delta EB| in eV of the predictions. The direct pass follows 2 N^2 rays once\n"
        "  for all distinct lengths (about a minute at N = 768 for 8000 atoms). An ensemble's\n"
        "  members are checked in turn, then the ensemble's own max |delta EB| (their mean).\n",
        out);
}

/* g0 rows of n distances r[i] along x, from ev (table or direct mode). */
static int encode_lengths(symgnn_eval *ev, int n, const double *r, float *out) {
  double *x = calloc(3 * (size_t)n + 1, sizeof(double));
  if (!x) return -1;
  for (int i = 0; i < n; ++i) x[3 * i] = r[i];
  symgnn_error err;
  const symgnn_status s = symgnn_eval_edge_encode(ev, n, x, out, &err);
  free(x);
  if (s != SYMGNN_OK) fprintf(stderr, "symgnn-haarcheck: %s\n", err.message);
  return s == SYMGNN_OK ? 0 : -1;
}

/* Largest |a - b| over n floats. */
static double max_diff(size_t n, const float *a, const float *b) {
  double m = 0.0;
  for (size_t i = 0; i < n; ++i) m = fmax(m, fabs((double)a[i] - b[i]));
  return m;
}

/* Part 2: the rule of each order against order 768 at eight distances. */
static int convergence(symgnn_eval *ev, double cutoff, int d, double scale) {
  enum { NP = 8 };
  static const int orders[] = {32, 48, 64, 96, 128, 144, 192, 256, 384};
  double r[NP];
  for (int i = 0; i < NP; ++i) r[i] = cutoff * (0.3 + 0.1 * i);
  float *ref = malloc(2 * NP * (size_t)d * sizeof(float)), *q = ref ? ref + NP * d : NULL;
  symgnn_error err;
  int rc = !ref || symgnn_eval_set_haar_direct(ev, 768, &err) != SYMGNN_OK ||
           encode_lengths(ev, NP, r, ref);
  printf("rule_convergence: max |rule(order) - rule(768)| / max |g0| at r = %.3g .. %.3g A\n", r[0],
         r[NP - 1]);
  for (size_t k = 0; !rc && k < sizeof orders / sizeof orders[0]; ++k) {
    rc = symgnn_eval_set_haar_direct(ev, orders[k], &err) != SYMGNN_OK ||
         encode_lengths(ev, NP, r, q);
    if (!rc)
      printf("  order %3d (%6d directions): %.2e\n", orders[k], 2 * orders[k] * orders[k],
             max_diff(NP * (size_t)d, q, ref) / scale);
  }
  free(ref);
  return rc;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Part 3: every edge of a configuration. */
/* The members' barrier differences (table minus direct) summed per atom, for
 * an ensemble's own difference: its EB is the members' mean. */
typedef struct {
  int n;
  double *sum;
} delta_sum;

static int every_edge(symgnn_eval *ev, const symgnn_model *model, const char *path, int order,
                      double scale, delta_sum *acc) {
  const int d = symgnn_model_arch(model)->width;
  char msg[600];
  symgnn_xyz *xyz = NULL;
  if (symgnn_xyz_read(path, NULL, &xyz, msg, sizeof msg)) {
    fprintf(stderr, "symgnn-haarcheck: %s: %s\n", path, msg);
    return -1;
  }
  const int n = symgnn_xyz_natoms(xyz);
  int *species = malloc((size_t)n * sizeof(int));
  double *eb_t = malloc(2 * (size_t)n * sizeof(double)), *eb_d = eb_t ? eb_t + n : NULL;
  symgnn_graph *g = NULL;
  symgnn_error err;
  int rc = -1;
  if (!species || !eb_t) {
    fprintf(stderr, "symgnn-haarcheck: out of memory\n");
  } else if (symgnn_xyz_species_indices(xyz, model, species, msg, sizeof msg)) {
    fprintf(stderr, "symgnn-haarcheck: %s: %s\n", path, msg);
  } else if (symgnn_graph_build(n, symgnn_xyz_positions(xyz), symgnn_xyz_lattice(xyz), species,
                                symgnn_model_arch(model)->cutoff, &g, &err) != SYMGNN_OK) {
    fprintf(stderr, "symgnn-haarcheck: %s: %s\n", path, err.message);
  } else {
    const symgnn_graph_view v = symgnn_graph_get_view(g);
    const int64_t ne = v.offsets[n];
    double *r = malloc((size_t)ne * sizeof(double));
    float *gt = NULL;
    int nu = 0;
    if (r) {
      for (int64_t e = 0; e < ne; ++e) {
        const double *x = v.disp + 3 * e;
        r[e] = sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
      }
      qsort(r, (size_t)ne, sizeof(double), cmp_double);
      for (int64_t e = 0; e < ne; ++e)
        if (nu == 0 || r[e] != r[nu - 1]) r[nu++] = r[e];
      gt = malloc(2 * (size_t)nu * d * sizeof(float));
    }
    const double t0 = now();
    if (gt && symgnn_eval_set_haar_direct(ev, 0, &err) == SYMGNN_OK &&
        !encode_lengths(ev, nu, r, gt) && symgnn_predict(ev, &v, eb_t, &err) == SYMGNN_OK &&
        symgnn_eval_set_haar_direct(ev, order, &err) == SYMGNN_OK &&
        !encode_lengths(ev, nu, r, gt + (size_t)nu * d) &&
        symgnn_predict(ev, &v, eb_d, &err) == SYMGNN_OK) {
      double deb = 0.0;
      for (int i = 0; i < n; ++i) deb = fmax(deb, fabs(eb_t[i] - eb_d[i]));
      if (!acc->sum && (acc->sum = calloc((size_t)n, sizeof(double)))) acc->n = n;
      for (int i = 0; acc->sum && i < n; ++i) acc->sum[i] += eb_t[i] - eb_d[i];
      printf("sample: %s (%d atoms, %lld edges, %d distinct lengths)\n", path, n, (long long)ne,
             nu);
      printf("direct_order: %d (%d directions)\n", order, 2 * order * order);
      printf("max_delta_g0_relative: %.2e\n",
             max_diff((size_t)nu * d, gt, gt + (size_t)nu * d) / scale);
      printf("max_delta_eb_ev: %.2e\n", deb);
      printf("direct_seconds: %.1f\n", now() - t0);
      rc = 0;
    } else {
      fprintf(stderr, "symgnn-haarcheck: %s\n", gt ? err.message : "out of memory");
    }
    free(r);
    free(gt);
  }
  symgnn_graph_free(g);
  free(species);
  free(eb_t);
  symgnn_xyz_free(xyz);
  return rc;
}

/* Every check for one model (an ensemble's members one after the other):
 * the table's figures, the rule's convergence and, with a sample, every edge.
 * Returns the exit status. */
static int check_member(const symgnn_model *model, const char *model_path, const char *xyz_path,
                        int order, delta_sum *acc) {
  symgnn_error err;
  symgnn_eval *ev = NULL;
  symgnn_haar_table_info info;
  int rc = 1;
  if (symgnn_eval_create(model, &ev, &err) != SYMGNN_OK ||
      symgnn_eval_haar_info(ev, &info, &err) != SYMGNN_OK) {
    fprintf(stderr, "symgnn-haarcheck: %s: %s\n", model_path, err.message);
  } else {
    printf("table: %d distances every %.4g A, rule order %d (%d directions), built in %.3f s\n",
           info.ndist, info.dr, info.order, 2 * info.order * info.order, info.build_seconds);
    printf("table_scale: %.6g\ntable_quad_error: %.2e\ntable_interp_error: %.2e\n", info.scale,
           info.quad_error, info.interp_error);
    const int d = symgnn_model_arch(model)->width;
    rc = convergence(ev, symgnn_model_arch(model)->cutoff, d, info.scale) ||
                 (xyz_path && every_edge(ev, model, xyz_path, order, info.scale, acc))
             ? 1
             : 0;
  }
  symgnn_eval_free(ev);
  return rc;
}

int main(int argc, char **argv) {
  const char *model_path = NULL, *xyz_path = NULL;
  int order = 768;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(argv[i], "--version")) {
      printf("symgnn-haarcheck %s\n", SYMGNN_VERSION_STRING);
      return 0;
    } else if (!strcmp(argv[i], "--order") && i + 1 < argc) {
      char *end;
      const long v = strtol(argv[++i], &end, 10);
      if (*end || v < 1 || v > 2048) {
        fprintf(stderr, "symgnn-haarcheck: --order needs an integer in 1..2048, got '%s'\n",
                argv[i]);
        return 2;
      }
      order = (int)v;
    } else if (argv[i][0] != '-' && !model_path) {
      model_path = argv[i];
    } else if (argv[i][0] != '-' && !xyz_path) {
      xyz_path = argv[i];
    } else {
      fprintf(stderr, "symgnn-haarcheck: unexpected argument '%s'\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  if (!model_path) {
    usage(stderr);
    return 2;
  }
  symgnn_error err;
  symgnn_ensemble *ens = NULL;
  if (symgnn_ensemble_read(model_path, &ens, &err) != SYMGNN_OK) {
    fprintf(stderr, "symgnn-haarcheck: %s: %s\n", model_path, err.message);
    return 1;
  }
  printf("model: %s\n", model_path);
  int rc = 0;
  const int m = symgnn_ensemble_size(ens);
  delta_sum acc = {0, NULL};
  for (int k = 0; k < m && rc == 0; ++k) {
    if (m > 1) printf("member: %d of %d\n", k + 1, m);
    rc = check_member(symgnn_ensemble_member(ens, k), model_path, xyz_path, order, &acc);
  }
  if (rc == 0 && m > 1 && acc.sum) { /* the ensemble's EB is the members' mean */
    double deb = 0.0;
    for (int i = 0; i < acc.n; ++i) deb = fmax(deb, fabs(acc.sum[i] / m));
    printf("ensemble_max_delta_eb_ev: %.2e\n", deb);
  }
  free(acc.sum);
  symgnn_ensemble_free(ens);
  return rc;
}
