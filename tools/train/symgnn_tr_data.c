/* Loading labelled configurations and assembling batch graphs. */
#include "symgnn_tr_data.h"
#include "symgnn_xyz.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read one file into a configuration: labels, species indices and graph, all
 * in spatial order. */
static int load_conf(symgnn_tr_conf *c, const char *path, const char *label,
                     const symgnn_model *model, char *msg, size_t msglen) {
  char m[600];
  symgnn_xyz *x = NULL;
  int *species = NULL;
  int rc = -1;
  if (symgnn_xyz_read(path, label, &x, m, sizeof m)) { /* the message starts with the path */
    snprintf(msg, msglen, "%s", m);
    return -1;
  }
  c->natoms = symgnn_xyz_natoms(x);
  if (!symgnn_xyz_has_label(x)) {
    snprintf(msg, msglen, "%s: no label column '%s' in Properties (set data.label)", path, label);
    goto done;
  }
  c->labels = malloc((size_t)c->natoms * sizeof(double));
  c->labels_z = malloc((size_t)c->natoms * sizeof(float));
  c->order = malloc((size_t)c->natoms * sizeof(int));
  species = malloc((size_t)c->natoms * sizeof(int));
  if (!c->labels || !c->labels_z || !c->order || !species) {
    snprintf(msg, msglen, "%s: out of memory for %d atoms", path, c->natoms);
    goto done;
  }
  const double *file_labels = symgnn_xyz_labels(x);
  for (int i = 0; i < c->natoms; ++i)
    if (!isfinite(file_labels[i])) {
      snprintf(msg, msglen, "%s: line %d (atom %d): label '%s' is not finite", path, i + 3, i + 1,
               label);
      goto done;
    }
  if (symgnn_xyz_species_indices(x, model, species, m, sizeof m)) {
    snprintf(msg, msglen, "%s: %s", path, m);
    goto done;
  }
  symgnn_error err;
  if (symgnn_graph_build_spatial(c->natoms, symgnn_xyz_positions(x), symgnn_xyz_lattice(x), species,
                                 symgnn_model_arch(model)->cutoff, c->order, &c->graph,
                                 &err) != SYMGNN_OK) {
    snprintf(msg, msglen, "%s: cannot build the graph: %s", path, err.message);
    goto done;
  }
  for (int i = 0; i < c->natoms; ++i) c->labels[i] = file_labels[c->order[i]];
  rc = 0;
done:
  free(species);
  symgnn_xyz_free(x);
  return rc;
}

int symgnn_tr_set_load(symgnn_tr_set *set, char *const *files, int n, const char *label,
                       const symgnn_model *model, char *msg, size_t msglen) {
  memset(set, 0, sizeof *set);
  set->conf = calloc((size_t)(n > 0 ? n : 1), sizeof *set->conf);
  if (!set->conf) {
    snprintf(msg, msglen, "out of memory for %d configurations", n);
    return -1;
  }
  set->n = n;
  for (int i = 0; i < n; ++i) {
    symgnn_tr_conf *c = &set->conf[i];
    const size_t len = strlen(files[i]) + 1;
    if (!(c->path = malloc(len))) {
      snprintf(msg, msglen, "out of memory");
      return -1;
    }
    memcpy(c->path, files[i], len);
    if (load_conf(c, files[i], label, model, msg, msglen)) return -1;
    set->natoms += c->natoms;
    set->nedges += symgnn_graph_nedges(c->graph);
  }
  return 0;
}

void symgnn_tr_set_free(symgnn_tr_set *set) {
  for (int i = 0; i < set->n; ++i) {
    free(set->conf[i].path);
    free(set->conf[i].order);
    free(set->conf[i].labels);
    free(set->conf[i].labels_z);
    symgnn_graph_free(set->conf[i].graph);
  }
  free(set->conf);
  memset(set, 0, sizeof *set);
}

void symgnn_tr_set_label_stats(const symgnn_tr_set *set, double *mean, double *std, double *min,
                               double *max) {
  double s = 0.0, lo = INFINITY, hi = -INFINITY;
  int64_t n = 0;
  for (int c = 0; c < set->n; ++c)
    for (int i = 0; i < set->conf[c].natoms; ++i) {
      const double v = set->conf[c].labels[i];
      s += v;
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
      ++n;
    }
  const double mu = n ? s / (double)n : 0.0;
  double q = 0.0; /* two-pass variance: no cancellation */
  for (int c = 0; c < set->n; ++c)
    for (int i = 0; i < set->conf[c].natoms; ++i) {
      const double d = set->conf[c].labels[i] - mu;
      q += d * d;
    }
  *mean = mu;
  *std = n ? sqrt(q / (double)n) : 0.0;
  *min = lo;
  *max = hi;
}

void symgnn_tr_set_normalize(symgnn_tr_set *set, double mean, double std) {
  for (int c = 0; c < set->n; ++c)
    for (int i = 0; i < set->conf[c].natoms; ++i)
      set->conf[c].labels_z[i] = (float)((set->conf[c].labels[i] - mean) / std);
}

/* Grow the batch arrays to hold nodes and edges. */
static int reserve(symgnn_tr_batch *b, int nodes, int64_t edges) {
  if (nodes > b->cap_nodes) {
    int *sp = realloc(b->species, (size_t)nodes * sizeof(int));
    if (sp) b->species = sp;
    int64_t *off = realloc(b->offsets, ((size_t)nodes + 1) * sizeof(int64_t));
    if (off) b->offsets = off;
    float *lab = realloc(b->labels_z, (size_t)nodes * sizeof(float));
    if (lab) b->labels_z = lab;
    if (!sp || !off || !lab) return -1;
    b->cap_nodes = nodes;
  }
  if (!b->offsets && !(b->offsets = malloc(sizeof(int64_t)))) return -1;
  if (edges > b->cap_edges) {
    int *src = realloc(b->src, (size_t)edges * sizeof(int));
    if (src) b->src = src;
    double *disp = realloc(b->disp, (size_t)edges * 3 * sizeof(double));
    if (disp) b->disp = disp;
    if (!src || !disp) return -1;
    b->cap_edges = edges;
  }
  return 0;
}

int symgnn_tr_batch_build(symgnn_tr_batch *b, const symgnn_tr_set *set, const int *idx, int n) {
  int nodes = 0;
  int64_t edges = 0;
  for (int k = 0; k < n; ++k) {
    nodes += set->conf[idx[k]].natoms;
    edges += symgnn_graph_nedges(set->conf[idx[k]].graph);
  }
  if (reserve(b, nodes, edges)) return -1;
  int node0 = 0;
  int64_t edge0 = 0;
  b->offsets[0] = 0;
  for (int k = 0; k < n; ++k) {
    const symgnn_tr_conf *c = &set->conf[idx[k]];
    const symgnn_graph_view v = symgnn_graph_get_view(c->graph);
    const int64_t ne = v.offsets[v.nlocal];
    memcpy(b->species + node0, v.species, (size_t)v.nlocal * sizeof(int));
    memcpy(b->labels_z + node0, c->labels_z, (size_t)v.nlocal * sizeof(float));
    for (int t = 0; t < v.nlocal; ++t) b->offsets[node0 + t + 1] = edge0 + v.offsets[t + 1];
    for (int64_t e = 0; e < ne; ++e) b->src[edge0 + e] = node0 + v.src[e];
    memcpy(b->disp + 3 * edge0, v.disp, (size_t)ne * 3 * sizeof(double));
    node0 += v.nlocal;
    edge0 += ne;
  }
  b->nlocal = nodes;
  b->nedges = edges;
  return 0;
}

symgnn_graph_view symgnn_tr_batch_view(const symgnn_tr_batch *b) {
  return (symgnn_graph_view){b->nlocal, b->nlocal, b->species, b->offsets, b->src, b->disp};
}

void symgnn_tr_batch_free(symgnn_tr_batch *b) {
  free(b->species);
  free(b->offsets);
  free(b->src);
  free(b->disp);
  free(b->labels_z);
  memset(b, 0, sizeof *b);
}
