#include "symgnn_cell.h"

#include <math.h>

double symgnn_lattice_inverse(const double m[9], double inv[9]) {
  const double det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
                     m[2] * (m[3] * m[7] - m[4] * m[6]);
  inv[0] = (m[4] * m[8] - m[5] * m[7]) / det;
  inv[1] = (m[2] * m[7] - m[1] * m[8]) / det;
  inv[2] = (m[1] * m[5] - m[2] * m[4]) / det;
  inv[3] = (m[5] * m[6] - m[3] * m[8]) / det;
  inv[4] = (m[0] * m[8] - m[2] * m[6]) / det;
  inv[5] = (m[2] * m[3] - m[0] * m[5]) / det;
  inv[6] = (m[3] * m[7] - m[4] * m[6]) / det;
  inv[7] = (m[1] * m[6] - m[0] * m[7]) / det;
  inv[8] = (m[0] * m[4] - m[1] * m[3]) / det;
  return det;
}

double symgnn_plane_spacing(const double L[9], int axis, double volume) {
  const double *u = L + 3 * ((axis + 1) % 3), *v = L + 3 * ((axis + 2) % 3);
  const double cx = u[1] * v[2] - u[2] * v[1], cy = u[2] * v[0] - u[0] * v[2],
               cz = u[0] * v[1] - u[1] * v[0];
  return fabs(volume) / sqrt(cx * cx + cy * cy + cz * cz);
}

void symgnn_cell_counts(const double L[9], double volume, double width, int n, int nc[3]) {
  const double cap = floor(2.0 * cbrt((double)n) + 1.0);
  for (int a = 0; a < 3; ++a) {
    double k = floor(symgnn_plane_spacing(L, a, volume) / width);
    if (!(k >= 1.0)) k = 1.0;
    if (k > cap) k = cap;
    nc[a] = (int)k;
  }
}
