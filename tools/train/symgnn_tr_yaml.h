/* Typed access to a loaded libyaml document with "FILE:LINE: message" errors,
 * for the trainer's config parser. */
#ifndef SYMGNN_TR_YAML_H
#define SYMGNN_TR_YAML_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

typedef struct {
  yaml_document_t *doc;
  const char *path; /* file name used in messages */
  char *msg;
  size_t msglen;
} symgnn_tr_yaml;

/* 1-based line of a node. */
int symgnn_tr_yaml_line(const yaml_node_t *node);

/* printf-style "PATH:LINE: message" for a node (line omitted when node is NULL); returns -1. */
int symgnn_tr_yaml_fail(const symgnn_tr_yaml *y, const yaml_node_t *node, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* 1 for a YAML null (~, null, empty plain scalar). */
int symgnn_tr_yaml_is_null(const yaml_node_t *node);

/* Scalars: each fails naming `what` (the dotted key) when the node has the wrong type. */
int symgnn_tr_yaml_string(const symgnn_tr_yaml *y, const yaml_node_t *node, const char *what,
                          const char **out);
int symgnn_tr_yaml_double(const symgnn_tr_yaml *y, const yaml_node_t *node, const char *what,
                          double *out);
int symgnn_tr_yaml_int(const symgnn_tr_yaml *y, const yaml_node_t *node, const char *what, long lo,
                       long hi, int *out);
int symgnn_tr_yaml_u64(const symgnn_tr_yaml *y, const yaml_node_t *node, const char *what,
                       uint64_t *out);
int symgnn_tr_yaml_bool(const symgnn_tr_yaml *y, const yaml_node_t *node, const char *what,
                        int *out);

/* Sequence of scalars: number of items (>= 0) or -1. The node must be a sequence. */
int symgnn_tr_yaml_seq_len(const symgnn_tr_yaml *y, const yaml_node_t *node, const char *what);
/* Item i of a sequence node. */
yaml_node_t *symgnn_tr_yaml_seq_item(const symgnn_tr_yaml *y, const yaml_node_t *node, int i);
/* Sequence of exactly n numbers. */
int symgnn_tr_yaml_doubles(const symgnn_tr_yaml *y, const yaml_node_t *node, const char *what,
                           int n, double *out);

/* Mapping iteration: the key's text of pair i (fails if the key is not a
 * scalar) and its value node. */
int symgnn_tr_yaml_map_len(const symgnn_tr_yaml *y, const yaml_node_t *node, const char *what);
int symgnn_tr_yaml_map_pair(const symgnn_tr_yaml *y, const yaml_node_t *node, int i,
                            const char **key, yaml_node_t **key_node, yaml_node_t **value);

#endif
