/* Extended-XYZ header (line 2): key=value pairs, the Lattice, the pbc flags and
 * the Properties column description. */
#include "symgnn_xyz_impl.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One key=value pair of the header; value is unquoted and unescaped. */
typedef struct {
  char *key;
  char *value;
  size_t begin, end; /* raw value text (quotes included) in the header line */
} kv_entry;

/* Shared by the reader and the writer: format a message, return -1. */
int symgnn_xyz_fail(char *msg, size_t msglen, const char *fmt, ...) {
  if (msg && msglen > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msglen, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static char *dup_range(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

static void free_entries(kv_entry *e, int n) {
  for (int i = 0; i < n; ++i) {
    free(e[i].key);
    free(e[i].value);
  }
  free(e);
}

/* Copy a double-quoted value starting at line[p] (the opening quote) with \"
 * and \\ unescaped; sets *end past the closing quote. NULL when unterminated. */
static char *read_quoted(const char *line, size_t p, size_t *end) {
  const size_t n = strlen(line);
  char *v = malloc(n - p + 1);
  if (!v) return NULL;
  size_t k = 0, q = p + 1;
  for (; line[q] && line[q] != '"'; ++q) {
    if (line[q] == '\\' && (line[q + 1] == '"' || line[q + 1] == '\\')) ++q;
    v[k++] = line[q];
  }
  if (line[q] != '"') {
    free(v);
    return NULL;
  }
  v[k] = '\0';
  *end = q + 1;
  return v;
}

/* End of a bracketed value ([...] or {...}) starting at line[p], or 0 when the
 * bracket is never closed. Brackets keep ASE array values with blanks whole. */
static size_t bracket_end(const char *line, size_t p) {
  const char open = line[p], close = open == '[' ? ']' : '}';
  int depth = 0;
  for (size_t q = p; line[q]; ++q) {
    if (line[q] == open) ++depth;
    if (line[q] == close && --depth == 0) return q + 1;
  }
  return 0;
}

/* Split the header into key=value entries (a key without '=' is a flag with an
 * empty value), remembering where each raw value sits so the writer can keep
 * everything but Properties byte for byte. */
static int split_header(const char *line, kv_entry **out, int *nout, char *msg, size_t msglen) {
  kv_entry *e = NULL;
  int n = 0, cap = 0;
  size_t p = 0;
  for (;;) {
    while (isspace((unsigned char)line[p])) ++p;
    if (!line[p]) break;
    if (n == cap) {
      cap = cap ? 2 * cap : 8;
      kv_entry *grown = realloc(e, (size_t)cap * sizeof *e);
      if (!grown) {
        free_entries(e, n);
        return symgnn_xyz_fail(msg, msglen, "out of memory reading the header");
      }
      e = grown;
    }
    const size_t k0 = p;
    while (line[p] && line[p] != '=' && !isspace((unsigned char)line[p])) ++p;
    if (p == k0) {
      free_entries(e, n);
      return symgnn_xyz_fail(msg, msglen, "line 2: '=' without a key at character %zu", p + 1);
    }
    kv_entry *cur = &e[n];
    cur->key = dup_range(line + k0, p - k0);
    cur->value = NULL;
    size_t q = p;
    while (line[q] == ' ' || line[q] == '\t') ++q;
    if (line[q] == '=') {
      q++;
      while (line[q] == ' ' || line[q] == '\t') ++q;
      cur->begin = q;
      if (line[q] == '"') {
        cur->value = read_quoted(line, q, &cur->end);
        if (!cur->value && cur->key) {
          const int bad = symgnn_xyz_fail(msg, msglen,
                                          "line 2: the quoted value of key '%s' has no closing "
                                          "double quote",
                                          cur->key);
          free_entries(e, n + 1);
          return bad;
        }
      } else {
        size_t v1 = q;
        if (line[q] == '[' || line[q] == '{') {
          v1 = bracket_end(line, q);
          if (v1 == 0) {
            const int bad = symgnn_xyz_fail(msg, msglen, "line 2: key '%s' has an unclosed '%c'",
                                            cur->key ? cur->key : "?", line[q]);
            free_entries(e, n + 1);
            return bad;
          }
        } else {
          while (line[v1] && !isspace((unsigned char)line[v1])) ++v1;
        }
        cur->value = dup_range(line + q, v1 - q);
        cur->end = v1;
      }
      p = cur->end;
    } else {
      cur->begin = cur->end = p;
      cur->value = dup_range("", 0);
    }
    ++n;
    if (!cur->key || !cur->value) {
      free_entries(e, n);
      return symgnn_xyz_fail(msg, msglen, "out of memory reading the header");
    }
  }
  *out = e;
  *nout = n;
  return 0;
}

/* Index of the entry whose key matches `key` (case-insensitive, as ASE and
 * OVITO accept), -1 when absent, -2 when it appears twice. */
static int find_key(const kv_entry *e, int n, const char *key) {
  int found = -1;
  for (int i = 0; i < n; ++i)
    if (strcasecmp(e[i].key, key) == 0) {
      if (found >= 0) return -2;
      found = i;
    }
  return found;
}

/* Nine finite numbers, rows a, b, c, spanning a non-degenerate cell. */
static int parse_lattice(const char *value, double lat[9], char *msg, size_t msglen) {
  const char *p = value;
  int n = 0;
  for (;;) {
    while (isspace((unsigned char)*p)) ++p;
    if (!*p) break;
    char *end;
    const double v = strtod(p, &end);
    if (end == p || (*end && !isspace((unsigned char)*end))) {
      const char *tok_end = p;
      while (*tok_end && !isspace((unsigned char)*tok_end)) ++tok_end;
      return symgnn_xyz_fail(msg, msglen, "line 2: Lattice entry '%.*s' is not a number",
                             (int)(tok_end - p), p);
    }
    if (n < 9) lat[n] = v;
    ++n;
    p = end;
  }
  if (n != 9)
    return symgnn_xyz_fail(msg, msglen,
                           "line 2: Lattice has %d numbers, expected 9 (cell vectors a, b, c)", n);
  for (int i = 0; i < 9; ++i)
    if (!isfinite(lat[i]))
      return symgnn_xyz_fail(msg, msglen, "line 2: Lattice entry %d is not finite", i + 1);
    else if (fabs(lat[i]) > SYMGNN_MAX_COORDINATE)
      return symgnn_xyz_fail(msg, msglen,
                             "line 2: Lattice entry %d (%g) is beyond %g A in magnitude", i + 1,
                             lat[i], SYMGNN_MAX_COORDINATE);
  const double *a = lat, *b = lat + 3, *c = lat + 6;
  const double det = a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) +
                     a[2] * (b[0] * c[1] - b[1] * c[0]);
  const double la = sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
  const double lb = sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2]);
  const double lc = sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
  /* Relative test: the volume against the box of the vector lengths. */
  if (!(fabs(det) > 1e-6 * la * lb * lc) || la == 0.0 || lb == 0.0 || lc == 0.0)
    return symgnn_xyz_fail(msg, msglen,
                           "line 2: Lattice is degenerate (cell volume %g A^3): the cell vectors "
                           "are zero or (nearly) coplanar",
                           det);
  return 0;
}

/* pbc must hold three flags, all true: the graph builder needs a full cell. */
static int check_pbc(const char *value, char *msg, size_t msglen) {
  char flag[3][8];
  char extra[2];
  const int n = sscanf(value, "%7s %7s %7s %1s", flag[0], flag[1], flag[2], extra);
  int periodic = n == 3;
  for (int i = 0; i < 3 && n == 3; ++i) {
    const int t =
        !strcasecmp(flag[i], "T") || !strcasecmp(flag[i], "true") || !strcmp(flag[i], "1");
    const int f =
        !strcasecmp(flag[i], "F") || !strcasecmp(flag[i], "false") || !strcmp(flag[i], "0");
    if (!t && !f) periodic = -1;
    if (f && periodic == 1) periodic = 0;
  }
  if (n != 3 || periodic < 0)
    return symgnn_xyz_fail(msg, msglen, "line 2: pbc=\"%s\" must hold three T/F flags", value);
  if (!periodic)
    return symgnn_xyz_fail(msg, msglen,
                           "line 2: pbc=\"%s\": non-periodic input is not supported; the cell "
                           "must be periodic in all three directions (pbc=\"T T T\")",
                           value);
  return 0;
}

/* Split name:type:ncols triples into xyz->props and assign column indices. */
static int parse_properties(symgnn_xyz *x, const char *value, char *msg, size_t msglen) {
  int nfields = 1;
  for (const char *c = value; *c; ++c) nfields += *c == ':';
  if (nfields % 3 != 0)
    return symgnn_xyz_fail(
        msg, msglen, "line 2: Properties=\"%s\" is not a list of name:type:ncols triples", value);
  x->props = calloc((size_t)(nfields / 3), sizeof *x->props);
  if (!x->props) return symgnn_xyz_fail(msg, msglen, "out of memory reading Properties");
  const char *p = value;
  int col = 0;
  for (int i = 0; i < nfields / 3; ++i) {
    const char *f[3];
    size_t len[3];
    for (int k = 0; k < 3; ++k) {
      const char *colon = strchr(p, ':');
      len[k] = colon ? (size_t)(colon - p) : strlen(p);
      f[k] = p;
      p += len[k] + (colon ? 1 : 0);
    }
    symgnn_xyz_prop *pr = &x->props[i];
    pr->name = dup_range(f[0], len[0]);
    x->nprops = i + 1;
    if (!pr->name) return symgnn_xyz_fail(msg, msglen, "out of memory reading Properties");
    if (len[0] == 0)
      return symgnn_xyz_fail(msg, msglen, "line 2: property %d in Properties has an empty name",
                             i + 1);
    pr->type = len[1] == 1 ? f[1][0] : '?';
    if (!strchr("SRILsril", pr->type))
      return symgnn_xyz_fail(msg, msglen,
                             "line 2: property '%s' has type '%.*s', expected S, R, I or L",
                             pr->name, (int)len[1], f[1]);
    char *end;
    const long nc = strtol(f[2], &end, 10);
    if (end != f[2] + len[2] || len[2] == 0 || nc < 1 || nc > 100000 || col > 1000000)
      return symgnn_xyz_fail(msg, msglen, "line 2: property '%s' has column count '%.*s'", pr->name,
                             (int)len[2], f[2]);
    for (int j = 0; j < i; ++j)
      if (strcmp(x->props[j].name, pr->name) == 0)
        return symgnn_xyz_fail(msg, msglen, "line 2: property '%s' appears twice in Properties",
                               pr->name);
    pr->ncols = (int)nc;
    pr->first = col;
    col += (int)nc;
  }
  x->ncols = col;
  return 0;
}

/* Locate the property `name`; check its type (one of `types`) and width. */
static int find_column(const symgnn_xyz *x, const char *name, const char *types, int ncols,
                       int *first, char *msg, size_t msglen) {
  *first = -1;
  for (int i = 0; i < x->nprops; ++i) {
    const symgnn_xyz_prop *pr = &x->props[i];
    if (strcmp(pr->name, name) != 0) continue;
    if (!strchr(types, toupper((unsigned char)pr->type)) || pr->ncols != ncols)
      return symgnn_xyz_fail(msg, msglen, "line 2: column '%s' is %s:%c:%d, expected %s:%c:%d",
                             name, name, pr->type, pr->ncols, name, types[0], ncols);
    *first = pr->first;
  }
  return 0;
}

/* Extract the needed keys of line 2 into xyz. */
static int parse_entries(symgnn_xyz *x, const kv_entry *e, int n, const char *label_col, char *msg,
                         size_t msglen) {
  static const char *const keys[3] = {"Lattice", "pbc", "Properties"};
  int at[3];
  for (int k = 0; k < 3; ++k) {
    at[k] = find_key(e, n, keys[k]);
    if (at[k] == -2) return symgnn_xyz_fail(msg, msglen, "line 2: key '%s' appears twice", keys[k]);
  }
  if (at[0] < 0)
    return symgnn_xyz_fail(msg, msglen,
                           "line 2: no Lattice=\"ax ay az bx by bz cx cy cz\" key; a periodic "
                           "cell is required");
  if (parse_lattice(e[at[0]].value, x->lattice, msg, msglen)) return -1;
  /* Without pbc, a Lattice means periodic in all directions (ASE's convention). */
  if (at[1] >= 0 && check_pbc(e[at[1]].value, msg, msglen)) return -1;
  if (at[2] < 0)
    return symgnn_xyz_fail(msg, msglen,
                           "line 2: no Properties=... key; it must list at least species:S:1 "
                           "and pos:R:3");
  x->props_begin = e[at[2]].begin;
  x->props_end = e[at[2]].end;
  if (parse_properties(x, e[at[2]].value, msg, msglen)) return -1;
  if (find_column(x, "species", "S", 1, &x->col_species, msg, msglen) ||
      find_column(x, "pos", "R", 3, &x->col_pos, msg, msglen))
    return -1;
  if (x->col_species < 0)
    return symgnn_xyz_fail(msg, msglen, "line 2: Properties has no species:S:1 column");
  if (x->col_pos < 0)
    return symgnn_xyz_fail(msg, msglen, "line 2: Properties has no pos:R:3 column");
  x->col_label = -1;
  if (label_col && find_column(x, label_col, "RI", 1, &x->col_label, msg, msglen)) return -1;
  return 0;
}

int symgnn_xyz_parse_header(symgnn_xyz *x, const char *line, const char *label_col, char *msg,
                            size_t msglen) {
  kv_entry *e = NULL;
  int n = 0;
  if (split_header(line, &e, &n, msg, msglen)) return -1;
  const int rc = parse_entries(x, e, n, label_col, msg, msglen);
  free_entries(e, n);
  if (rc) return -1;
  x->header = dup_range(line, strlen(line));
  if (!x->header) return symgnn_xyz_fail(msg, msglen, "out of memory reading the header");
  return 0;
}
