/* Spatial order of the atoms of a configuration: atoms sorted by the cell of a
 * grid of about cutoff-sized cells in fractional coordinates, so that the
 * neighbours of an atom get nearby indices and the per-edge row accesses of
 * the training kernels stay in cache. */
#include "symgnn_tr_data.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* Inverse of the row-major lattice (rows a, b, c); returns the determinant. */
static double invert3(const double L[9], double inv[9]) {
  const double c0 = L[4] * L[8] - L[5] * L[7], c1 = L[5] * L[6] - L[3] * L[8],
               c2 = L[3] * L[7] - L[4] * L[6];
  const double det = L[0] * c0 + L[1] * c1 + L[2] * c2;
  inv[0] = c0 / det, inv[1] = (L[2] * L[7] - L[1] * L[8]) / det;
  inv[2] = (L[1] * L[5] - L[2] * L[4]) / det;
  inv[3] = c1 / det, inv[4] = (L[0] * L[8] - L[2] * L[6]) / det;
  inv[5] = (L[2] * L[3] - L[0] * L[5]) / det;
  inv[6] = c2 / det, inv[7] = (L[1] * L[6] - L[0] * L[7]) / det;
  inv[8] = (L[0] * L[4] - L[1] * L[3]) / det;
  return det;
}

/* Cells along lattice vector a: the distance between the planes spanned by
 * the two other vectors, divided by the cutoff, at least 1 and at most about
 * 2 n^(1/3) (so the grid never has many more cells than atoms). */
static int cells_along(const double L[9], int a, double volume, double cutoff, int n) {
  const double *u = L + 3 * ((a + 1) % 3), *v = L + 3 * ((a + 2) % 3);
  const double cx = u[1] * v[2] - u[2] * v[1], cy = u[2] * v[0] - u[0] * v[2],
               cz = u[0] * v[1] - u[1] * v[0];
  const double w = fabs(volume) / sqrt(cx * cx + cy * cy + cz * cz);
  double k = floor(w / cutoff);
  const double cap = floor(2.0 * cbrt((double)n) + 1.0);
  if (!(k >= 1.0)) k = 1.0;
  if (k > cap) k = cap;
  return (int)k;
}

int symgnn_tr_spatial_order(int n, const double *pos, const double lattice[9], double cutoff,
                            int *order) {
  for (int i = 0; i < n; ++i) order[i] = i;
  double inv[9];
  const double det = invert3(lattice, inv);
  if (n < 2 || !isfinite(det) || det == 0.0 || !(cutoff > 0.0)) return 1;
  int nc[3];
  for (int a = 0; a < 3; ++a) nc[a] = cells_along(lattice, a, det, cutoff, n);
  const int64_t ncell = (int64_t)nc[0] * nc[1] * nc[2];
  int64_t *cell = malloc((size_t)n * sizeof *cell);
  int64_t *start = calloc((size_t)ncell + 1, sizeof *start);
  if (!cell || !start) {
    free(cell);
    free(start);
    return -1;
  }
  int ok = 1;
  for (int i = 0; i < n && ok; ++i) {
    const double *r = pos + 3 * i;
    int64_t lin = 0;
    for (int a = 0; a < 3; ++a) {
      const double f = r[0] * inv[a] + r[1] * inv[3 + a] + r[2] * inv[6 + a];
      if (!isfinite(f)) ok = 0;
      const double k = ok ? floor((f - floor(f)) * nc[a]) : 0.0;
      lin = lin * nc[a] + (k < 0.0 ? 0 : k >= nc[a] ? nc[a] - 1 : (int64_t)k);
    }
    cell[i] = lin;
    start[lin + 1]++;
  }
  if (ok) { /* counting sort: stable, so atoms of one cell keep the file order */
    for (int64_t c = 0; c < ncell; ++c) start[c + 1] += start[c];
    for (int i = 0; i < n; ++i) order[start[cell[i]]++] = i;
  }
  free(cell);
  free(start);
  return ok ? 0 : 1;
}
