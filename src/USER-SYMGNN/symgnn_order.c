/* Spatial ordering of atoms: neighbours get nearby indices, so the per-edge
 * row accesses of the forward and backward passes stay in cache. */
#include "symgnn_cell.h"
#include "symgnn_error.h"

#include <math.h>
#include <stdlib.h>

symgnn_status symgnn_spatial_order(int n, const double *pos, const double L[9], double cell,
                                   int *order, symgnn_error *err) {
  if (n < 1 || !pos || !L || !order)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "spatial order needs atoms (got %d)", n);
  for (int i = 0; i < n; ++i) order[i] = i;
  double inv[9];
  const double det = symgnn_lattice_inverse(L, inv);
  if (!isfinite(det) || det == 0.0)
    return symgnn_set_error(err, SYMGNN_ERR_GRAPH, "lattice vectors are degenerate");
  if (!(cell > 0.0) || !isfinite(cell))
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "cell width %g is not a positive number", cell);
  int nc[3];
  symgnn_cell_counts(L, det, cell, n, nc);
  const int64_t ncell = (int64_t)nc[0] * nc[1] * nc[2];
  int64_t *key = malloc((size_t)n * sizeof *key);
  int64_t *start = calloc((size_t)ncell + 1, sizeof *start);
  if (!key || !start) {
    free(key);
    free(start);
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory ordering %d atoms", n);
  }
  for (int i = 0; i < n; ++i) {
    const double *r = pos + 3 * i;
    int64_t lin = 0;
    for (int a = 0; a < 3; ++a) {
      const double f = r[0] * inv[a] + r[1] * inv[3 + a] + r[2] * inv[6 + a];
      if (!isfinite(f)) {
        free(key);
        free(start);
        for (int j = 0; j < n; ++j) order[j] = j;
        return symgnn_set_error(err, SYMGNN_ERR_GRAPH, "atom %d has a non-finite coordinate",
                                i + 1);
      }
      const double k = floor((f - floor(f)) * nc[a]);
      lin = lin * nc[a] + (k < 0.0 ? 0 : k >= nc[a] ? nc[a] - 1 : (int64_t)k);
    }
    key[i] = lin;
    start[lin + 1]++;
  }
  /* counting sort: stable, so atoms of one cell keep their input order */
  for (int64_t c = 0; c < ncell; ++c) start[c + 1] += start[c];
  for (int i = 0; i < n; ++i) order[start[key[i]]++] = i;
  free(key);
  free(start);
  return SYMGNN_OK;
}

symgnn_status symgnn_graph_build_spatial(int natoms, const double *positions,
                                         const double lattice[9], const int *species, double cutoff,
                                         int *order, symgnn_graph **out, symgnn_error *err) {
  *out = NULL;
  if (natoms < 1 || !positions || !lattice || !species || !order)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "graph build needs atoms (got %d)", natoms);
  double *pos = malloc((size_t)natoms * 3 * sizeof(double));
  int *sp = malloc((size_t)natoms * sizeof(int));
  if (!pos || !sp) {
    free(pos);
    free(sp);
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for %d atoms", natoms);
  }
  symgnn_spatial_order(natoms, positions, lattice, cutoff, order, NULL);
  for (int i = 0; i < natoms; ++i) {
    for (int k = 0; k < 3; ++k) pos[3 * i + k] = positions[3 * order[i] + k];
    sp[i] = species[order[i]];
  }
  symgnn_status st = symgnn_graph_build(natoms, pos, lattice, sp, cutoff, out, err);
  free(pos);
  free(sp);
  if (st != SYMGNN_OK && st != SYMGNN_ERR_NOMEM) { /* the message in input numbering */
    symgnn_graph *g = NULL;
    for (int i = 0; i < natoms; ++i) order[i] = i;
    if (symgnn_graph_build(natoms, positions, lattice, species, cutoff, &g, err) == SYMGNN_OK) {
      /* only the sorted build failed (not expected): keep this one */
      *out = g;
      st = SYMGNN_OK;
    }
  }
  return st;
}
