/* Model file formats v1 and v2: writer (v2) and bounds-checked reader (doc/model-format.md).
 * Every integer and float is encoded little-endian byte by byte, independent of
 * the host's byte order and struct layout. */
#include "symgnn_bytes.h"
#include "symgnn_crc32.h"
#include "symgnn_error.h"
#include "symgnn_file.h"
#include "symgnn_model_format.h"
#include "symgnn_model_impl.h"
#include "symgnn_tensors.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ encoding */

/* Output cursor; with p == NULL it only counts, so one routine both sizes
 * and fills the buffer and the two can never disagree. */
typedef struct {
  unsigned char *p;
  size_t pos;
} writer;

static void put_bytes(writer *w, const void *src, size_t n) {
  if (w->p && n) memcpy(w->p + w->pos, src, n);
  w->pos += n;
}

static void put_u32(writer *w, uint32_t v) {
  const unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                              (unsigned char)(v >> 24)};
  put_bytes(w, b, 4);
}

static void put_u64(writer *w, uint64_t v) {
  put_u32(w, (uint32_t)v);
  put_u32(w, (uint32_t)(v >> 32));
}

/* IEEE-754 binary64 bit pattern, little-endian. */
static void put_f64(writer *w, double x) {
  uint64_t v;
  memcpy(&v, &x, sizeof v);
  put_u64(w, v);
}

/* IEEE-754 binary32 bit pattern, little-endian. */
static void put_f32(writer *w, float x) {
  uint32_t v;
  memcpy(&v, &x, sizeof v);
  put_u32(w, v);
}

/* Length-prefixed string: uint32 byte count, then the bytes without a NUL. */
static void put_string(writer *w, const char *s) {
  const size_t n = strlen(s);
  put_u32(w, (uint32_t)n);
  put_bytes(w, s, n);
}

/* Every field of the file in order, the checksum excluded. */
static void serialize(const symgnn_model *m, writer *w) {
  const symgnn_arch *a = &m->arch;
  put_bytes(w, SYMGNN_MODEL_MAGIC, SYMGNN_MODEL_MAGIC_LEN);
  put_u32(w, SYMGNN_MODEL_FORMAT_VERSION);
  put_u32(w, (uint32_t)a->nelements);
  for (int i = 0; i < a->nelements; ++i) {
    char field[SYMGNN_MODEL_NAME_FIELD] = {0};
    strncpy(field, a->elements[i], SYMGNN_MODEL_NAME_FIELD - 1);
    put_bytes(w, field, sizeof field);
  }
  put_f64(w, a->cutoff);
  put_string(w, m->units);
  put_u32(w, (uint32_t)a->width);
  put_u32(w, (uint32_t)a->nlayers);
  for (int l = 0; l < a->nlayers; ++l) put_u32(w, (uint32_t)a->heads[l]);
  put_u32(w, (uint32_t)a->decoder_depth);
  put_u32(w, (uint32_t)m->symm);
  if (m->symm == SYMGNN_SYMM_TRANSFORMS) {
    put_u32(w, (uint32_t)m->ntransforms);
    for (int i = 0; i < 9 * m->ntransforms; ++i) put_f64(w, m->transforms[i]);
  }
  put_f64(w, m->label_mean);
  put_f64(w, m->label_std);
  put_u32(w, (uint32_t)m->nprov);
  for (int i = 0; i < m->nprov; ++i) {
    put_string(w, m->prov_key[i]);
    put_string(w, m->prov_value[i]);
  }
  put_u64(w, (uint64_t)m->layout.nparams);
  put_u64(w, (uint64_t)m->layout.nstats);
  for (size_t i = 0; i < m->layout.nparams; ++i) put_f32(w, m->params[i]);
  for (size_t i = 0; i < m->layout.nstats; ++i) put_f32(w, m->stats[i]);
}

/* --------------------------------------------------------- validation */

/* Value checks shared by the writer (refuse to write a file the reader would
 * reject) and the reader (after decoding): transforms, label normalization,
 * finite weights and statistics, non-negative running variances. */
static symgnn_status check_values(const symgnn_model *m, symgnn_error *err) {
  for (int i = 0; i < 9 * m->ntransforms; ++i)
    if (!isfinite(m->transforms[i]))
      return symgnn_set_error(err, SYMGNN_ERR_FORMAT, "transform %d entry %d is not finite (%g)",
                              i / 9 + 1, i % 9 + 1, m->transforms[i]);
  if (!isfinite(m->label_mean))
    return symgnn_set_error(err, SYMGNN_ERR_FORMAT, "label mean %g is not finite", m->label_mean);
  if (!(m->label_std > 0.0) || !isfinite(m->label_std))
    return symgnn_set_error(err, SYMGNN_ERR_FORMAT, "label std %g is not a positive finite number",
                            m->label_std);
  symgnn_tensor t[SYMGNN_MAX_PARAM_TENSORS > SYMGNN_MAX_STAT_TENSORS ? SYMGNN_MAX_PARAM_TENSORS
                                                                     : SYMGNN_MAX_STAT_TENSORS];
  char where[96];
  for (size_t i = 0; i < m->layout.nparams; ++i)
    if (!isfinite(m->params[i])) {
      symgnn_tensor_locate(t, symgnn_param_tensors(&m->layout, t), i, where, sizeof where);
      return symgnn_set_error(err, SYMGNN_ERR_NONFINITE,
                              "non-finite weight %g in %s (parameter index %zu)",
                              (double)m->params[i], where, i);
    }
  for (size_t i = 0; i < m->layout.nstats; ++i) {
    if (isfinite(m->stats[i])) continue;
    symgnn_tensor_locate(t, symgnn_stat_tensors(&m->layout, t), i, where, sizeof where);
    return symgnn_set_error(err, SYMGNN_ERR_NONFINITE,
                            "non-finite BatchNorm statistic %g in %s (statistics index %zu)",
                            (double)m->stats[i], where, i);
  }
  const int n = symgnn_stat_tensors(&m->layout, t);
  for (int k = 1; k < n; k += 2) /* mean, var, mean, var, ... */
    for (size_t i = 0; i < symgnn_tensor_size(&t[k]); ++i)
      if (m->stats[t[k].offset + i] < 0.0f)
        return symgnn_set_error(err, SYMGNN_ERR_FORMAT, "negative running variance %g in %s[%zu]",
                                (double)m->stats[t[k].offset + i], t[k].name, i);
  return SYMGNN_OK;
}

/* ------------------------------------------------------------- writer */

symgnn_status symgnn_model_serialize(const symgnn_model *m, unsigned char **data, size_t *size,
                                     symgnn_error *err) {
  symgnn_status st = check_values(m, err);
  if (st != SYMGNN_OK) return st;
  writer w = {NULL, 0};
  serialize(m, &w);
  const size_t body = w.pos;
  w.p = malloc(body + 4);
  if (!w.p) return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory serializing a model");
  w.pos = 0;
  serialize(m, &w);
  put_u32(&w, symgnn_crc32(0, w.p, body));
  *data = w.p;
  *size = w.pos;
  return SYMGNN_OK;
}

symgnn_status symgnn_model_write(const symgnn_model *m, const char *path, symgnn_error *err) {
  if (!m || !path || !*path)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "symgnn_model_write needs a model and a path");
  unsigned char *data;
  size_t size;
  symgnn_status st = symgnn_model_serialize(m, &data, &size, err);
  if (st != SYMGNN_OK) {
    if (err) {
      char msg[sizeof err->message];
      memcpy(msg, err->message, sizeof msg);
      snprintf(err->message, sizeof err->message, "refusing to write '%.200s': %.280s", path, msg);
    }
    return st;
  }
  st = symgnn_file_write_atomic(path, data, size, err);
  free(data);
  return st;
}

/* ------------------------------------------------------------- reader */

/* Input cursor over the file bytes; every read is bounds-checked. */
typedef struct {
  const unsigned char *p;
  size_t size, pos;
  symgnn_error *err;
  uint32_t version; /* format version from the header */
} reader;

static double f64_of(const unsigned char *b) {
  const uint64_t v = symgnn_le64(b);
  double x;
  memcpy(&x, &v, sizeof x);
  return x;
}

static float f32_of(const unsigned char *b) {
  const uint32_t v = symgnn_le32(b);
  float x;
  memcpy(&x, &v, sizeof x);
  return x;
}

/* Claim n bytes for `field`, or fail with SYMGNN_ERR_TRUNC saying where. */
static symgnn_status take(reader *r, size_t n, const char *field, const unsigned char **out) {
  if (r->size - r->pos < n)
    return symgnn_set_error(r->err, SYMGNN_ERR_TRUNC,
                            "file truncated: %s at offset %zu needs %zu bytes but only %zu remain "
                            "(file size %zu)",
                            field, r->pos, n, r->size - r->pos, r->size);
  *out = r->p + r->pos;
  r->pos += n;
  return SYMGNN_OK;
}

static symgnn_status get_u32(reader *r, const char *field, uint32_t *v) {
  const unsigned char *b = NULL;
  const symgnn_status st = take(r, 4, field, &b);
  if (st == SYMGNN_OK) *v = symgnn_le32(b);
  return st;
}

static symgnn_status get_u64(reader *r, const char *field, uint64_t *v) {
  const unsigned char *b = NULL;
  const symgnn_status st = take(r, 8, field, &b);
  if (st == SYMGNN_OK) *v = symgnn_le64(b);
  return st;
}

static symgnn_status get_f64(reader *r, const char *field, double *v) {
  const unsigned char *b = NULL;
  const symgnn_status st = take(r, 8, field, &b);
  if (st == SYMGNN_OK) *v = f64_of(b);
  return st;
}

/* A uint32 that must fit an int (architecture sizes); the range proper is
 * checked later by symgnn_layout_build. */
static symgnn_status get_int(reader *r, const char *field, int *v) {
  uint32_t u = 0;
  const symgnn_status st = get_u32(r, field, &u);
  if (st != SYMGNN_OK) return st;
  if (u > INT_MAX)
    return symgnn_set_error(r->err, SYMGNN_ERR_FORMAT, "%s %" PRIu32 " is out of range", field, u);
  *v = (int)u;
  return SYMGNN_OK;
}

/* A count field bounded by [lo, hi], checked before anything is sized by it. */
static symgnn_status get_count(reader *r, const char *field, uint32_t lo, uint32_t hi,
                               uint32_t *v) {
  const symgnn_status st = get_u32(r, field, v);
  if (st != SYMGNN_OK) return st;
  if (*v < lo || *v > hi)
    return symgnn_set_error(r->err, SYMGNN_ERR_FORMAT,
                            "%s %" PRIu32 " outside %" PRIu32 "..%" PRIu32, field, *v, lo, hi);
  return SYMGNN_OK;
}

/* A length-prefixed string of at most `cap` bytes: start and length. */
static symgnn_status get_string(reader *r, const char *field, uint32_t cap, const unsigned char **s,
                                uint32_t *len) {
  char what[64];
  snprintf(what, sizeof what, "%s length", field);
  symgnn_status st = get_count(r, what, 0, cap, len);
  if (st == SYMGNN_OK) st = take(r, *len, field, s);
  return st;
}

/* A block of n float32 values: its start offset (overflow-safe size check). */
static symgnn_status get_floats(reader *r, const char *field, uint64_t n, size_t *at) {
  const size_t left = r->size - r->pos;
  if (n > left / 4)
    return symgnn_set_error(r->err, SYMGNN_ERR_TRUNC,
                            "file truncated: %s at offset %zu need %" PRIu64
                            " float32 values but only %zu remain (file size %zu)",
                            field, r->pos, n, left / 4, r->size);
  *at = r->pos;
  r->pos += (size_t)n * 4;
  return SYMGNN_OK;
}

/* Where the walk over the file found each section. */
typedef struct {
  symgnn_arch arch;
  symgnn_layout layout;
  uint32_t ntransforms, nprov;
  size_t transforms_at, label_at, prov_at, params_at, stats_at;
  uint64_t nparams, nstats;
} sections;

/* An ARG error from a shared check means invalid metadata in a file. */
static symgnn_status as_format(symgnn_error *err, symgnn_status st, const char *what) {
  if (st != SYMGNN_ERR_ARG) return st;
  if (err) {
    char msg[sizeof err->message];
    memcpy(msg, err->message, sizeof msg);
    snprintf(err->message, sizeof err->message, "%s: %.400s", what, msg);
    err->code = SYMGNN_ERR_FORMAT;
  }
  return SYMGNN_ERR_FORMAT;
}

/* Element names: one fixed 16-byte field each, the name then NUL padding. */
static symgnn_status walk_names(reader *r, int full, sections *s) {
  for (int i = 0; i < s->arch.nelements; ++i) {
    const unsigned char *b = NULL;
    char field[48];
    snprintf(field, sizeof field, "name of element %d", i + 1);
    symgnn_status st = take(r, SYMGNN_MODEL_NAME_FIELD, field, &b);
    if (st != SYMGNN_OK) return st;
    const unsigned char *nul = memchr(b, 0, SYMGNN_MODEL_NAME_FIELD);
    if (!full) continue;
    if (!nul)
      return symgnn_set_error(r->err, SYMGNN_ERR_FORMAT,
                              "name of element %d at offset %zu is not NUL-terminated within %d "
                              "bytes",
                              i + 1, r->pos - SYMGNN_MODEL_NAME_FIELD, SYMGNN_MODEL_NAME_FIELD);
    for (const unsigned char *c = nul; c < b + SYMGNN_MODEL_NAME_FIELD; ++c)
      if (*c)
        return symgnn_set_error(r->err, SYMGNN_ERR_FORMAT,
                                "name of element %d has non-zero padding after its NUL", i + 1);
    memcpy(s->arch.elements[i], b, SYMGNN_MODEL_NAME_FIELD);
  }
  return SYMGNN_OK;
}

/* Walk the whole layout, filling `s`, and stop before the checksum. Counts
 * that size later fields are always range-checked and every read is
 * bounds-checked. With `full` (the checksum matched, so the bytes are what a
 * writer meant) the metadata are validated too; without it, the walk only
 * tells truncation and trailing bytes from a checksum mismatch. */
static symgnn_status walk(reader *r, int full, sections *s) {
  uint32_t u;
  const unsigned char *b = NULL;
  symgnn_status st;
  memset(s, 0, sizeof *s);
  symgnn_arch *a = &s->arch;
  if ((st = get_count(r, "element count", 1, SYMGNN_MAX_ELEMENTS, &u)) != SYMGNN_OK) return st;
  a->nelements = (int)u;
  if ((st = walk_names(r, full, s)) != SYMGNN_OK) return st;
  if ((st = get_f64(r, "cutoff", &a->cutoff)) != SYMGNN_OK) return st;
  if ((st = get_string(r, "units", SYMGNN_MODEL_MAX_UNITS, &b, &u)) != SYMGNN_OK) return st;
  if (full && (u != 5 || memcmp(b, "metal", 5) != 0))
    return symgnn_set_error(r->err, SYMGNN_ERR_FORMAT,
                            "units '%.*s' not supported (format v1 requires 'metal')", (int)u, b);
  if ((st = get_int(r, "width", &a->width)) != SYMGNN_OK) return st;
  if ((st = get_count(r, "layer count", 1, SYMGNN_MAX_LAYERS, &u)) != SYMGNN_OK) return st;
  a->nlayers = (int)u;
  for (int l = 0; l < a->nlayers; ++l) {
    char field[32];
    snprintf(field, sizeof field, "heads of layer %d", l + 1);
    if ((st = get_int(r, field, &a->heads[l])) != SYMGNN_OK) return st;
  }
  if ((st = get_int(r, "decoder depth", &a->decoder_depth)) != SYMGNN_OK) return st;
  if (full && (st = as_format(r->err, symgnn_layout_build(a, &s->layout, r->err),
                              "invalid architecture")) != SYMGNN_OK)
    return st;
  uint32_t kind = SYMGNN_SYMM_TRANSFORMS; /* v1 files have no kind field */
  if (r->version >= 2 && (st = get_count(r, "symmetrization kind", SYMGNN_SYMM_TRANSFORMS,
                                         SYMGNN_SYMM_HAAR, &kind)) != SYMGNN_OK)
    return st;
  if (kind == SYMGNN_SYMM_TRANSFORMS &&
      (st = get_count(r, "transform count", 1, SYMGNN_MODEL_MAX_TRANSFORMS, &s->ntransforms)))
    return st;
  s->transforms_at = r->pos;
  if ((st = take(r, (size_t)s->ntransforms * 72, "transforms", &b)) != SYMGNN_OK) return st;
  s->label_at = r->pos;
  if ((st = take(r, 16, "label mean and std", &b)) != SYMGNN_OK) return st;
  if ((st = get_count(r, "provenance count", 0, SYMGNN_MODEL_MAX_PROVENANCE, &s->nprov))) return st;
  s->prov_at = r->pos;
  for (uint32_t i = 0; i < s->nprov; ++i) {
    if ((st = get_string(r, "provenance key", SYMGNN_MODEL_MAX_KEY, &b, &u)) != SYMGNN_OK ||
        (st = get_string(r, "provenance value", SYMGNN_MODEL_MAX_VALUE, &b, &u)) != SYMGNN_OK)
      return st;
  }
  if ((st = get_u64(r, "parameter count", &s->nparams)) != SYMGNN_OK ||
      (st = get_u64(r, "statistics count", &s->nstats)) != SYMGNN_OK)
    return st;
  if (full && (s->nparams != s->layout.nparams || s->nstats != s->layout.nstats))
    return symgnn_set_error(r->err, SYMGNN_ERR_FORMAT,
                            "inconsistent sizes: the file has %" PRIu64 " parameters and %" PRIu64
                            " statistics, its architecture needs %zu and %zu",
                            s->nparams, s->nstats, s->layout.nparams, s->layout.nstats);
  if ((st = get_floats(r, "parameters", s->nparams, &s->params_at)) != SYMGNN_OK) return st;
  return get_floats(r, "statistics", s->nstats, &s->stats_at);
}

/* Provenance entries: no NUL inside, unique keys, and the rules of
 * symgnn_model_set_provenance (which stores them). */
static symgnn_status read_provenance(const unsigned char *data, const sections *s, symgnn_model *m,
                                     symgnn_error *err) {
  size_t at = s->prov_at;
  char key[SYMGNN_MODEL_MAX_KEY + 1];
  char *value = malloc(SYMGNN_MODEL_MAX_VALUE + 1);
  if (!value) return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for provenance");
  symgnn_status st = SYMGNN_OK;
  for (uint32_t i = 0; i < s->nprov && st == SYMGNN_OK; ++i) {
    const uint32_t klen = symgnn_le32(data + at);
    const unsigned char *k = data + at + 4;
    const uint32_t vlen = symgnn_le32(k + klen);
    const unsigned char *v = k + klen + 4;
    at += 8 + (size_t)klen + vlen;
    if (memchr(k, 0, klen) || memchr(v, 0, vlen)) {
      st = symgnn_set_error(err, SYMGNN_ERR_FORMAT, "provenance entry %" PRIu32 " has a NUL byte",
                            i + 1);
      break;
    }
    memcpy(key, k, klen);
    key[klen] = '\0';
    memcpy(value, v, vlen);
    value[vlen] = '\0';
    for (int j = 0; j < m->nprov && st == SYMGNN_OK; ++j)
      if (strcmp(m->prov_key[j], key) == 0)
        st = symgnn_set_error(err, SYMGNN_ERR_FORMAT, "provenance key '%s' appears twice", key);
    if (st == SYMGNN_OK) st = symgnn_model_set_provenance(m, key, value, err);
    if (st == SYMGNN_ERR_ARG) {
      char what[48];
      snprintf(what, sizeof what, "provenance entry %" PRIu32, i + 1);
      st = as_format(err, st, what);
    }
  }
  free(value);
  return st;
}

/* Build the model from a walked, checksum-verified file. */
static symgnn_status build(const unsigned char *data, const sections *s, symgnn_model **out,
                           symgnn_error *err) {
  symgnn_model *m = NULL;
  symgnn_status st = symgnn_model_alloc(&s->arch, (int)s->ntransforms, &m, err);
  if (st != SYMGNN_OK) return as_format(err, st, "invalid metadata");
  for (size_t i = 0; i < (size_t)s->ntransforms * 9; ++i)
    m->transforms[i] = f64_of(data + s->transforms_at + 8 * i);
  m->label_mean = f64_of(data + s->label_at);
  m->label_std = f64_of(data + s->label_at + 8);
  for (size_t i = 0; i < m->layout.nparams; ++i) m->params[i] = f32_of(data + s->params_at + 4 * i);
  for (size_t i = 0; i < m->layout.nstats; ++i) m->stats[i] = f32_of(data + s->stats_at + 4 * i);
  st = read_provenance(data, s, m, err);
  if (st == SYMGNN_OK) st = check_values(m, err);
  if (st != SYMGNN_OK) {
    symgnn_model_free(m);
    return st;
  }
  *out = m;
  return SYMGNN_OK;
}

/* Magic and version come first: a file that is not ours, or is from the
 * future, is reported as such before anything else is interpreted. */
static symgnn_status check_header(const unsigned char *p, size_t size, symgnn_error *err) {
  if (size == 0)
    return symgnn_set_error(err, SYMGNN_ERR_TRUNC, "file truncated: it is empty (0 bytes)");
  const size_t n = size < SYMGNN_MODEL_MAGIC_LEN ? size : SYMGNN_MODEL_MAGIC_LEN;
  if (size >= SYMGNN_MODEL_MAGIC_LEN && !memcmp(p, SYMGNN_ENSEMBLE_MAGIC, SYMGNN_MODEL_MAGIC_LEN))
    return symgnn_set_error(err, SYMGNN_ERR_MAGIC,
                            "an ensemble file (several models), not a single model: read it with "
                            "symgnn_ensemble_read, or take one member out with "
                            "'symgnn-model member'");
  if (memcmp(p, SYMGNN_MODEL_MAGIC, n) != 0) {
    char hex[3 * SYMGNN_MODEL_MAGIC_LEN + 1] = "";
    for (size_t i = 0; i < SYMGNN_MODEL_MAGIC_LEN && i < size; ++i)
      snprintf(hex + 3 * i, 4, " %02X", p[i]);
    return symgnn_set_error(err, SYMGNN_ERR_MAGIC,
                            "not a SymGNN model file: it starts with bytes%s, expected 53 59 4D "
                            "47 4E 4E 00 1A (\"SYMGNN\\0\\x1a\")",
                            hex);
  }
  if (size < SYMGNN_MODEL_MAGIC_LEN + 4)
    return symgnn_set_error(err, SYMGNN_ERR_TRUNC,
                            "file truncated: only %zu bytes, the magic and format version need 12",
                            size);
  const uint32_t version = symgnn_le32(p + SYMGNN_MODEL_MAGIC_LEN);
  if (version > SYMGNN_MODEL_FORMAT_VERSION)
    return symgnn_set_error(err, SYMGNN_ERR_VERSION,
                            "format version %" PRIu32 " is newer than this library supports (%u)",
                            version, SYMGNN_MODEL_FORMAT_VERSION);
  if (version < SYMGNN_MODEL_FORMAT_OLDEST)
    return symgnn_set_error(err, SYMGNN_ERR_VERSION,
                            "format version %" PRIu32 " is not valid (this library reads %u to %u)",
                            version, SYMGNN_MODEL_FORMAT_OLDEST, SYMGNN_MODEL_FORMAT_VERSION);
  return SYMGNN_OK;
}

symgnn_status symgnn_model_read_buffer(const void *data, size_t size, symgnn_model **out,
                                       symgnn_error *err) {
  if (!out || (!data && size))
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "symgnn_model_read_buffer needs data and out");
  *out = NULL;
  const unsigned char *p = data;
  symgnn_status st = check_header(p, size, err);
  if (st != SYMGNN_OK) return st;
  /* The checksum closes the file, so an intact file is recognized before any
   * size field is trusted; only then are the metadata judged. */
  const int intact = size >= 16 && symgnn_crc32(0, p, size - 4) == symgnn_le32(p + size - 4);
  reader r = {p, size, SYMGNN_MODEL_MAGIC_LEN + 4, err, symgnn_le32(p + SYMGNN_MODEL_MAGIC_LEN)};
  sections s;
  if ((st = walk(&r, intact, &s)) != SYMGNN_OK) return st;
  const size_t body = r.pos;
  const unsigned char *crc = NULL;
  if ((st = take(&r, 4, "checksum", &crc)) != SYMGNN_OK) return st;
  /* Bytes after a checksum that matches its contents were appended; a
   * mismatch there means damaged size fields, reported as damage. */
  const uint32_t computed = symgnn_crc32(0, p, body);
  if (r.pos != size && (intact || computed == symgnn_le32(crc)))
    return symgnn_set_error(err, SYMGNN_ERR_FORMAT,
                            "%zu trailing bytes after the checksum that ends at offset %zu",
                            size - r.pos, r.pos);
  if (!intact)
    return symgnn_set_error(err, SYMGNN_ERR_CHECKSUM,
                            "checksum mismatch: stored 0x%08" PRIX32 ", computed 0x%08" PRIX32
                            " over bytes 0..%zu (the file is damaged)",
                            symgnn_le32(crc), computed, body - 1);
  return build(p, &s, out, err);
}

/* symgnn_model_read_buffer in the shape symgnn_file_parse calls. */
static symgnn_status parse_model(const void *data, size_t size, void *out, symgnn_error *err) {
  return symgnn_model_read_buffer(data, size, (symgnn_model **)out, err);
}

symgnn_status symgnn_model_read(const char *path, symgnn_model **out, symgnn_error *err) {
  if (!path || !out)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "symgnn_model_read needs a path and out");
  *out = NULL;
  return symgnn_file_parse(path, parse_model, out, err);
}
