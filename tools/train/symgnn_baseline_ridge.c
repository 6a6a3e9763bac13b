/* symgnn-baseline-ridge: a non-GNN reference score for the EB task.
 *
 * Each atom is described by radial shell counts: the number of neighbours of
 * every species in bins of width --bin (0.25 A) up to --rmax (8 A), placed in
 * the block of the central atom's species, plus one intercept per central
 * species. Ridge regression (features standardized on the training atoms,
 * penalty --lambda on all but the intercepts) is fitted on the training files
 * and scored on the test file by the Pearson correlation.
 *
 *   symgnn-baseline-ridge DATA_DIR            train0..5 -> train6 in DATA_DIR
 *   symgnn-baseline-ridge --train A B ... --test C [--label eb] [--lambda L]
 *                         [--rmax R] [--bin W] [--write FILE]
 */
#include "symgnn.h"
#include "symgnn_file.h"
#include "symgnn_metrics.h"
#include "symgnn_xyz.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILES 256

typedef struct {
  double rmax, bin, lambda;
  const char *label;
  int nbins, nspecies;
  int block; /* nspecies * nbins: counts of one central species */
  int nfeat; /* nspecies * block */
  char names[SYMGNN_MAX_ELEMENTS][SYMGNN_NAME_LEN];
} setup;

typedef struct {
  const char *path;
  symgnn_xyz *xyz;
  int *species;
} input;

/* Species index by name, adding new names in order of appearance. */
static int species_index(setup *s, const char *name) {
  for (int k = 0; k < s->nspecies; ++k)
    if (!strcmp(s->names[k], name)) return k;
  if (s->nspecies == SYMGNN_MAX_ELEMENTS || strlen(name) >= SYMGNN_NAME_LEN) return -1;
  strcpy(s->names[s->nspecies], name);
  return s->nspecies++;
}

static int load_input(setup *s, input *in) {
  char msg[600];
  if (symgnn_xyz_read(in->path, s->label, &in->xyz, msg, sizeof msg)) {
    fprintf(stderr, "symgnn-baseline-ridge: %s: %s\n", in->path, msg);
    return -1;
  }
  if (!symgnn_xyz_has_label(in->xyz)) {
    fprintf(stderr, "symgnn-baseline-ridge: %s: no label column '%s'\n", in->path, s->label);
    return -1;
  }
  const int n = symgnn_xyz_natoms(in->xyz);
  if (!(in->species = malloc((size_t)n * sizeof(int)))) return -1;
  for (int i = 0; i < n; ++i)
    if ((in->species[i] = species_index(s, symgnn_xyz_species(in->xyz, i))) < 0) {
      fprintf(stderr, "symgnn-baseline-ridge: %s: too many species\n", in->path);
      return -1;
    }
  return 0;
}

/* Shell-count rows (nfeat each) of one configuration, into X. */
static int features(const setup *s, const input *in, double *X) {
  const int n = symgnn_xyz_natoms(in->xyz);
  symgnn_graph *g = NULL;
  symgnn_error err;
  if (symgnn_graph_build(n, symgnn_xyz_positions(in->xyz), symgnn_xyz_lattice(in->xyz), in->species,
                         s->rmax, &g, &err) != SYMGNN_OK) {
    fprintf(stderr, "symgnn-baseline-ridge: %s: %s\n", in->path, err.message);
    return -1;
  }
  const symgnn_graph_view v = symgnn_graph_get_view(g);
  memset(X, 0, (size_t)n * (size_t)s->nfeat * sizeof(double));
  for (int t = 0; t < n; ++t) {
    double *row = X + (size_t)t * (size_t)s->nfeat + (size_t)in->species[t] * (size_t)s->block;
    for (int64_t e = v.offsets[t]; e < v.offsets[t + 1]; ++e) {
      const double *d = v.disp + 3 * e;
      const double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
      const int b = (int)(r / s->bin);
      if (r > 0.0 && b < s->nbins) row[v.species[v.src[e]] * s->nbins + b] += 1.0;
    }
  }
  symgnn_graph_free(g);
  return 0;
}

/* In-place Cholesky solve of the SPD system G x = r (p x p); -1 if not SPD. */
static int cholesky_solve(double *G, double *r, int p) {
  for (int j = 0; j < p; ++j) {
    double d = G[j * p + j];
    for (int k = 0; k < j; ++k) d -= G[j * p + k] * G[j * p + k];
    if (!(d > 0.0)) return -1;
    G[j * p + j] = sqrt(d);
    for (int i = j + 1; i < p; ++i) {
      double a = G[i * p + j];
      for (int k = 0; k < j; ++k) a -= G[i * p + k] * G[j * p + k];
      G[i * p + j] = a / G[j * p + j];
    }
  }
  for (int i = 0; i < p; ++i) {
    for (int k = 0; k < i; ++k) r[i] -= G[i * p + k] * r[k];
    r[i] /= G[i * p + i];
  }
  for (int i = p - 1; i >= 0; --i) {
    for (int k = i + 1; k < p; ++k) r[i] -= G[k * p + i] * r[k];
    r[i] /= G[i * p + i];
  }
  return 0;
}

/* Design row: standardized features then the central species' one-hot. */
static void design_row(const setup *s, const double *x, int central, const double *mu,
                       const double *sd, double *a) {
  for (int f = 0; f < s->nfeat; ++f) a[f] = sd[f] > 0.0 ? (x[f] - mu[f]) / sd[f] : 0.0;
  for (int c = 0; c < s->nspecies; ++c) a[s->nfeat + c] = c == central ? 1.0 : 0.0;
}

typedef struct {
  double *X, *y;
  int *central;
  int n;
} rows;

/* Features and labels of several inputs, stacked. */
static int stack(const setup *s, input *in, int nin, rows *out) {
  int n = 0;
  for (int i = 0; i < nin; ++i) n += symgnn_xyz_natoms(in[i].xyz);
  out->n = n;
  out->X = malloc((size_t)n * (size_t)s->nfeat * sizeof(double));
  out->y = malloc((size_t)n * sizeof(double));
  out->central = malloc((size_t)n * sizeof(int));
  if (!out->X || !out->y || !out->central) return -1;
  int off = 0;
  for (int i = 0; i < nin; ++i) {
    const int m = symgnn_xyz_natoms(in[i].xyz);
    if (features(s, &in[i], out->X + (size_t)off * (size_t)s->nfeat)) return -1;
    memcpy(out->y + off, symgnn_xyz_labels(in[i].xyz), (size_t)m * sizeof(double));
    memcpy(out->central + off, in[i].species, (size_t)m * sizeof(int));
    off += m;
  }
  return 0;
}

/* Fit on train, score train and test; returns the test Pearson (NaN on failure). */
static double fit_and_score(const setup *s, const rows *tr, const rows *te, double *train_r) {
  const int nf = s->nfeat, p = nf + s->nspecies;
  double *mu = calloc((size_t)nf, sizeof(double)), *sd = calloc((size_t)nf, sizeof(double));
  double *G = calloc((size_t)p * (size_t)p, sizeof(double)), *r = calloc((size_t)p, sizeof(double));
  double *a = malloc((size_t)p * sizeof(double)), *pred = malloc(sizeof(double) * (size_t)te->n);
  double *ptr = malloc(sizeof(double) * (size_t)tr->n);
  double result = NAN;
  if (!mu || !sd || !G || !r || !a || !pred || !ptr) goto done;
  for (int i = 0; i < tr->n; ++i)
    for (int f = 0; f < nf; ++f) mu[f] += tr->X[(size_t)i * nf + f] / tr->n;
  for (int i = 0; i < tr->n; ++i)
    for (int f = 0; f < nf; ++f) {
      const double d = tr->X[(size_t)i * nf + f] - mu[f];
      sd[f] += d * d / tr->n;
    }
  for (int f = 0; f < nf; ++f) sd[f] = sd[f] > 1e-12 ? sqrt(sd[f]) : 0.0;
  for (int i = 0; i < tr->n; ++i) {
    design_row(s, tr->X + (size_t)i * nf, tr->central[i], mu, sd, a);
    for (int j = 0; j < p; ++j) {
      if (a[j] == 0.0) continue;
      r[j] += a[j] * tr->y[i];
      for (int k = 0; k <= j; ++k) G[j * p + k] += a[j] * a[k];
    }
  }
  for (int j = 0; j < p; ++j) {
    for (int k = 0; k < j; ++k) G[k * p + j] = G[j * p + k];
    G[j * p + j] += j < nf ? s->lambda : 1e-9;
  }
  if (cholesky_solve(G, r, p)) {
    fprintf(stderr, "symgnn-baseline-ridge: normal equations are singular (raise --lambda)\n");
    goto done;
  }
  for (int i = 0; i < tr->n; ++i) {
    design_row(s, tr->X + (size_t)i * nf, tr->central[i], mu, sd, a);
    ptr[i] = 0.0;
    for (int j = 0; j < p; ++j) ptr[i] += a[j] * r[j];
  }
  for (int i = 0; i < te->n; ++i) {
    design_row(s, te->X + (size_t)i * nf, te->central[i], mu, sd, a);
    pred[i] = 0.0;
    for (int j = 0; j < p; ++j) pred[i] += a[j] * r[j];
  }
  *train_r = symgnn_metrics_compute(ptr, tr->y, (size_t)tr->n).pearson;
  result = symgnn_metrics_compute(pred, te->y, (size_t)te->n).pearson;
done:
  free(mu);
  free(sd);
  free(G);
  free(r);
  free(a);
  free(pred);
  free(ptr);
  return result;
}

static void usage(void) {
  fprintf(stderr, "usage: symgnn-baseline-ridge DATA_DIR   (train0..5 -> train6)\n"
                  "       symgnn-baseline-ridge --train A.extxyz ... --test B.extxyz\n"
                  "         [--label eb] [--lambda 1] [--rmax 8] [--bin 0.25] [--write FILE]\n");
}

int main(int argc, char **argv) {
  setup s;
  memset(&s, 0, sizeof s);
  s.rmax = 8.0, s.bin = 0.25, s.lambda = 1.0, s.label = "eb";
  input in[MAX_FILES + 1];
  memset(in, 0, sizeof in);
  char paths[7][4200];
  int ntrain = 0, have_test = 0, in_train = 0;
  const char *write = NULL;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    const int more = i + 1 < argc;
    if (!strcmp(a, "--train"))
      in_train = 1;
    else if (!strcmp(a, "--test") && more)
      in[MAX_FILES].path = argv[++i], have_test = 1, in_train = 0;
    else if (!strcmp(a, "--label") && more)
      s.label = argv[++i];
    else if (!strcmp(a, "--lambda") && more)
      s.lambda = atof(argv[++i]);
    else if (!strcmp(a, "--rmax") && more)
      s.rmax = atof(argv[++i]);
    else if (!strcmp(a, "--bin") && more)
      s.bin = atof(argv[++i]);
    else if (!strcmp(a, "--write") && more)
      write = argv[++i];
    else if (in_train && a[0] != '-' && ntrain < MAX_FILES)
      in[ntrain++].path = a;
    else if (a[0] != '-' && ntrain == 0 && !have_test && strlen(a) < 4000) {
      for (int k = 0; k <= 6; ++k) snprintf(paths[k], sizeof paths[k], "%s/train%d.extxyz", a, k);
      for (int k = 0; k < 6; ++k) in[ntrain++].path = paths[k];
      in[MAX_FILES].path = paths[6];
      have_test = 1;
    } else {
      usage();
      return 2;
    }
  }
  if (!ntrain || !have_test || !(s.bin > 0.0) || !(s.rmax > s.bin) || !(s.lambda >= 0.0)) {
    usage();
    return 2;
  }
  s.nbins = (int)floor(s.rmax / s.bin + 0.5);
  int rc = 1;
  rows tr = {0}, te = {0};
  for (int i = 0; i < ntrain; ++i)
    if (load_input(&s, &in[i])) goto done;
  if (load_input(&s, &in[MAX_FILES])) goto done;
  s.block = s.nspecies * s.nbins;
  s.nfeat = s.nspecies * s.block;
  if (stack(&s, in, ntrain, &tr) || stack(&s, &in[MAX_FILES], 1, &te)) goto done;
  double train_r = NAN;
  const double test_r = fit_and_score(&s, &tr, &te, &train_r);
  if (!isfinite(test_r)) goto done;
  printf("ridge on radial shell counts: %d bins of %g A to %g A, %d species, lambda %g\n", s.nbins,
         s.bin, s.rmax, s.nspecies, s.lambda);
  printf("train: %d files, %d atoms, pearson %.4f\n", ntrain, tr.n, train_r);
  printf("test: %s, %d atoms\n", in[MAX_FILES].path, te.n);
  printf("ridge_baseline_pearson: %.4f\n", test_r);
  rc = 0;
  if (write) {
    char line[64];
    const int len = snprintf(line, sizeof line, "ridge_baseline_pearson: %.4f\n", test_r);
    symgnn_error err;
    if (symgnn_file_write_atomic(write, line, (size_t)len, &err) != SYMGNN_OK) {
      fprintf(stderr, "symgnn-baseline-ridge: %s\n", err.message);
      rc = 1;
    }
  }
done:
  free(tr.X), free(tr.y), free(tr.central);
  free(te.X), free(te.y), free(te.central);
  for (int i = 0; i <= MAX_FILES; ++i) {
    symgnn_xyz_free(in[i].xyz);
    free(in[i].species);
  }
  return rc;
}
