/* Internal: the object behind the symgnn_xyz handle, shared by the reader,
 * the header parser and the writer. */
#ifndef SYMGNN_XYZ_IMPL_H
#define SYMGNN_XYZ_IMPL_H

#include "symgnn_xyz.h"

/* One per-atom property of the Properties string: name:type:ncols. */
typedef struct {
  char *name;
  char type; /* S, R, I or L as written */
  int ncols; /* columns it spans on an atom line */
  int first; /* index of its first column on an atom line */
} symgnn_xyz_prop;

struct symgnn_xyz {
  int natoms;
  double lattice[9];
  double *positions;    /* natoms x 3 */
  double *labels;       /* natoms, or NULL without a label column */
  int *species_id;      /* natoms indices into species_names */
  char **species_names; /* distinct names in order of appearance */
  int nspecies;
  char *header;       /* line 2 without its line end */
  size_t props_begin; /* raw text of the Properties value in header */
  size_t props_end;
  symgnn_xyz_prop *props;
  int nprops;
  int ncols;                           /* columns on every atom line */
  int col_species, col_pos, col_label; /* first column of each, -1 if absent */
  char *text;                          /* atom lines without line ends, each NUL-terminated */
  size_t *line_off;                    /* natoms offsets into text */
};

/* printf-style message into msg[msglen] (msg may be NULL); returns -1. */
int symgnn_xyz_fail(char *msg, size_t msglen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Parse header line 2 into lattice, Properties and column indices, checking
 * pbc; `label_col` may be NULL. */
int symgnn_xyz_parse_header(symgnn_xyz *xyz, const char *line, const char *label_col, char *msg,
                            size_t msglen);

#endif
