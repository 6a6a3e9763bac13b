/* Internal: periodic-cell geometry shared by the graph builder and the
 * spatial ordering. */
#ifndef SYMGNN_CELL_H
#define SYMGNN_CELL_H

/* Inverse of the lattice (rows a, b, c); returns the determinant (the inverse
 * is meaningless when it is zero). */
double symgnn_lattice_inverse(const double lattice[9], double inv[9]);

/* Distance between the two lattice planes spanned by the vectors other than
 * `axis`: the thickness of the cell along that lattice direction. */
double symgnn_plane_spacing(const double lattice[9], int axis, double volume);

/* Cells of at least `width` thickness along each lattice direction, capped at
 * about 2 n^(1/3) so a grid never has many more cells than atoms. */
void symgnn_cell_counts(const double lattice[9], double volume, double width, int n, int nc[3]);

#endif
