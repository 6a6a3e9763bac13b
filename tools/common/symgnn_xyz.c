/* Extended-XYZ reader: the first configuration of a file, its accessors, and
 * the mapping of species names to model elements. */
#include "symgnn_xyz_impl.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* Line-by-line reading with the line number of the last line read. */
typedef struct {
  FILE *f;
  char *buf;
  size_t cap;
  size_t len; /* bytes of the last line, without its line end */
  long lineno;
} line_reader;

/* Next line without its line end (LF or CRLF); NULL at end of file. */
static const char *next_line(line_reader *r) {
  ssize_t n = getline(&r->buf, &r->cap, r->f);
  if (n < 0) return NULL;
  while (n > 0 && (r->buf[n - 1] == '\n' || r->buf[n - 1] == '\r')) r->buf[--n] = '\0';
  r->lineno++;
  r->len = (size_t)n;
  return r->buf;
}

/* Growable storage for the per-atom arrays while atom lines are read. */
typedef struct {
  int cap;
  size_t text_len, text_cap;
} growth;

static int grow_atoms(symgnn_xyz *x, growth *g, int need) {
  if (need <= g->cap) return 0;
  const int cap = g->cap ? (g->cap > (1 << 29) ? need : 2 * g->cap) : (need < 1024 ? need : 1024);
  double *pos = realloc(x->positions, (size_t)cap * 3 * sizeof(double));
  if (pos) x->positions = pos;
  int *sid = realloc(x->species_id, (size_t)cap * sizeof(int));
  if (sid) x->species_id = sid;
  size_t *off = realloc(x->line_off, (size_t)cap * sizeof(size_t));
  if (off) x->line_off = off;
  double *lab = x->col_label >= 0 ? realloc(x->labels, (size_t)cap * sizeof(double)) : NULL;
  if (lab) x->labels = lab;
  if (!pos || !sid || !off || (x->col_label >= 0 && !lab)) return -1;
  g->cap = cap;
  return 0;
}

static int append_text(symgnn_xyz *x, growth *g, const char *line) {
  const size_t n = strlen(line) + 1;
  if (g->text_len + n > g->text_cap) {
    size_t cap = g->text_cap ? 2 * g->text_cap : 65536;
    while (cap < g->text_len + n) cap *= 2;
    char *t = realloc(x->text, cap);
    if (!t) return -1;
    x->text = t;
    g->text_cap = cap;
  }
  memcpy(x->text + g->text_len, line, n);
  g->text_len += n;
  return 0;
}

/* Index of a species name in the distinct-name table, adding it if new. */
static int intern_species(symgnn_xyz *x, const char *tok, size_t len) {
  for (int s = x->nspecies - 1; s >= 0; --s)
    if (strlen(x->species_names[s]) == len && memcmp(x->species_names[s], tok, len) == 0) return s;
  char **names = realloc(x->species_names, (size_t)(x->nspecies + 1) * sizeof(char *));
  if (!names) return -1;
  x->species_names = names;
  char *name = malloc(len + 1);
  if (!name) return -1;
  memcpy(name, tok, len);
  name[len] = '\0';
  names[x->nspecies] = name;
  return x->nspecies++;
}

/* A decimal real as ASE and OVITO read it: [+-]digits[.digits][(e|E)[+-]digits],
 * with a digit before or after the point. strtod alone would also take hex,
 * "inf" and "nan", which those readers refuse or which are not data. */
static int is_decimal_real(const char *t, size_t len) {
  size_t i = 0, digits = 0;
  if (i < len && (t[i] == '+' || t[i] == '-')) ++i;
  for (; i < len && isdigit((unsigned char)t[i]); ++i) ++digits;
  if (i < len && t[i] == '.')
    for (++i; i < len && isdigit((unsigned char)t[i]); ++i) ++digits;
  if (digits == 0) return 0;
  if (i < len && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < len && (t[i] == '+' || t[i] == '-')) ++i;
    size_t exp_digits = 0;
    for (; i < len && isdigit((unsigned char)t[i]); ++i) ++exp_digits;
    if (exp_digits == 0) return 0;
  }
  return i == len;
}

/* An integer: optional sign and decimal digits that fit in 64 bits. */
static int is_integer(const char *t, size_t len) {
  size_t i = (len > 0 && (t[0] == '+' || t[0] == '-')) ? 1 : 0;
  if (i == len || len - i > 18) return 0;
  for (; i < len; ++i)
    if (!isdigit((unsigned char)t[i])) return 0;
  return 1;
}

/* A logical as ASE writes and reads it: T, F, True or False. */
static int is_logical(const char *t, size_t len) {
  static const char *const words[] = {"T", "F", "True", "False", "true", "false"};
  for (size_t k = 0; k < sizeof words / sizeof words[0]; ++k)
    if (strlen(words[k]) == len && memcmp(words[k], t, len) == 0) return 1;
  return 0;
}

/* Check one token against its property type and parse reals into *v:
 * NULL when it is valid, else what is wrong with it. Every declared column is
 * checked, used or not, so the writer only ever copies valid values. */
static const char *check_token(char type, const char *tok, size_t len, double *v) {
  switch (toupper((unsigned char)type)) {
  case 'R':
    if (!is_decimal_real(tok, len)) return "is not a real number";
    *v = strtod(tok, NULL);
    return isfinite(*v) ? NULL : "is not finite";
  case 'I': return is_integer(tok, len) ? NULL : "is not an integer";
  case 'L': return is_logical(tok, len) ? NULL : "is not a logical (T, F, True or False)";
  default: return NULL;
  }
}

/* Parse atom `i` from its line: column count, the type of every column, then
 * species, position and label. Columns count from 1 in messages. */
static int parse_atom(symgnn_xyz *x, int i, const char *line, long lineno, char *msg,
                      size_t msglen) {
  int ntok = 0;
  for (const char *p = line; *p;) {
    while (isspace((unsigned char)*p)) ++p;
    if (!*p) break;
    ++ntok;
    while (*p && !isspace((unsigned char)*p)) ++p;
  }
  if (ntok != x->ncols)
    return symgnn_xyz_fail(msg, msglen,
                           "line %ld (atom %d): %d columns, but Properties declares %d", lineno,
                           i + 1, ntok, x->ncols);
  const char *p = line;
  for (int k = 0; k < x->nprops; ++k) {
    const symgnn_xyz_prop *pr = &x->props[k];
    for (int c = pr->first; c < pr->first + pr->ncols; ++c) {
      while (isspace((unsigned char)*p)) ++p;
      const char *tok = p;
      while (*p && !isspace((unsigned char)*p)) ++p;
      const size_t len = (size_t)(p - tok);
      double v = 0.0;
      const char *bad = check_token(pr->type, tok, len, &v);
      if (bad)
        return symgnn_xyz_fail(msg, msglen, "line %ld (atom %d), column %d (%s:%c:%d): '%.*s' %s",
                               lineno, i + 1, c + 1, pr->name, pr->type, pr->ncols,
                               len > 40 ? 40 : (int)len, tok, bad);
      if (c == x->col_species) {
        const int s = intern_species(x, tok, len);
        if (s < 0) return symgnn_xyz_fail(msg, msglen, "out of memory for species names");
        x->species_id[i] = s;
      } else if (c >= x->col_pos && c < x->col_pos + 3) {
        if (fabs(v) > SYMGNN_MAX_COORDINATE) /* the graph builder's rule, with the line */
          return symgnn_xyz_fail(msg, msglen,
                                 "line %ld (atom %d), column %d (pos:R:3): coordinate '%.*s' is "
                                 "beyond %g A in magnitude",
                                 lineno, i + 1, c + 1, len > 40 ? 40 : (int)len, tok,
                                 SYMGNN_MAX_COORDINATE);
        x->positions[3 * i + (c - x->col_pos)] = v;
      } else if (c == x->col_label) {
        x->labels[i] = toupper((unsigned char)pr->type) == 'I' ? strtod(tok, NULL) : v;
      }
    }
  }
  return 0;
}

/* Every byte of lines 1 and 2 and of the atom lines must be printable text:
 * a tab, or no control character, and valid UTF-8, so that what the writer
 * copies is readable by ASE and OVITO. */
static int check_text(const char *line, size_t n, long lineno, char *msg, size_t msglen) {
  for (size_t i = 0; i < n;) {
    const unsigned char c = (unsigned char)line[i];
    size_t more = 0;
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t') || c == 0x7f)
        return symgnn_xyz_fail(msg, msglen, "line %ld: byte %zu is the control character 0x%02x",
                               lineno, i + 1, c);
    } else if (c >= 0xc2 && c <= 0xdf) {
      more = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      more = 2;
    } else if (c >= 0xf0 && c <= 0xf4) {
      more = 3;
    } else {
      more = 4; /* an invalid lead byte */
    }
    int ok = more < 4 && i + more < n;
    for (size_t k = 1; ok && k <= more; ++k) ok = ((unsigned char)line[i + k] & 0xc0) == 0x80;
    /* Overlong three- and four-byte forms, surrogates and code points past U+10FFFF. */
    if (ok && more >= 2) {
      const unsigned char d = (unsigned char)line[i + 1];
      ok = !(c == 0xe0 && d < 0xa0) && !(c == 0xed && d >= 0xa0) && !(c == 0xf0 && d < 0x90) &&
           !(c == 0xf4 && d >= 0x90);
    }
    if (!ok)
      return symgnn_xyz_fail(msg, msglen, "line %ld: byte %zu (0x%02x) is not valid UTF-8 text",
                             lineno, i + 1, c);
    i += more + 1;
  }
  return 0;
}

/* Line 1: a positive atom count and nothing else. */
static int parse_count(const char *line, int *natoms, char *msg, size_t msglen) {
  char *end;
  errno = 0;
  const long n = strtol(line, &end, 10);
  const char *rest = end;
  while (isspace((unsigned char)*rest)) ++rest;
  if (end == line || *rest || errno || n < 1 || n > 100000000)
    return symgnn_xyz_fail(
        msg, msglen, "line 1: atom count '%.40s' is not a positive integer (at most 1e8)", line);
  *natoms = (int)n;
  return 0;
}

/* Read lines 1 and 2 and every atom line into x. */
static int read_frame(symgnn_xyz *x, line_reader *r, const char *label_col, char *msg,
                      size_t msglen) {
  const char *line = next_line(r);
  if (!line) return symgnn_xyz_fail(msg, msglen, "file is empty (line 1: atom count)");
  if (check_text(line, r->len, r->lineno, msg, msglen)) return -1;
  if (parse_count(line, &x->natoms, msg, msglen)) return -1;
  if (!(line = next_line(r)))
    return symgnn_xyz_fail(msg, msglen, "line 2: file ends before the header line");
  if (check_text(line, r->len, r->lineno, msg, msglen)) return -1;
  if (symgnn_xyz_parse_header(x, line, label_col, msg, msglen)) return -1;
  growth g = {0, 0, 0};
  for (int i = 0; i < x->natoms; ++i) {
    if (!(line = next_line(r)))
      return symgnn_xyz_fail(msg, msglen,
                             "line %ld: file ends after %d atom lines, but line 1 declares %d "
                             "atoms",
                             r->lineno + 1, i, x->natoms);
    if (grow_atoms(x, &g, i + 1))
      return symgnn_xyz_fail(msg, msglen, "out of memory for %d atoms", x->natoms);
    if (check_text(line, r->len, r->lineno, msg, msglen) ||
        parse_atom(x, i, line, r->lineno, msg, msglen))
      return -1;
    x->line_off[i] = g.text_len;
    if (append_text(x, &g, line))
      return symgnn_xyz_fail(msg, msglen, "out of memory for the atom lines");
  }
  return 0;
}

/* Every read error starts with the file name: tools read several files. */
static void prefix_path(char *msg, size_t msglen, const char *path) {
  if (!msg || msglen == 0) return;
  char *copy = strdup(msg);
  if (copy) snprintf(msg, msglen, "%s: %s", path, copy);
  free(copy);
}

int symgnn_xyz_read_stream(FILE *f, const char *name, const char *label_col, symgnn_xyz **out,
                           char *msg, size_t msglen) {
  *out = NULL;
  line_reader r = {f, NULL, 0, 0, 0};
  symgnn_xyz *x = calloc(1, sizeof *x);
  int rc = x ? 0 : symgnn_xyz_fail(msg, msglen, "out of memory");
  if (x) {
    x->col_label = -1;
    rc = read_frame(x, &r, label_col, msg, msglen);
  }
  if (!rc && ferror(f)) rc = symgnn_xyz_fail(msg, msglen, "read error: %s", strerror(errno));
  free(r.buf);
  if (rc) {
    symgnn_xyz_free(x);
    prefix_path(msg, msglen, name);
    return -1;
  }
  *out = x;
  return 0;
}

int symgnn_xyz_read(const char *path, const char *label_col, symgnn_xyz **out, char *msg,
                    size_t msglen) {
  *out = NULL;
  FILE *f = fopen(path, "r");
  if (!f) return symgnn_xyz_fail(msg, msglen, "%s: cannot open: %s", path, strerror(errno));
  const int rc = symgnn_xyz_read_stream(f, path, label_col, out, msg, msglen);
  fclose(f);
  return rc;
}

void symgnn_xyz_free(symgnn_xyz *x) {
  if (!x) return;
  free(x->positions);
  free(x->labels);
  free(x->species_id);
  for (int s = 0; s < x->nspecies; ++s) free(x->species_names[s]);
  free(x->species_names);
  free(x->header);
  for (int p = 0; p < x->nprops; ++p) free(x->props[p].name);
  free(x->props);
  free(x->text);
  free(x->line_off);
  free(x);
}

int symgnn_xyz_natoms(const symgnn_xyz *x) { return x->natoms; }
const double *symgnn_xyz_lattice(const symgnn_xyz *x) { return x->lattice; }
const double *symgnn_xyz_positions(const symgnn_xyz *x) { return x->positions; }
const char *symgnn_xyz_species(const symgnn_xyz *x, int i) {
  return (i >= 0 && i < x->natoms) ? x->species_names[x->species_id[i]] : NULL;
}
int symgnn_xyz_has_label(const symgnn_xyz *x) { return x->col_label >= 0; }
const double *symgnn_xyz_labels(const symgnn_xyz *x) { return x->labels; }

/* Names are distinct and the model's element names too, so every species
 * that maps is a different element: at most SYMGNN_MAX_ELEMENTS of them. */
int symgnn_xyz_species_indices(const symgnn_xyz *x, const symgnn_model *model, int *idx, char *msg,
                               size_t msglen) {
  int map[SYMGNN_MAX_ELEMENTS] = {0};
  for (int s = 0; s < x->nspecies; ++s) {
    const int e = symgnn_model_element_index(model, x->species_names[s]);
    if (e < 0) {
      const symgnn_arch *arch = symgnn_model_arch(model);
      char list[SYMGNN_MAX_ELEMENTS * (SYMGNN_NAME_LEN + 1) + 1] = "";
      for (int k = 0; k < arch->nelements; ++k) {
        strcat(list, " ");
        strcat(list, arch->elements[k]);
      }
      int first = 0;
      while (x->species_id[first] != s) ++first;
      return symgnn_xyz_fail(msg, msglen,
                             "unknown species '%s' (atom %d, line %d): the model's elements "
                             "are%s",
                             x->species_names[s], first + 1, first + 3, list);
    }
    map[s] = e;
  }
  for (int i = 0; i < x->natoms; ++i) idx[i] = map[x->species_id[i]];
  return 0;
}
