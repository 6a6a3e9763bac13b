/* Extended-XYZ writer: the configuration that was read, with one per-atom real
 * column appended (or replaced), written under a temporary name and renamed. */
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

/* The new Properties value: the old triples with `rep` (or a new last one)
 * being colname:R:1. Caller frees. */
static char *build_properties(const symgnn_xyz *x, int rep, const char *colname) {
  size_t len = strlen(colname) + 32;
  for (int p = 0; p < x->nprops; ++p) len += strlen(x->props[p].name) + 32;
  char *s = malloc(len);
  if (!s) return NULL;
  size_t at = 0;
  for (int p = 0; p < x->nprops; ++p) {
    if (p == rep)
      at += (size_t)snprintf(s + at, len - at, "%s%s:R:1", p ? ":" : "", colname);
    else
      at += (size_t)snprintf(s + at, len - at, "%s%s:%c:%d", p ? ":" : "", x->props[p].name,
                             x->props[p].type, x->props[p].ncols);
  }
  if (rep < 0) snprintf(s + at, len - at, ":%s:R:1", colname);
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

/* Everything after the temporary file is open: header, atoms, flush to disk. */
static int write_body(const symgnn_xyz *x, FILE *f, int rep, const char *props,
                      const double *values) {
  fprintf(f, "%d\n", x->natoms);
  fprintf(f, "%.*s%s%s\n", (int)x->props_begin, x->header, props, x->header + x->props_end);
  for (int i = 0; i < x->natoms; ++i) {
    const char *line = x->text + x->line_off[i];
    if (rep >= 0) {
      size_t b = 0, e = 0;
      column_span(line, x->props[rep].first, x->props[rep].ncols, &b, &e);
      fprintf(f, "%.*s%.8g%s\n", (int)b, line, values[i], line + e);
    } else {
      fprintf(f, "%s %.8g\n", line, values[i]);
    }
  }
  if (fflush(f) != 0 || ferror(f)) return -1;
  return fsync(fileno(f));
}

int symgnn_xyz_write_with_column(const symgnn_xyz *x, const char *path, const char *colname,
                                 const double *values, char *msg, size_t msglen) {
  if (!valid_colname(colname))
    return symgnn_xyz_fail(msg, msglen,
                           "column name '%s' is empty or has blanks, ':', '=', '\"' or '\\'",
                           colname ? colname : "(null)");
  if (!strcmp(colname, "species") || !strcmp(colname, "pos"))
    return symgnn_xyz_fail(msg, msglen, "column '%s' cannot be replaced", colname);
  for (int i = 0; i < x->natoms; ++i)
    if (!isfinite(values[i]))
      return symgnn_xyz_fail(msg, msglen, "value of column '%s' for atom %d is not finite", colname,
                             i + 1);
  const int rep = find_prop(x, colname);
  char *props = build_properties(x, rep, colname);
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
    const int bad = write_body(x, f, rep, props, values) != 0 || fchmod(fd, 0644) != 0;
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
