/* Ensemble files: several models in one file, read and written as a unit
 * (doc/model-format.md, section 9). Layout, little-endian: the 8-byte
 * ensemble magic, u32 version, u32 member count M, then M times (u64 length,
 * that many bytes of a complete model file), then a CRC-32 of every byte
 * before it. Each embedded model keeps its own checksum. */
#include "symgnn_bytes.h"
#include "symgnn_crc32.h"
#include "symgnn_error.h"
#include "symgnn_file.h"
#include "symgnn_model_format.h"
#include "symgnn_model_impl.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct symgnn_ensemble {
  int n;
  symgnn_model **members;
};

static void put32(unsigned char *b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[i] = (unsigned char)(v >> (8 * i));
}
static void put64(unsigned char *b, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[i] = (unsigned char)(v >> (8 * i));
}

void symgnn_ensemble_free(symgnn_ensemble *e) {
  if (!e) return;
  for (int i = 0; i < e->n; ++i) symgnn_model_free(e->members[i]);
  free(e->members);
  free(e);
}

int symgnn_ensemble_size(const symgnn_ensemble *e) { return e->n; }

const symgnn_model *symgnn_ensemble_member(const symgnn_ensemble *e, int i) {
  return (i >= 0 && i < e->n) ? e->members[i] : NULL;
}

/* Members must predict for the same input: same element list in the same
 * order, same cutoff and units (the architectures may differ). */
static symgnn_status check_agree(const symgnn_model *a, const symgnn_model *b, int ib,
                                 symgnn_error *err) {
  const symgnn_arch *x = symgnn_model_arch(a), *y = symgnn_model_arch(b);
  int same = x->nelements == y->nelements;
  for (int k = 0; same && k < x->nelements; ++k) same = !strcmp(x->elements[k], y->elements[k]);
  if (!same)
    return symgnn_set_error(err, SYMGNN_ERR_FORMAT,
                            "member %d has other elements (or another order) than member 1: "
                            "%d elements, first '%s'; member 1 has %d, first '%s'",
                            ib + 1, y->nelements, y->elements[0], x->nelements, x->elements[0]);
  if (x->cutoff != y->cutoff)
    return symgnn_set_error(err, SYMGNN_ERR_FORMAT,
                            "member %d has cutoff %.17g Angstrom, member 1 %.17g", ib + 1,
                            y->cutoff, x->cutoff);
  if (strcmp(symgnn_model_units(a), symgnn_model_units(b)))
    return symgnn_set_error(err, SYMGNN_ERR_FORMAT, "member %d has units '%s', member 1 '%s'",
                            ib + 1, symgnn_model_units(b), symgnn_model_units(a));
  return SYMGNN_OK;
}

/* Prefix the message in err with "member k: ". */
static symgnn_status member_error(symgnn_error *err, symgnn_status st, int k) {
  if (err) {
    char msg[sizeof err->message];
    memcpy(msg, err->message, sizeof msg);
    snprintf(err->message, sizeof err->message, "member %d: %.400s", k + 1, msg);
  }
  return st;
}

/* Walk an ensemble file's bytes (header and CRC already checked) and read
 * every member into e. */
static symgnn_status read_members(const unsigned char *p, size_t size, symgnn_ensemble *e,
                                  symgnn_error *err) {
  size_t pos = SYMGNN_MODEL_MAGIC_LEN + 8;
  const size_t end = size - 4;
  for (int k = 0; k < e->n; ++k) {
    if (end - pos < 8)
      return symgnn_set_error(err, SYMGNN_ERR_TRUNC,
                              "ensemble file truncated: member %d's length field at offset %zu "
                              "runs past the checksum",
                              k + 1, pos);
    const uint64_t len = symgnn_le64(p + pos);
    pos += 8;
    if (len > end - pos)
      return symgnn_set_error(err, SYMGNN_ERR_FORMAT,
                              "member %d claims %" PRIu64 " bytes at offset %zu, only %zu remain "
                              "before the checksum",
                              k + 1, len, pos, end - pos);
    symgnn_status st = symgnn_model_read_buffer(p + pos, (size_t)len, &e->members[k], err);
    if (st != SYMGNN_OK) return member_error(err, st, k);
    if (k > 0 && (st = check_agree(e->members[0], e->members[k], k, err)) != SYMGNN_OK) return st;
    pos += (size_t)len;
  }
  if (pos != end)
    return symgnn_set_error(err, SYMGNN_ERR_FORMAT,
                            "%zu bytes between the last member and the checksum", end - pos);
  return SYMGNN_OK;
}

/* Header of an ensemble file: version and member count in range, size for
 * the fixed fields, checksum over everything before the last 4 bytes. */
static symgnn_status check_ensemble_header(const unsigned char *p, size_t size, uint32_t *n,
                                           symgnn_error *err) {
  const size_t fixed = SYMGNN_MODEL_MAGIC_LEN + 8 + 4;
  if (size < fixed)
    return symgnn_set_error(err, SYMGNN_ERR_TRUNC,
                            "ensemble file truncated: %zu bytes, the header and checksum need %zu",
                            size, fixed);
  const uint32_t version = symgnn_le32(p + SYMGNN_MODEL_MAGIC_LEN);
  if (version != SYMGNN_ENSEMBLE_FORMAT_VERSION)
    return symgnn_set_error(err, SYMGNN_ERR_VERSION,
                            "ensemble format version %" PRIu32 " (this library reads %u)", version,
                            SYMGNN_ENSEMBLE_FORMAT_VERSION);
  const uint32_t stored = symgnn_le32(p + size - 4), computed = symgnn_crc32(0, p, size - 4);
  if (stored != computed)
    return symgnn_set_error(err, SYMGNN_ERR_CHECKSUM,
                            "ensemble checksum mismatch: stored 0x%08" PRIX32
                            ", computed 0x%08" PRIX32 " (the file is damaged)",
                            stored, computed);
  *n = symgnn_le32(p + SYMGNN_MODEL_MAGIC_LEN + 4);
  if (*n < 1 || *n > SYMGNN_ENSEMBLE_MAX_MEMBERS)
    return symgnn_set_error(err, SYMGNN_ERR_FORMAT, "ensemble of %" PRIu32 " members (1 to %u)", *n,
                            SYMGNN_ENSEMBLE_MAX_MEMBERS);
  return SYMGNN_OK;
}

symgnn_status symgnn_ensemble_read_buffer(const void *data, size_t size, symgnn_ensemble **out,
                                          symgnn_error *err) {
  if (!out || (!data && size))
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "symgnn_ensemble_read_buffer needs data and out");
  *out = NULL;
  const unsigned char *p = data;
  const int is_ensemble =
      size >= SYMGNN_MODEL_MAGIC_LEN && !memcmp(p, SYMGNN_ENSEMBLE_MAGIC, SYMGNN_MODEL_MAGIC_LEN);
  uint32_t n = 1;
  symgnn_status st = SYMGNN_OK;
  if (is_ensemble && (st = check_ensemble_header(p, size, &n, err)) != SYMGNN_OK) return st;
  symgnn_ensemble *e = calloc(1, sizeof *e);
  if (e) e->members = calloc(n, sizeof *e->members);
  if (!e || !e->members) {
    free(e);
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for an ensemble");
  }
  e->n = (int)n;
  st = is_ensemble ? read_members(p, size, e, err)
                   : symgnn_model_read_buffer(data, size, &e->members[0], err);
  if (st != SYMGNN_OK) {
    symgnn_ensemble_free(e);
    return st;
  }
  *out = e;
  return SYMGNN_OK;
}

/* symgnn_ensemble_read_buffer in the shape symgnn_file_parse calls. */
static symgnn_status parse_ensemble(const void *data, size_t size, void *out, symgnn_error *err) {
  return symgnn_ensemble_read_buffer(data, size, (symgnn_ensemble **)out, err);
}

symgnn_status symgnn_ensemble_read(const char *path, symgnn_ensemble **out, symgnn_error *err) {
  if (!path || !out)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "symgnn_ensemble_read needs a path and out");
  *out = NULL;
  return symgnn_file_parse(path, parse_ensemble, out, err);
}

symgnn_status symgnn_ensemble_write(const symgnn_model *const *members, int n, const char *path,
                                    symgnn_error *err) {
  if (!members || !path || !*path || n < 2 || n > (int)SYMGNN_ENSEMBLE_MAX_MEMBERS)
    return symgnn_set_error(err, SYMGNN_ERR_ARG,
                            "symgnn_ensemble_write needs 2 to %u members and a path (got %d)",
                            SYMGNN_ENSEMBLE_MAX_MEMBERS, n);
  unsigned char **blob = calloc((size_t)n, sizeof *blob);
  size_t *len = calloc((size_t)n, sizeof *len);
  unsigned char *out = NULL;
  symgnn_status st =
      (blob && len) ? SYMGNN_OK : symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory");
  size_t total = SYMGNN_MODEL_MAGIC_LEN + 8 + 4;
  for (int k = 0; st == SYMGNN_OK && k < n; ++k) {
    if (k > 0) st = check_agree(members[0], members[k], k, err);
    if (st == SYMGNN_OK && (st = symgnn_model_serialize(members[k], &blob[k], &len[k], err)))
      st = member_error(err, st, k);
    total += 8 + len[k];
  }
  if (st == SYMGNN_OK && !(out = malloc(total)))
    st = symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory writing '%s'", path);
  if (st == SYMGNN_OK) {
    memcpy(out, SYMGNN_ENSEMBLE_MAGIC, SYMGNN_MODEL_MAGIC_LEN);
    size_t pos = SYMGNN_MODEL_MAGIC_LEN;
    put32(out + pos, SYMGNN_ENSEMBLE_FORMAT_VERSION);
    put32(out + pos + 4, (uint32_t)n);
    pos += 8;
    for (int k = 0; k < n; ++k) {
      put64(out + pos, len[k]);
      memcpy(out + pos + 8, blob[k], len[k]);
      pos += 8 + len[k];
    }
    put32(out + pos, symgnn_crc32(0, out, pos));
    st = symgnn_file_write_atomic(path, out, total, err);
  }
  for (int k = 0; blob && k < n; ++k) free(blob[k]);
  free(blob);
  free(len);
  free(out);
  return st;
}

int symgnn_ensemble_label_range(const symgnn_ensemble *e, double *lo, double *hi) {
  int found = 0;
  for (int k = 0; k < e->n; ++k) {
    double a, b;
    if (!symgnn_model_label_range(e->members[k], &a, &b)) continue;
    if (!found || a < *lo) *lo = a;
    if (!found || b > *hi) *hi = b;
    found = 1;
  }
  return found;
}

void symgnn_ensemble_reduce(int m, int64_t n, const double *const *preds, double *mean,
                            double *std) {
  for (int64_t i = 0; i < n; ++i) {
    double s = 0.0;
    for (int k = 0; k < m; ++k) s += preds[k][i];
    const double mu = s / m;
    mean[i] = mu;
    if (!std) continue;
    double v = 0.0;
    for (int k = 0; k < m; ++k) v += (preds[k][i] - mu) * (preds[k][i] - mu);
    std[i] = sqrt(v / m);
  }
}
