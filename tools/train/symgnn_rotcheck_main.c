/* symgnn-rotcheck MODEL FILE.extxyz [--rotations N] [--seed S]
 * symgnn-rotcheck --help | --version
 *
 * O(3) sensitivity of a trained model: the configuration (lattice vectors and
 * positions) is transformed by N uniformly random rotations, N random
 * reflections (improper: -R) and the 5 non-identity permutations of the
 * Cartesian axes, the graph is rebuilt and the predictions compared with the
 * untransformed ones. Prints, per kind, the mean and the largest |change of
 * predicted EB| in eV over atoms and transforms, and the Pearson correlation
 * of rotated vs unrotated predictions (pooled). MODEL may be an ensemble: its
 * prediction, the members' mean, is what is compared. */
#include "symgnn.h"
#include "symgnn_metrics.h"
#include "symgnn_rng.h"
#include "symgnn_xyz.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Uniform random rotation from a normalized Gaussian quaternion (row-major). */
static void random_rotation(symgnn_rng *rng, double R[9]) {
  double q[4], n = 0.0;
  for (int i = 0; i < 4; ++i) {
    q[i] = symgnn_rng_normal(rng);
    n += q[i] * q[i];
  }
  n = sqrt(n);
  const double w = q[0] / n, x = q[1] / n, y = q[2] / n, z = q[3] / n;
  R[0] = 1 - 2 * (y * y + z * z), R[1] = 2 * (x * y - w * z), R[2] = 2 * (x * z + w * y);
  R[3] = 2 * (x * y + w * z), R[4] = 1 - 2 * (x * x + z * z), R[5] = 2 * (y * z - w * x);
  R[6] = 2 * (x * z - w * y), R[7] = 2 * (y * z + w * x), R[8] = 1 - 2 * (x * x + y * y);
}

/* Row vectors rotated as v' = v R^T, i.e. every vector rotated by R. */
static void rotate_rows(const double *in, double *out, int n, const double R[9]) {
  for (int i = 0; i < n; ++i)
    for (int a = 0; a < 3; ++a)
      out[3 * i + a] =
          R[3 * a] * in[3 * i] + R[3 * a + 1] * in[3 * i + 1] + R[3 * a + 2] * in[3 * i + 2];
}

/* The evaluation contexts of an ensemble's members. */
typedef struct {
  int m;
  symgnn_eval **ev;
  double *buf;        /* every member's prediction, m x natoms */
  const double **row; /* row[k]: member k's in buf */
} members;

/* Build the graph of a configuration and predict every atom (eV): the
 * ensemble's prediction, the members' mean (symgnn_ensemble_reduce). */
static int predict(const members *mb, int n, const double *pos, const double *lat,
                   const int *species, double cutoff, double *out, symgnn_error *err) {
  symgnn_graph *g = NULL;
  if (symgnn_graph_build(n, pos, lat, species, cutoff, &g, err) != SYMGNN_OK) return -1;
  const symgnn_graph_view v = symgnn_graph_get_view(g);
  symgnn_status s = SYMGNN_OK;
  for (int k = 0; k < mb->m && s == SYMGNN_OK; ++k)
    s = symgnn_predict(mb->ev[k], &v, mb->buf + (size_t)k * (size_t)n, err);
  if (s == SYMGNN_OK) symgnn_ensemble_reduce(mb->m, n, mb->row, out, NULL);
  symgnn_graph_free(g);
  return s == SYMGNN_OK ? 0 : -1;
}

static void usage(FILE *out) {
  fputs("usage: symgnn-rotcheck MODEL FILE.extxyz [--rotations N] [--seed S]\n"
        "       symgnn-rotcheck --help | --version\n"
        "  Transforms the configuration (lattice and positions) by N (default 8) uniformly\n"
        "  random rotations and N reflections drawn from seed S (default 1) and by the 5\n"
        "  permutations of the axes, predicts again and prints per kind the mean and the\n"
        "  largest |EB(transformed) - EB(original)| in eV, and the Pearson correlation of\n"
        "  rotated vs unrotated predictions.\n",
        out);
}

/* The 5 non-identity permutations of the axes as matrices (rows e_p(a)). */
static void axis_permutation(int k, double P[9]) {
  static const int perm[5][3] = {{0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  memset(P, 0, 9 * sizeof(double));
  for (int a = 0; a < 3; ++a) P[3 * a + perm[k][a]] = 1.0;
}

/* Transform k of a kind: 0 rotations, 1 reflections (-R), 2 axis permutations. */
static void kind_transform(int kind, int k, symgnn_rng *rng, double T[9]) {
  if (kind == 2) {
    axis_permutation(k, T);
    return;
  }
  random_rotation(rng, T);
  if (kind == 1)
    for (int i = 0; i < 9; ++i) T[i] = -T[i];
}

int main(int argc, char **argv) {
  const char *model_path = NULL, *xyz_path = NULL;
  int nrot = 8;
  unsigned long long seed = 1;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(argv[i], "--version")) {
      printf("symgnn-rotcheck %s\n", SYMGNN_VERSION_STRING);
      return 0;
    } else if (!strcmp(argv[i], "--rotations") && i + 1 < argc) {
      nrot = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
      seed = strtoull(argv[++i], NULL, 10);
    } else if (argv[i][0] != '-' && !model_path) {
      model_path = argv[i];
    } else if (argv[i][0] != '-' && !xyz_path) {
      xyz_path = argv[i];
    } else {
      fprintf(stderr, "symgnn-rotcheck: unexpected argument '%s'\n", argv[i]);
      xyz_path = NULL;
      break;
    }
  }
  if (!model_path || !xyz_path || nrot < 1) {
    usage(stderr);
    return 2;
  }
  symgnn_error err;
  symgnn_ensemble *ens = NULL;
  members mb = {0, NULL, NULL, NULL};
  symgnn_xyz *xyz = NULL;
  char msg[600];
  int rc = 1;
  if (symgnn_ensemble_read(model_path, &ens, &err) != SYMGNN_OK) {
    fprintf(stderr, "symgnn-rotcheck: %s: %s\n", model_path, err.message);
    goto done;
  }
  mb.ev = calloc((size_t)symgnn_ensemble_size(ens), sizeof *mb.ev);
  for (; mb.ev && mb.m < symgnn_ensemble_size(ens); ++mb.m)
    if (symgnn_eval_create(symgnn_ensemble_member(ens, mb.m), &mb.ev[mb.m], &err) != SYMGNN_OK) {
      fprintf(stderr, "symgnn-rotcheck: %s, member %d: %s\n", model_path, mb.m + 1, err.message);
      goto done;
    }
  if (!mb.ev) {
    fprintf(stderr, "symgnn-rotcheck: out of memory\n");
    goto done;
  }
  const symgnn_model *model = symgnn_ensemble_member(ens, 0);
  if (symgnn_xyz_read(xyz_path, NULL, &xyz, msg, sizeof msg)) {
    fprintf(stderr, "symgnn-rotcheck: %s: %s\n", xyz_path, msg);
    goto done;
  }
  const int n = symgnn_xyz_natoms(xyz);
  const double cutoff = symgnn_model_arch(model)->cutoff;
  int *species = malloc((size_t)n * sizeof(int));
  double *pos = malloc((size_t)n * 3 * sizeof(double));
  double *base = malloc((size_t)n * sizeof(double)), *rot = malloc((size_t)n * sizeof(double));
  mb.buf = malloc((size_t)mb.m * (size_t)n * sizeof(double));
  mb.row = malloc((size_t)mb.m * sizeof *mb.row);
  for (int k = 0; mb.buf && mb.row && k < mb.m; ++k) mb.row[k] = mb.buf + (size_t)k * (size_t)n;
  if (!species || !pos || !base || !rot || !mb.buf || !mb.row) {
    fprintf(stderr, "symgnn-rotcheck: out of memory for %d atoms\n", n);
  } else if (symgnn_xyz_species_indices(xyz, model, species, msg, sizeof msg)) {
    fprintf(stderr, "symgnn-rotcheck: %s: %s\n", xyz_path, msg);
  } else if (predict(&mb, n, symgnn_xyz_positions(xyz), symgnn_xyz_lattice(xyz), species, cutoff,
                     base, &err)) {
    fprintf(stderr, "symgnn-rotcheck: %s: %s\n", xyz_path, err.message);
  } else {
    static const char *kinds[3] = {"rotation", "reflection", "permutation"};
    symgnn_rng rng;
    symgnn_rng_seed(&rng, seed);
    rc = 0;
    printf("atoms: %d\nmembers: %d\nrotations: %d\nreflections: %d\npermutations: 5\n", n, mb.m,
           nrot, nrot);
    for (int kind = 0; kind < 3 && rc == 0; ++kind) {
      symgnn_metrics_acc acc;
      symgnn_metrics_init(&acc);
      double largest = 0.0;
      const int count = kind == 2 ? 5 : nrot;
      for (int r = 0; r < count && rc == 0; ++r) {
        double R[9], lat[9];
        kind_transform(kind, r, &rng, R);
        rotate_rows(symgnn_xyz_lattice(xyz), lat, 3, R);
        rotate_rows(symgnn_xyz_positions(xyz), pos, n, R);
        if (predict(&mb, n, pos, lat, species, cutoff, rot, &err)) {
          fprintf(stderr, "symgnn-rotcheck: %s %d: %s\n", kinds[kind], r + 1, err.message);
          rc = 1;
        }
        for (int i = 0; i < n && rc == 0; ++i) {
          symgnn_metrics_add(&acc, rot[i], base[i]);
          largest = fmax(largest, fabs(rot[i] - base[i]));
        }
      }
      if (rc) break;
      const symgnn_metrics m = symgnn_metrics_finish(&acc);
      printf("%s_sensitivity_ev: %.6g\n%s_max_change_ev: %.6g\n", kinds[kind], m.mae, kinds[kind],
             largest);
      if (kind == 0) printf("rotated_vs_unrotated_pearson: %.6f\n", m.pearson);
    }
  }
  free(species);
  free(pos);
  free(base);
  free(rot);
done:
  free(mb.buf);
  free(mb.row);
  symgnn_xyz_free(xyz);
  for (int k = 0; mb.ev && k < mb.m; ++k) symgnn_eval_free(mb.ev[k]);
  free(mb.ev);
  symgnn_ensemble_free(ens);
  return rc;
}
