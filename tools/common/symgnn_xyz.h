/* Extended-XYZ reader and writer for the SymGNN command-line tools.
 *
 * Reads the FIRST configuration (frame) of an extended-XYZ file: line 1 is the
 * atom count, line 2 the key=value header (Lattice, Properties, pbc, any other
 * keys), then one line per atom. Required: a Lattice with three general cell
 * vectors, periodic boundaries in all three directions, and the columns
 * species:S:1 and pos:R:3. A per-atom label column (a real scalar) is optional.
 * Every atom column is checked against its declared type (R a finite decimal
 * real, I an integer, L a logical), and every byte must be text (no control
 * character but tab, valid UTF-8), so the writer never copies a bad value.
 * The writer copies the configuration back out with one real column added or
 * replaced, keeping every other header key and atom column as it was.
 *
 * Functions returning int give 0 on success and -1 on failure; on failure a
 * specific message is written to msg[msglen] when msg is not NULL. Messages of
 * the reader start with the file name and give the line number where there is
 * one ("in.extxyz: line 7 (atom 5), column 4 (pos:R:3): 'x' is not a real number").
 */
#ifndef SYMGNN_XYZ_H
#define SYMGNN_XYZ_H

#include "symgnn.h"

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct symgnn_xyz symgnn_xyz;

/* Read the first configuration of `path`. `label_col` names the optional label
 * column (NULL: no label is looked for). */
int symgnn_xyz_read(const char *path, const char *label_col, symgnn_xyz **out, char *msg,
                    size_t msglen);
/* The same from an open stream (read to the end of the first frame, not
 * closed); `name` starts the messages as the path does for symgnn_xyz_read. */
int symgnn_xyz_read_stream(FILE *f, const char *name, const char *label_col, symgnn_xyz **out,
                           char *msg, size_t msglen);
void symgnn_xyz_free(symgnn_xyz *xyz);

int symgnn_xyz_natoms(const symgnn_xyz *xyz);
/* Cell vectors as rows a, b, c (9 doubles, Angstrom). */
const double *symgnn_xyz_lattice(const symgnn_xyz *xyz);
/* Cartesian positions, natoms x 3 doubles, Angstrom. */
const double *symgnn_xyz_positions(const symgnn_xyz *xyz);
/* Species name of atom i (0-based), as written in the file. */
const char *symgnn_xyz_species(const symgnn_xyz *xyz, int i);
/* 1 when the label column was found, else 0. */
int symgnn_xyz_has_label(const symgnn_xyz *xyz);
/* Label values (natoms doubles), or NULL when there is no label column. */
const double *symgnn_xyz_labels(const symgnn_xyz *xyz);

/* Map every atom's species to the model's element index (idx[natoms]). An
 * unknown species is an error naming it and listing the model's elements. */
int symgnn_xyz_species_indices(const symgnn_xyz *xyz, const symgnn_model *model, int *idx,
                               char *msg, size_t msglen);

/* Write the configuration to `path` with the per-atom real column `colname`
 * (values[natoms], printed with %.8g) appended as colname:R:1, or replacing an
 * existing column of that name in place. The file is written under a temporary
 * name and renamed, so `path` is never left half-written. */
int symgnn_xyz_write_with_column(const symgnn_xyz *xyz, const char *path, const char *colname,
                                 const double *values, char *msg, size_t msglen);
/* The same with ncols (1..8) columns names[k] holding values[k][natoms], in
 * that order; names must differ from each other. */
int symgnn_xyz_write_with_columns(const symgnn_xyz *xyz, const char *path, int ncols,
                                  const char *const *names, const double *const *values, char *msg,
                                  size_t msglen);

#ifdef __cplusplus
}
#endif
#endif
