/* Typed accessors over a libyaml document; every failure names the file, the
 * line and the dotted key, so config mistakes are found without guessing. */
#include "symgnn_tr_yaml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int symgnn_tr_yaml_line(const yaml_node_t *node) { return (int)node->start_mark.line + 1; }

int symgnn_tr_yaml_fail(const symgnn_tr_yaml *y, const yaml_node_t *node, const char *fmt, ...) {
  if (!y->msg || y->msglen == 0) return -1;
  int n = node ? snprintf(y->msg, y->msglen, "%s:%d: ", y->path, symgnn_tr_yaml_line(node))
               : snprintf(y->msg, y->msglen, "%s: ", y->path);
  if (n < 0 || (size_t)n >= y->msglen) return -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(y->msg + n, y->msglen - (size_t)n, fmt, ap);
  va_end(ap);
  return -1;
}

/* Text of a scalar node (NUL-terminated by libyaml). */
static const char *scalar_text(const yaml_node_t *node) {
  return (const char *)node->data.scalar.value;
}

int symgnn_tr_yaml_is_null(const yaml_node_t *node) {
  if (node->type != YAML_SCALAR_NODE) return 0;
  if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
  const char *t = scalar_text(node);
  return !*t || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") || !strcmp(t, "NULL");
}

static const char *type_name(const yaml_node_t *node) {
  switch (node->type) {
  case YAML_MAPPING_NODE: return "a mapping";
  case YAML_SEQUENCE_NODE: return "a list";
  default: return "a scalar";
  }
}

int symgnn_tr_yaml_string(const symgnn_tr_yaml *y, const yaml_node_t *node, const char *what,
                          const char **out) {
  if (node->type != YAML_SCALAR_NODE || symgnn_tr_yaml_is_null(node))
    return symgnn_tr_yaml_fail(y, node, "'%s' must be a text value, got %s", what,
                               node->type == YAML_SCALAR_NODE ? "null" : type_name(node));
  *out = scalar_text(node);
  return 0;
}

int symgnn_tr_yaml_double(const symgnn_tr_yaml *y, const yaml_node_t *node, const char *what,
                          double *out) {
  if (node->type != YAML_SCALAR_NODE)
    return symgnn_tr_yaml_fail(y, node, "'%s' must be a number, got %s", what, type_name(node));
  const char *t = scalar_text(node);
  char *end = NULL;
  errno = 0;
  const double v = strtod(t, &end);
  if (!*t || end == t || *end || errno == ERANGE || !isfinite(v))
    return symgnn_tr_yaml_fail(y, node, "'%s' must be a finite number, got '%s'", what, t);
  *out = v;
  return 0;
}

int symgnn_tr_yaml_int(const symgnn_tr_yaml *y, const yaml_node_t *node, const char *what, long lo,
                       long hi, int *out) {
  if (node->type != YAML_SCALAR_NODE)
    return symgnn_tr_yaml_fail(y, node, "'%s' must be an integer, got %s", what, type_name(node));
  const char *t = scalar_text(node);
  char *end = NULL;
  errno = 0;
  const long v = strtol(t, &end, 10);
  if (!*t || end == t || *end || errno == ERANGE)
    return symgnn_tr_yaml_fail(y, node, "'%s' must be an integer, got '%s'", what, t);
  if (v < lo || v > hi)
    return symgnn_tr_yaml_fail(y, node, "'%s' = %ld is outside %ld..%ld", what, v, lo, hi);
  *out = (int)v;
  return 0;
}

int symgnn_tr_yaml_u64(const symgnn_tr_yaml *y, const yaml_node_t *node, const char *what,
                       uint64_t *out) {
  if (node->type != YAML_SCALAR_NODE)
    return symgnn_tr_yaml_fail(y, node, "'%s' must be a non-negative integer, got %s", what,
                               type_name(node));
  const char *t = scalar_text(node);
  char *end = NULL;
  errno = 0;
  const unsigned long long v = strtoull(t, &end, 10);
  if (!*t || *t == '-' || end == t || *end || errno == ERANGE)
    return symgnn_tr_yaml_fail(y, node, "'%s' must be a non-negative integer, got '%s'", what, t);
  *out = (uint64_t)v;
  return 0;
}

int symgnn_tr_yaml_bool(const symgnn_tr_yaml *y, const yaml_node_t *node, const char *what,
                        int *out) {
  static const char *yes[] = {"true", "True", "TRUE", "yes", "Yes", "on"};
  static const char *no[] = {"false", "False", "FALSE", "no", "No", "off"};
  if (node->type == YAML_SCALAR_NODE) {
    const char *t = scalar_text(node);
    for (size_t i = 0; i < sizeof yes / sizeof *yes; ++i)
      if (!strcmp(t, yes[i])) return (*out = 1), 0;
    for (size_t i = 0; i < sizeof no / sizeof *no; ++i)
      if (!strcmp(t, no[i])) return (*out = 0), 0;
    return symgnn_tr_yaml_fail(y, node, "'%s' must be true or false, got '%s'", what, t);
  }
  return symgnn_tr_yaml_fail(y, node, "'%s' must be true or false, got %s", what, type_name(node));
}

int symgnn_tr_yaml_seq_len(const symgnn_tr_yaml *y, const yaml_node_t *node, const char *what) {
  if (node->type != YAML_SEQUENCE_NODE)
    return symgnn_tr_yaml_fail(y, node, "'%s' must be a list, got %s", what, type_name(node));
  return (int)(node->data.sequence.items.top - node->data.sequence.items.start);
}

yaml_node_t *symgnn_tr_yaml_seq_item(const symgnn_tr_yaml *y, const yaml_node_t *node, int i) {
  return yaml_document_get_node(y->doc, node->data.sequence.items.start[i]);
}

int symgnn_tr_yaml_doubles(const symgnn_tr_yaml *y, const yaml_node_t *node, const char *what,
                           int n, double *out) {
  const int len = symgnn_tr_yaml_seq_len(y, node, what);
  if (len < 0) return -1;
  if (len != n)
    return symgnn_tr_yaml_fail(y, node, "'%s' must be a list of %d numbers, got %d items", what, n,
                               len);
  for (int i = 0; i < n; ++i)
    if (symgnn_tr_yaml_double(y, symgnn_tr_yaml_seq_item(y, node, i), what, &out[i])) return -1;
  return 0;
}

int symgnn_tr_yaml_map_len(const symgnn_tr_yaml *y, const yaml_node_t *node, const char *what) {
  if (node->type != YAML_MAPPING_NODE)
    return symgnn_tr_yaml_fail(y, node, "'%s' must be a mapping of keys, got %s", what,
                               type_name(node));
  return (int)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
}

int symgnn_tr_yaml_map_pair(const symgnn_tr_yaml *y, const yaml_node_t *node, int i,
                            const char **key, yaml_node_t **key_node, yaml_node_t **value) {
  const yaml_node_pair_t *p = node->data.mapping.pairs.start + i;
  yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
  *value = yaml_document_get_node(y->doc, p->value);
  *key_node = k;
  if (k->type != YAML_SCALAR_NODE)
    return symgnn_tr_yaml_fail(y, k, "a key must be plain text, got %s", type_name(k));
  *key = scalar_text(k);
  return 0;
}
