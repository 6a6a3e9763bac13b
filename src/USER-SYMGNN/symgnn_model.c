/* Model object: allocation, initialization, accessors and provenance. */
#include "symgnn_error.h"
#include "symgnn_model_format.h"
#include "symgnn_model_impl.h"
#include "symgnn_rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void symgnn_arch_default(symgnn_arch *arch, int nelements, const char *const *names) {
  static const int heads[4] = {8, 4, 2, 1};
  memset(arch, 0, sizeof *arch);
  arch->nelements = nelements;
  for (int i = 0; i < nelements && i < SYMGNN_MAX_ELEMENTS; ++i)
    if (names && names[i]) strncpy(arch->elements[i], names[i], SYMGNN_NAME_LEN - 1);
  arch->cutoff = 5.0;
  arch->width = 32;
  arch->nlayers = 4;
  for (int l = 0; l < 4; ++l) arch->heads[l] = heads[l];
  arch->decoder_depth = 4;
}

/* Element names must be non-empty, printable without blanks, and unique:
 * LAMMPS maps atom types to them by name. */
static symgnn_status check_elements(const symgnn_arch *arch, symgnn_error *err) {
  for (int i = 0; i < arch->nelements; ++i) {
    const char *n = arch->elements[i];
    const size_t len = strnlen(n, SYMGNN_NAME_LEN);
    if (len == 0 || len == SYMGNN_NAME_LEN)
      return symgnn_set_error(err, SYMGNN_ERR_ARG, "element %d has an empty or unterminated name",
                              i + 1);
    for (size_t k = 0; k < len; ++k)
      if (n[k] <= ' ' || n[k] > '~')
        return symgnn_set_error(err, SYMGNN_ERR_ARG, "element %d name has a non-printable byte",
                                i + 1);
    for (int j = 0; j < i; ++j)
      if (strcmp(n, arch->elements[j]) == 0)
        return symgnn_set_error(err, SYMGNN_ERR_ARG, "element name '%s' appears twice", n);
  }
  return SYMGNN_OK;
}

symgnn_status symgnn_model_alloc(const symgnn_arch *arch, int ntransforms, symgnn_model **out,
                                 symgnn_error *err) {
  *out = NULL;
  symgnn_layout lay;
  symgnn_status st = symgnn_layout_build(arch, &lay, err);
  if (st != SYMGNN_OK) return st;
  if ((st = check_elements(arch, err)) != SYMGNN_OK) return st;
  if (ntransforms < 0 || ntransforms > (int)SYMGNN_MODEL_MAX_TRANSFORMS)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "number of transforms %d outside 0..%u",
                            ntransforms, SYMGNN_MODEL_MAX_TRANSFORMS);
  symgnn_model *m = calloc(1, sizeof *m);
  if (!m) return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for the model");
  m->arch = *arch;
  m->layout = lay;
  m->symm = ntransforms ? SYMGNN_SYMM_TRANSFORMS : SYMGNN_SYMM_HAAR;
  m->ntransforms = ntransforms;
  m->transforms = ntransforms ? calloc((size_t)ntransforms * 9, sizeof(double)) : NULL;
  m->params = calloc(lay.nparams, sizeof(float));
  m->stats = calloc(lay.nstats, sizeof(float));
  if ((ntransforms && !m->transforms) || !m->params || !m->stats) {
    symgnn_model_free(m);
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for %zu model parameters",
                            lay.nparams);
  }
  m->label_mean = 0.0;
  m->label_std = 1.0;
  strcpy(m->units, "metal");
  *out = m;
  return SYMGNN_OK;
}

void symgnn_model_free(symgnn_model *m) {
  if (!m) return;
  for (int i = 0; i < m->nprov; ++i) {
    free(m->prov_key[i]);
    free(m->prov_value[i]);
  }
  free(m->prov_key);
  free(m->prov_value);
  free(m->transforms);
  free(m->params);
  free(m->stats);
  free(m);
}

/* PyTorch nn.Linear default: weight and bias uniform in +-1/sqrt(fan_in). */
static void init_linear(float *p, const symgnn_lin_ref *r, symgnn_rng *rng) {
  const double bound = 1.0 / sqrt((double)r->in);
  for (size_t i = 0; i < (size_t)r->out * (size_t)r->in; ++i)
    p[r->w + i] = (float)((2.0 * symgnn_rng_uniform(rng) - 1.0) * bound);
  for (int i = 0; i < r->out; ++i)
    p[r->b + i] = (float)((2.0 * symgnn_rng_uniform(rng) - 1.0) * bound);
}

/* BatchNorm defaults: gamma 1, beta 0, running mean 0, running variance 1. */
static void init_bn(float *p, float *s, const symgnn_bn_ref *r) {
  for (int i = 0; i < r->width; ++i) {
    p[r->gamma + i] = 1.0f;
    p[r->beta + i] = 0.0f;
    s[r->mean + i] = 0.0f;
    s[r->var + i] = 1.0f;
  }
}

/* Normal(0, std) fill for n values. */
static void init_normal(float *p, size_t n, double std, symgnn_rng *rng) {
  for (size_t i = 0; i < n; ++i) p[i] = (float)(std * symgnn_rng_normal(rng));
}

/* Weights drawn like the released PyTorch model (haoyuli02/SymGNN, PyTorch defaults):
 * embedding N(0,1), EGAT matrices and attention Xavier-normal with gain sqrt(2). */
static void init_weights(symgnn_model *m, uint64_t seed) {
  const symgnn_layout *L = &m->layout;
  float *p = m->params, *s = m->stats;
  const int d = L->width;
  symgnn_rng rng;
  symgnn_rng_seed(&rng, seed);
  init_normal(p + L->emb, (size_t)m->arch.nelements * (size_t)d, 1.0, &rng);
  init_bn(p, s, &L->node_bn0);
  init_linear(p, &L->node_lin, &rng);
  init_bn(p, s, &L->node_bn1);
  init_linear(p, &L->edge_lin0, &rng);
  init_bn(p, s, &L->edge_bn0);
  init_linear(p, &L->edge_lin1, &rng);
  init_bn(p, s, &L->edge_bn1);
  for (int l = 0; l < L->nlayers; ++l) {
    const symgnn_layer_ref *r = &L->layer[l];
    const double std = sqrt(2.0) * sqrt(2.0 / (double)(d + r->hw));
    const size_t n = (size_t)r->hw * (size_t)d;
    init_normal(p + r->w_ni, n, std, &rng);
    init_normal(p + r->w_nj, n, std, &rng);
    init_normal(p + r->w_fij, n, std, &rng);
    init_normal(p + r->w_src, n, std, &rng);
    init_normal(p + r->attn, (size_t)r->hw, std, &rng);
    memset(p + r->bias, 0, (size_t)r->hw * sizeof(float));
    init_bn(p, s, &r->bn_node);
    init_bn(p, s, &r->bn_edge);
    init_linear(p, &r->proj_node, &rng);
    init_linear(p, &r->proj_edge, &rng);
  }
  for (int k = 0; k < L->decoder_depth; ++k) {
    init_linear(p, &L->dec[k].lin, &rng);
    init_bn(p, s, &L->dec[k].bn);
    p[L->dec[k].prelu] = 0.25f;
  }
  init_linear(p, &L->out, &rng);
}

symgnn_status symgnn_model_create(const symgnn_arch *arch, int ntransforms,
                                  const double *transforms, uint64_t seed, symgnn_model **out,
                                  symgnn_error *err) {
  if (ntransforms == 0 && transforms)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "transforms given but their count is 0");
  symgnn_status st = symgnn_model_alloc(arch, ntransforms, out, err);
  if (st != SYMGNN_OK) return st;
  if (ntransforms &&
      (st = symgnn_model_set_transforms(*out, ntransforms, transforms, err)) != SYMGNN_OK) {
    symgnn_model_free(*out);
    *out = NULL;
    return st;
  }
  init_weights(*out, seed);
  return SYMGNN_OK;
}

symgnn_status symgnn_model_set_transforms(symgnn_model *m, int ntransforms, const double *t,
                                          symgnn_error *err) {
  if (ntransforms < 1 || ntransforms > (int)SYMGNN_MODEL_MAX_TRANSFORMS || !t)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "number of transforms %d outside 1..%u",
                            ntransforms, SYMGNN_MODEL_MAX_TRANSFORMS);
  for (int i = 0; i < 9 * ntransforms; ++i)
    if (!isfinite(t[i]))
      return symgnn_set_error(err, SYMGNN_ERR_NONFINITE, "transform %d has a non-finite entry",
                              i / 9 + 1);
  double *copy = malloc((size_t)ntransforms * 9 * sizeof(double));
  if (!copy) return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for transforms");
  memcpy(copy, t, (size_t)ntransforms * 9 * sizeof(double));
  free(m->transforms);
  m->transforms = copy;
  m->ntransforms = ntransforms;
  m->symm = SYMGNN_SYMM_TRANSFORMS;
  return SYMGNN_OK;
}

void symgnn_model_set_haar(symgnn_model *m) {
  free(m->transforms);
  m->transforms = NULL;
  m->ntransforms = 0;
  m->symm = SYMGNN_SYMM_HAAR;
}

const symgnn_arch *symgnn_model_arch(const symgnn_model *m) { return &m->arch; }
const symgnn_layout *symgnn_model_layout(const symgnn_model *m) { return &m->layout; }
symgnn_symmetrization symgnn_model_symmetrization(const symgnn_model *m) { return m->symm; }
int symgnn_model_ntransforms(const symgnn_model *m) { return m->ntransforms; }
const double *symgnn_model_transforms(const symgnn_model *m) { return m->transforms; }
const char *symgnn_model_units(const symgnn_model *m) { return m->units; }
size_t symgnn_model_nparams(const symgnn_model *m) { return m->layout.nparams; }
float *symgnn_model_params(symgnn_model *m) { return m->params; }
const float *symgnn_model_params_const(const symgnn_model *m) { return m->params; }
size_t symgnn_model_nstats(const symgnn_model *m) { return m->layout.nstats; }
float *symgnn_model_stats(symgnn_model *m) { return m->stats; }
const float *symgnn_model_stats_const(const symgnn_model *m) { return m->stats; }

void symgnn_model_label_norm(const symgnn_model *m, double *mean, double *std) {
  if (mean) *mean = m->label_mean;
  if (std) *std = m->label_std;
}

void symgnn_model_set_label_norm(symgnn_model *m, double mean, double std) {
  m->label_mean = mean;
  m->label_std = std;
}

int symgnn_model_element_index(const symgnn_model *m, const char *name) {
  for (int i = 0; i < m->arch.nelements; ++i)
    if (strcmp(m->arch.elements[i], name) == 0) return i;
  return -1;
}

int symgnn_model_nprovenance(const symgnn_model *m) { return m->nprov; }
const char *symgnn_model_provenance_key(const symgnn_model *m, int i) {
  return (i >= 0 && i < m->nprov) ? m->prov_key[i] : NULL;
}
const char *symgnn_model_provenance_value(const symgnn_model *m, int i) {
  return (i >= 0 && i < m->nprov) ? m->prov_value[i] : NULL;
}

static char *dup_string(const char *s) {
  const size_t n = strlen(s) + 1;
  char *c = malloc(n);
  if (c) memcpy(c, s, n);
  return c;
}

/* Keys are single words (printable, no blanks or ':'); values any text without newlines,
 * so `symgnn-model info` can print one `key: value` line per entry. */
symgnn_status symgnn_model_set_provenance(symgnn_model *m, const char *key, const char *value,
                                          symgnn_error *err) {
  if (!key || !*key || !value || strlen(key) > SYMGNN_MODEL_MAX_KEY ||
      strlen(value) > SYMGNN_MODEL_MAX_VALUE)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "provenance key or value missing or too long");
  for (const char *c = key; *c; ++c)
    if (*c <= ' ' || *c > '~' || *c == ':')
      return symgnn_set_error(err, SYMGNN_ERR_ARG,
                              "provenance key '%s' has a blank, ':' or "
                              "non-printable character",
                              key);
  for (const char *c = value; *c; ++c)
    if (*c == '\n' || *c == '\r')
      return symgnn_set_error(err, SYMGNN_ERR_ARG, "provenance value for '%s' has a newline", key);
  char *v = dup_string(value);
  if (!v) return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for provenance");
  for (int i = 0; i < m->nprov; ++i)
    if (strcmp(m->prov_key[i], key) == 0) {
      free(m->prov_value[i]);
      m->prov_value[i] = v;
      return SYMGNN_OK;
    }
  char *k = dup_string(key);
  char **nk = realloc(m->prov_key, (size_t)(m->nprov + 1) * sizeof(char *));
  if (nk) m->prov_key = nk;
  char **nv = realloc(m->prov_value, (size_t)(m->nprov + 1) * sizeof(char *));
  if (nv) m->prov_value = nv;
  if (!k || !nk || !nv) {
    free(k);
    free(v);
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for provenance");
  }
  m->prov_key[m->nprov] = k;
  m->prov_value[m->nprov] = v;
  ++m->nprov;
  return SYMGNN_OK;
}

int symgnn_model_label_range(const symgnn_model *m, double *lo, double *hi) {
  for (int i = 0; i < m->nprov; ++i) {
    if (strcmp(m->prov_key[i], SYMGNN_LABEL_RANGE_KEY) != 0) continue;
    char *end;
    const double a = strtod(m->prov_value[i], &end);
    const char *rest = end;
    const double b = strtod(rest, &end);
    while (*end == ' ') ++end;
    if (end == rest || *end != '\0' || !isfinite(a) || !isfinite(b) || a > b) return 0;
    *lo = a;
    *hi = b;
    return 1;
  }
  return 0;
}

/* %.17g keeps the doubles exact through the text entry. */
symgnn_status symgnn_model_set_label_range(symgnn_model *m, double lo, double hi,
                                           symgnn_error *err) {
  if (!isfinite(lo) || !isfinite(hi) || lo > hi)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "label range [%g, %g] is not a finite interval",
                            lo, hi);
  char v[64];
  snprintf(v, sizeof v, "%.17g %.17g", lo, hi);
  return symgnn_model_set_provenance(m, SYMGNN_LABEL_RANGE_KEY, v, err);
}
