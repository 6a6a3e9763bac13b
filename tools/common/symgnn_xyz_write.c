/* Extended-XYZ writer: the configuration that was read, with per-atom real
 * columns appended (or replaced), written under a temporary name and renamed. */
#include "symgnn_xyz_impl.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A property name must survive the Properties syntax and whitespace splitting. */
static int valid_colname(const char *name) {
  if (!name || !*name) return 0;
  for (const char *c = name; *c; ++c)
    if (*c <= ' ' || *c > '~' || *c == ':' || *c == '"' || *c == '=' || *c == '\\') return 0;
  return 1;
}

/* Index of the property called `name`, -1 when absent. */
static int find_prop(const symgnn_xyz *x, const char *name) {
  for (int p = 0; p < x->nprops; ++p)
    if (strcmp(x->props[p].name, name) == 0) return p;
  return -1;
}

/* The column of new values that replaces property p, -1 when it stays. */
static int replacing(const int *rep, int ncols, int p) {
  for (int k = 0; k < ncols; ++k)
    if (rep[k] == p) return k;
  return -1;
}

/* The new Properties value: the old triples, each replaced one (rep[k] == p)
 * becoming names[k]:R:1, then the new ones (rep[k] < 0). Caller frees. */
static char *build_properties(const symgnn_xyz *x, int ncols, const int *rep,
                              const char *const *names) {
  size_t len = 32;
  for (int k = 0; k < ncols; ++k) len += strlen(names[k]) + 32;
  for (int p = 0; p < x->nprops; ++p) len += strlen(x->props[p].name) + 32;
  char *s = malloc(len);
  if (!s) return NULL;
  size_t at = 0;
  for (int p = 0; p < x->nprops; ++p) {
    const int k = replacing(rep, ncols, p);
    if (k >= 0)
      at += (size_t)snprintf(s + at, len - at, "%s%s:R:1", p ? ":" : "", names[k]);
    else
      at += (size_t)snprintf(s + at, len - at, "%s%s:%c:%d", p ? ":" : "", x->props[p].name,
                             x->props[p].type, x->props[p].ncols);
  }
  for (int k = 0; k < ncols; ++k)
    if (rep[k] < 0) at += (size_t)snprintf(s + at, len - at, ":%s:R:1", names[k]);
  return s;
}

/* Byte range of columns first..first+ncols-1 of an atom line. */
static void column_span(const char *line, int first, int ncols, size_t *begin, size_t *end) {
  const char *p = line;
  for (int c = 0; c < first + ncols; ++c) {
    while (isspace((unsigned char)*p)) ++p;
    if (c == first) *begin = (size_t)(p - line);
    while (*p && !isspace((unsigned char)*p)) ++p;
  }
  *end = (size_t)(p - line);
}

/* Everything after the temporary file is open: header, atoms (replaced
 * columns rewritten in place, new ones appended), flush to disk. */
static int write_body(const symgnn_xyz *x, FILE *f, int ncols, const int *rep, const char *props,
                      const double *const *values) {
  fprintf(f, "%d\n", x->natoms);
  fprintf(f, "%.*s%s%s\n", (int)x->props_begin, x->header, props, x->header + x->props_end);
  for (int i = 0; i < x->natoms; ++i) {
    const char *line = x->text + x->line_off[i];
    size_t at = 0;
    for (int p = 0; p < x->nprops; ++p) { /* properties are in column order */
      const int k = replacing(rep, ncols, p);
      if (k < 0) continue;
      size_t b = 0, e = 0;
      column_span(line, x->props[p].first, x->props[p].ncols, &b, &e);
      fprintf(f, "%.*s%.8g", (int)(b - at), line + at, values[k][i]);
      at = e;
    }
    fputs(line + at, f);
    for (int k = 0; k < ncols; ++k)
      if (rep[k] < 0) fprintf(f, " %.8g", values[k][i]);
    fputc('\n', f);
  }
  if (fflush(f) != 0 || ferror(f)) return -1;
  return fsync(fileno(f));
}

int symgnn_xyz_write_with_column(const symgnn_xyz *x, const char *path, const char *colname,
                                 const double *values, char *msg, size_t msglen) {
  return symgnn_xyz_write_with_columns(x, path, 1, &colname, &values, msg, msglen);
}

/* Names valid, distinct and not species or pos; values finite. */
static int check_columns(const symgnn_xyz *x, int ncols, const char *const *names,
                         const double *const *values, char *msg, size_t msglen) {
  if (ncols < 1 || ncols > 8)
    return symgnn_xyz_fail(msg, msglen, "%d new columns (1 to 8 can be written)", ncols);
  for (int k = 0; k < ncols; ++k) {
    if (!valid_colname(names[k]))
      return symgnn_xyz_fail(msg, msglen,
                             "column name '%s' is empty or has blanks, ':', '=', '\"' or '\\'",
                             names[k] ? names[k] : "(null)");
    if (!strcmp(names[k], "species") || !strcmp(names[k], "pos"))
      return symgnn_xyz_fail(msg, msglen, "column '%s' cannot be replaced", names[k]);
    for (int j = 0; j < k; ++j)
      if (!strcmp(names[j], names[k]))
        return symgnn_xyz_fail(msg, msglen, "column '%s' is given twice", names[k]);
    for (int i = 0; i < x->natoms; ++i)
      if (!isfinite(values[k][i]))
        return symgnn_xyz_fail(msg, msglen, "value of column '%s' for atom %d is not finite",
                               names[k], i + 1);
  }
  return 0;
}

int symgnn_xyz_write_with_columns(const symgnn_xyz *x, const char *path, int ncols,
                                  const char *const *names, const double *const *values, char *msg,
                                  size_t msglen) {
  if (check_columns(x, ncols, names, values, msg, msglen)) return -1;
  int rep[8];
  for (int k = 0; k < ncols; ++k) rep[k] = find_prop(x, names[k]);
  char *props = build_properties(x, ncols, rep, names);
  const size_t plen = strlen(path);
  char *tmp = malloc(plen + 16);
  if (!props || !tmp) {
    free(props);
    free(tmp);
    return symgnn_xyz_fail(msg, msglen, "out of memory writing '%s'", path);
  }
  snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
  const int fd = mkstemp(tmp);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  int rc = 0;
  if (!f) {
    rc = symgnn_xyz_fail(msg, msglen, "cannot create a temporary file next to '%s': %s", path,
                         strerror(errno));
    if (fd >= 0) close(fd);
  } else {
    const int bad = write_body(x, f, ncols, rep, props, values) != 0 || fchmod(fd, 0644) != 0;
    const int err = errno;
    if (fclose(f) != 0 || bad)
      rc = symgnn_xyz_fail(msg, msglen, "cannot write '%s' (via the temporary '%s'): %s", path, tmp,
                           strerror(bad ? err : errno));
    else if (rename(tmp, path) != 0)
      rc = symgnn_xyz_fail(msg, msglen, "cannot rename '%s' to '%s': %s", tmp, path,
                           strerror(errno));
  }
  if (rc && fd >= 0) unlink(tmp);
  free(props);
  free(tmp);
  return rc;
}
