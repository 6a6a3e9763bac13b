/* symgnn-model: inspect a SymGNN model or ensemble file (`info`), write a
 * randomly initialized model for tests and benchmarks (`create-random`), edit
 * provenance, and build or split ensembles (symgnn_model_cli_ensemble.c). */
#include "symgnn_model_cli.h"
#include "symgnn.h"
#include "symgnn_file.h"
#include "symgnn_model_format.h"
#include "symgnn_rng.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE                                                                                      \
  "usage: symgnn-model info MODEL [--transforms | --all]\n"                                        \
  "       symgnn-model create-random OUT [--seed N] [--elements Cu,Zr] [--transforms K|haar]\n"    \
  "                    [--width W] [--heads 8,4,2,1] [--decoder-depth D] [--cutoff R]\n"           \
  "       symgnn-model set-provenance MODEL KEY VALUE [-o OUT]\n"                                  \
  "       symgnn-model ensemble OUT MODEL1 MODEL2 [MODEL3 ...]\n"                                  \
  "       symgnn-model member ENSEMBLE K -o OUT\n"                                                 \
  "       symgnn-model --help\n"

#define HELP                                                                                       \
  "\n"                                                                                             \
  "info MODEL      print the metadata of a model file, one `key: value` per line;\n"               \
  "                the file is fully validated (checksum, sizes, finite weights).\n"               \
  "                The stored transforms are counted, not listed (a learned model\n"               \
  "                stores up to 4096); --transforms lists them, --all prints everything.\n"        \
  "create-random   write a model with PyTorch-style random weights (untrained):\n"                 \
  "  --seed N          random seed (default 0)\n"                                                  \
  "  --elements A,B    element names in model order (default Cu,Zr)\n"                             \
  "  --transforms K    symmetrization transforms: identity, then R_z(1)R_y(-1)R_x(1),\n"           \
  "                    then random rotations from the seed (default 2); `haar`: the\n"             \
  "                    exact O(3) average, no stored transforms\n"                                 \
  "  --width W, --heads H1,H2,..., --decoder-depth D, --cutoff R (Angstrom)\n"                     \
  "                    architecture (default 32, 8,4,2,1, 4, 5.0)\n"                               \
  "set-provenance  set (or replace) one provenance entry, e.g. metrics measured after\n"           \
  "                post-processing; writes OUT, or MODEL itself, atomically.\n"                    \
  "ensemble        write the models (2 to 64, same elements, cutoff and units) as one\n"           \
  "                ensemble file: predictions are their mean, the uncertainty their spread.\n"     \
  "member          write member K (1-based) of an ensemble file as a model file.\n"                \
  "Exit status: 0 success, 1 error (message on stderr), 2 usage error.\n"

/* Print a usage error and return the usage exit status. */
static int usage_error(const char *fmt, const char *arg) {
  fputs("symgnn-model: ", stderr);
  fprintf(stderr, fmt, arg);
  fputs("\n" USAGE, stderr);
  return 2;
}

static int fail(const char *message) {
  fprintf(stderr, "symgnn-model: error: %s\n", message);
  return 1;
}

/* Shortest %g form that reads back as the same double, so `info` is exact. */
static void print_double(double x) {
  char buf[40];
  for (int prec = 6; prec <= 17; ++prec) {
    snprintf(buf, sizeof buf, "%.*g", prec, x);
    if (strtod(buf, NULL) == x || !isfinite(x)) break;
  }
  fputs(buf, stdout);
}

static double det3(const double *m) {
  return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
         m[2] * (m[3] * m[7] - m[4] * m[6]);
}

/* Metadata of one model, each line starting with `prefix` ("" or "member_2."). */
static void print_model(const symgnn_model *m, const char *prefix, int list_transforms) {
  const symgnn_arch *a = symgnn_model_arch(m);
  printf("%selements:", prefix);
  for (int i = 0; i < a->nelements; ++i) printf(" %s", a->elements[i]);
  printf("\n%scutoff: ", prefix);
  print_double(a->cutoff);
  printf("\n%sunits: %s\n%swidth: %d\n%slayers: %d\n%sheads:", prefix, symgnn_model_units(m),
         prefix, a->width, prefix, a->nlayers, prefix);
  for (int l = 0; l < a->nlayers; ++l) printf(" %d", a->heads[l]);
  const int ntransforms = symgnn_model_ntransforms(m);
  printf("\n%sdecoder_depth: %d\n%ssymmetrization: %s\n%stransforms: %d%s\n", prefix,
         a->decoder_depth, prefix,
         symgnn_model_symmetrization(m) == SYMGNN_SYMM_HAAR ? "haar" : "transforms", prefix,
         ntransforms, ntransforms > 0 && !list_transforms ? " (listed by info --transforms)" : "");
  const double *t = symgnn_model_transforms(m);
  for (int k = 0; list_transforms && k < ntransforms; ++k) {
    printf("%stransform_%d:", prefix, k + 1);
    for (int i = 0; i < 9; ++i) {
      putchar(' ');
      print_double(t[9 * k + i]);
    }
    printf(" (det %.6f)\n", det3(t + 9 * k));
  }
  double mean, std;
  symgnn_model_label_norm(m, &mean, &std);
  printf("%slabel_mean: ", prefix);
  print_double(mean);
  printf("\n%slabel_std: ", prefix);
  print_double(std);
  printf("\n%sparameters: %zu\n%sbn_statistics: %zu\n", prefix, symgnn_model_nparams(m), prefix,
         symgnn_model_nstats(m));
  for (int i = 0; i < symgnn_model_nprovenance(m); ++i)
    printf("%sprovenance.%s: %s\n", prefix, symgnn_model_provenance_key(m, i),
           symgnn_model_provenance_value(m, i));
}

/* `info`: read and validate the file, then print its metadata; the transform matrices (one
 * line each, up to thousands) only when `list_transforms` is set, so the default fits a screen.
 * An ensemble file prints its member count, then every member's lines prefixed member_K. */
static int cmd_info(const char *path, int list_transforms) {
  unsigned char *data;
  size_t size;
  symgnn_error err;
  if (symgnn_file_read_all(path, &data, &size, &err) != SYMGNN_OK) return fail(err.message);
  symgnn_ensemble *e;
  if (symgnn_ensemble_read_buffer(data, size, &e, &err) != SYMGNN_OK) {
    free(data);
    fprintf(stderr, "symgnn-model: error: model file '%s': %s\n", path, err.message);
    return 1;
  }
  const unsigned char *v = data + SYMGNN_MODEL_MAGIC_LEN; /* validated by the reader */
  const int is_ensemble = !memcmp(data, SYMGNN_ENSEMBLE_MAGIC, SYMGNN_MODEL_MAGIC_LEN);
  printf("%s: %" PRIu32 "\n", is_ensemble ? "ensemble_format_version" : "format_version",
         (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24);
  free(data);
  if (is_ensemble) {
    printf("members: %d\n", symgnn_ensemble_size(e));
    double lo, hi;
    if (symgnn_ensemble_label_range(e, &lo, &hi)) printf("label_range: %.6g %.6g\n", lo, hi);
  }
  for (int k = 0; k < symgnn_ensemble_size(e); ++k) {
    char prefix[32] = "";
    if (is_ensemble) snprintf(prefix, sizeof prefix, "member_%d.", k + 1);
    print_model(symgnn_ensemble_member(e, k), prefix, list_transforms);
  }
  puts("checksum: ok");
  symgnn_ensemble_free(e);
  return fflush(stdout) == 0 ? 0 : fail("cannot write to standard output");
}

/* Options of `create-random`. */
typedef struct {
  const char *out;
  uint64_t seed;
  char names[SYMGNN_MAX_ELEMENTS][SYMGNN_NAME_LEN];
  int nelements;
  int ntransforms;
  symgnn_arch arch;
} create_opts;

/* Whole-string unsigned integer in [lo, hi]. */
static int parse_uint(const char *s, unsigned long long lo, unsigned long long hi,
                      unsigned long long *v) {
  char *end;
  errno = 0;
  if (*s < '0' || *s > '9') return 0;
  *v = strtoull(s, &end, 10);
  return errno == 0 && *end == '\0' && *v >= lo && *v <= hi;
}

/* Comma-separated list: each item copied into items[i] (at most cap - 1 chars). */
static int split_list(const char *s, char items[][SYMGNN_NAME_LEN], int max, int *n) {
  *n = 0;
  for (;;) {
    const char *comma = strchr(s, ',');
    const size_t len = comma ? (size_t)(comma - s) : strlen(s);
    if (*n == max || len == 0 || len >= SYMGNN_NAME_LEN) return 0;
    memcpy(items[*n], s, len);
    items[(*n)++][len] = '\0';
    if (!comma) return 1;
    s = comma + 1;
  }
}

/* Apply one `--name value` option; returns 0 when the value is malformed. */
static int set_option(create_opts *o, const char *name, const char *value) {
  unsigned long long u;
  char list[SYMGNN_MAX_LAYERS][SYMGNN_NAME_LEN];
  int n;
  if (strcmp(name, "--seed") == 0) {
    if (!parse_uint(value, 0, UINT64_MAX, &u)) return 0;
    o->seed = u;
  } else if (strcmp(name, "--elements") == 0) {
    return split_list(value, o->names, SYMGNN_MAX_ELEMENTS, &o->nelements);
  } else if (strcmp(name, "--transforms") == 0) {
    if (strcmp(value, "haar") == 0) {
      o->ntransforms = 0;
      return 1;
    }
    if (!parse_uint(value, 1, SYMGNN_MODEL_MAX_TRANSFORMS, &u)) return 0;
    o->ntransforms = (int)u;
  } else if (strcmp(name, "--width") == 0) {
    if (!parse_uint(value, 1, SYMGNN_MODEL_MAX_WIDTH, &u)) return 0;
    o->arch.width = (int)u;
  } else if (strcmp(name, "--decoder-depth") == 0) {
    if (!parse_uint(value, 0, SYMGNN_MAX_LAYERS, &u)) return 0;
    o->arch.decoder_depth = (int)u;
  } else if (strcmp(name, "--heads") == 0) {
    if (!split_list(value, list, SYMGNN_MAX_LAYERS, &n)) return 0;
    for (int l = 0; l < n; ++l) {
      if (!parse_uint(list[l], 1, 64, &u)) return 0;
      o->arch.heads[l] = (int)u;
    }
    o->arch.nlayers = n;
  } else if (strcmp(name, "--cutoff") == 0) {
    char *end;
    o->arch.cutoff = strtod(value, &end);
    return *value != '\0' && *end == '\0';
  } else {
    return 0;
  }
  return 1;
}

/* 3x3 product c = a b (row-major). */
static void matmul3(const double *a, const double *b, double *c) {
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      c[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
}

/* Transforms: identity; the reference code's R_z(1) R_y(-1) R_x(1) (spec 4.2);
 * then uniformly random rotations (normalized Gaussian quaternions). */
static void make_transforms(int k, uint64_t seed, double *t) {
  const double c = cos(1.0), s = sin(1.0);
  const double rz[9] = {c, -s, 0, s, c, 0, 0, 0, 1};
  const double ry[9] = {c, 0, -s, 0, 1, 0, s, 0, c};
  const double rx[9] = {1, 0, 0, 0, c, -s, 0, s, c};
  double tmp[9];
  symgnn_rng rng;
  symgnn_rng_seed(&rng, seed ^ 0x5157A3E1u);
  for (int i = 0; i < k; ++i) {
    double *o = t + 9 * i;
    if (i == 0) {
      const double id[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
      memcpy(o, id, sizeof id);
    } else if (i == 1) {
      matmul3(rz, ry, tmp);
      matmul3(tmp, rx, o);
    } else {
      double q[4], n = 0.0;
      do {
        n = 0.0;
        for (int j = 0; j < 4; ++j) {
          q[j] = symgnn_rng_normal(&rng);
          n += q[j] * q[j];
        }
      } while (n < 1e-12);
      n = sqrt(n);
      const double w = q[0] / n, x = q[1] / n, y = q[2] / n, z = q[3] / n;
      const double r[9] = {
          1 - 2 * (y * y + z * z), 2 * (x * y - w * z),     2 * (x * z + w * y),
          2 * (x * y + w * z),     1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
          2 * (x * z - w * y),     2 * (y * z + w * x),     1 - 2 * (x * x + y * y)};
      memcpy(o, r, sizeof r);
    }
  }
}

/* `create-random`: build a model from the options and write it atomically. */
static int cmd_create(const create_opts *o) {
  symgnn_arch arch = o->arch;
  arch.nelements = o->nelements;
  for (int i = 0; i < o->nelements; ++i) memcpy(arch.elements[i], o->names[i], SYMGNN_NAME_LEN);
  double *t = o->ntransforms ? malloc((size_t)o->ntransforms * 9 * sizeof(double)) : NULL;
  if (o->ntransforms && !t) return fail("out of memory");
  if (t) make_transforms(o->ntransforms, o->seed, t);
  symgnn_model *m = NULL;
  symgnn_error err;
  char seed[32];
  snprintf(seed, sizeof seed, "%" PRIu64, o->seed);
  symgnn_status st = symgnn_model_create(&arch, o->ntransforms, t, o->seed, &m, &err);
  free(t);
  if (st == SYMGNN_OK) {
    /* The paper's label normalization constants (spec 2.5). */
    symgnn_model_set_label_norm(m, 1.6346, 0.3104);
    st = symgnn_model_set_provenance(m, "training", "random initialization, untrained", &err);
  }
  if (st == SYMGNN_OK) st = symgnn_model_set_provenance(m, "seed", seed, &err);
  if (st == SYMGNN_OK)
    st = symgnn_model_set_provenance(m, "created_by",
                                     "symgnn-model create-random " SYMGNN_VERSION_STRING, &err);
  if (st == SYMGNN_OK) st = symgnn_model_write(m, o->out, &err);
  symgnn_model_free(m);
  return st == SYMGNN_OK ? 0 : fail(err.message);
}

/* `set-provenance`: read, set one entry, write atomically (in place or to OUT). */
static int cmd_set_provenance(const char *path, const char *key, const char *value,
                              const char *out) {
  symgnn_error err = {SYMGNN_OK, ""};
  symgnn_model *m = NULL;
  symgnn_status st = symgnn_model_read(path, &m, &err);
  if (st == SYMGNN_OK) st = symgnn_model_set_provenance(m, key, value, &err);
  if (st == SYMGNN_OK) st = symgnn_model_write(m, out ? out : path, &err);
  symgnn_model_free(m);
  return st == SYMGNN_OK ? 0 : fail(err.message);
}

int main(int argc, char **argv) {
  if (argc < 2) return usage_error("%s", "missing command");
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
    fputs(USAGE HELP, stdout);
    return 0;
  }
  if (strcmp(cmd, "info") == 0) {
    if (argc == 3) return cmd_info(argv[2], 0);
    if (argc == 4 && (strcmp(argv[3], "--transforms") == 0 || strcmp(argv[3], "--all") == 0))
      return cmd_info(argv[2], 1);
    return usage_error("%s", "info takes MODEL and optionally --transforms or --all");
  }
  if (strcmp(cmd, "set-provenance") == 0) {
    if (argc == 5) return cmd_set_provenance(argv[2], argv[3], argv[4], NULL);
    if (argc == 7 && strcmp(argv[5], "-o") == 0)
      return cmd_set_provenance(argv[2], argv[3], argv[4], argv[6]);
    return usage_error("%s", "set-provenance takes MODEL KEY VALUE [-o OUT]");
  }
  if (strcmp(cmd, "ensemble") == 0) {
    if (argc >= 5) return symgnn_cli_ensemble(argv[2], argc - 3, argv + 3);
    return usage_error("%s", "ensemble takes OUT and at least two model files");
  }
  if (strcmp(cmd, "member") == 0) {
    if (argc == 6 && strcmp(argv[4], "-o") == 0)
      return symgnn_cli_member(argv[2], argv[3], argv[5]);
    return usage_error("%s", "member takes ENSEMBLE K -o OUT");
  }
  if (strcmp(cmd, "create-random") != 0) return usage_error("unknown command '%s'", cmd);
  if (argc < 3 || argv[2][0] == '-') return usage_error("%s", "create-random needs OUT");
  create_opts o;
  memset(&o, 0, sizeof o);
  o.out = argv[2];
  o.ntransforms = 2;
  symgnn_arch_default(&o.arch, 0, NULL);
  strcpy(o.names[0], "Cu");
  strcpy(o.names[1], "Zr");
  o.nelements = 2;
  for (int i = 3; i < argc; i += 2) {
    if (i + 1 >= argc) return usage_error("option '%s' needs a value", argv[i]);
    if (!set_option(&o, argv[i], argv[i + 1]))
      return usage_error("invalid option or value: %s", argv[i]);
  }
  return cmd_create(&o);
}
