/* Spatial order of the atoms of a configuration for the trainer: the core's
 * symgnn_spatial_order with the trainer's return convention. */
#include "symgnn_tr_data.h"

int symgnn_tr_spatial_order(int n, const double *pos, const double lattice[9], double cutoff,
                            int *order) {
  const symgnn_status st = symgnn_spatial_order(n, pos, lattice, cutoff, order, NULL);
  if (st == SYMGNN_OK) return n < 2 ? 1 : 0;
  return st == SYMGNN_ERR_NOMEM ? -1 : 1;
}
