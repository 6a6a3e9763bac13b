/* Trainer data: labelled configurations read from extended-XYZ files, their
 * cutoff graphs, and batches (disjoint unions of configurations). */
#ifndef SYMGNN_TR_DATA_H
#define SYMGNN_TR_DATA_H

#include "symgnn.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One configuration with its graph and labels. The atoms are in spatial
 * order (symgnn_graph_build_spatial), not in file order: atom i is atom order[i]
 * of the file, and labels and the graph's species follow the same order. */
typedef struct {
  char *path;
  int natoms;
  int *order;      /* file index of every atom */
  double *labels;  /* eV */
  float *labels_z; /* normalized, (EB - mean) / std */
  symgnn_graph *graph;
} symgnn_tr_conf;

typedef struct {
  int n;
  symgnn_tr_conf *conf;
  int64_t natoms, nedges;
} symgnn_tr_set;

/* Read every file (label column `label` required and finite), map species
 * to the model's elements, put the atoms in spatial order and build the cutoff
 * graphs. Returns 0, or -1 with "PATH: message" in msg. */
int symgnn_tr_set_load(symgnn_tr_set *set, char *const *files, int n, const char *label,
                       const symgnn_model *model, char *msg, size_t msglen);
void symgnn_tr_set_free(symgnn_tr_set *set);

/* Mean and population standard deviation, min and max of all labels (eV). */
void symgnn_tr_set_label_stats(const symgnn_tr_set *set, double *mean, double *std, double *min,
                               double *max);

/* Fill labels_z = (label - mean) / std. */
void symgnn_tr_set_normalize(symgnn_tr_set *set, double mean, double std);

/* A batch graph: the disjoint union of some configurations, in the given order. */
typedef struct {
  int nlocal;
  int64_t nedges;
  int cap_nodes;
  int64_t cap_edges;
  int *species;
  int64_t *offsets;
  int *src;
  double *disp;
  float *labels_z;
} symgnn_tr_batch;

/* (Re)build the batch from configurations idx[0..n-1]; n may be 0 (empty
 * graph). Returns 0 or -1 (out of memory). */
int symgnn_tr_batch_build(symgnn_tr_batch *b, const symgnn_tr_set *set, const int *idx, int n);
symgnn_graph_view symgnn_tr_batch_view(const symgnn_tr_batch *b);
void symgnn_tr_batch_free(symgnn_tr_batch *b);

#ifdef __cplusplus
}
#endif
#endif
