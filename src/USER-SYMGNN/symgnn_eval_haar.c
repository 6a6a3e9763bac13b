/* The haar table of an evaluation context: built here or taken as bytes
 * from a context of the same model in another process, so that a program
 * with several processes (LAMMPS on several MPI ranks) builds each table
 * once instead of once per process. */
#include "symgnn_error.h"
#include "symgnn_eval_impl.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Exported bytes: a header of fixed-size fields, then the table values.
 * Within one program on one machine, so native byte order and sizes. */
static const char kMagic[8] = {'S', 'G', 'N', 'N', 'H', 'A', 'A', 'R'};
enum { HDR_INTS = 4, HDR_DOUBLES = 6 }; /* layout width ndist order; rmax dr and the info */
#define HDR_BYTES (sizeof kMagic + HDR_INTS * sizeof(int32_t) + HDR_DOUBLES * sizeof(double))

symgnn_status symgnn_eval_check_table(const symgnn_eval *ev, const char *what, symgnn_error *err) {
  if (!ev) return symgnn_set_error(err, SYMGNN_ERR_ARG, "%s needs an evaluation context", what);
  if (ev->haar && !ev->haar_table.val)
    return symgnn_set_error(err, SYMGNN_ERR_ARG,
                            "%s: the haar table of this context is not built yet "
                            "(symgnn_eval_haar_build or symgnn_eval_haar_import)",
                            what);
  return SYMGNN_OK;
}

/* SYMGNN_OK for a haar model's context, else the error for `what`. */
static symgnn_status need_haar(const symgnn_eval *ev, const char *what, symgnn_error *err) {
  if (!ev) return symgnn_set_error(err, SYMGNN_ERR_ARG, "%s needs an evaluation context", what);
  if (!ev->haar)
    return symgnn_set_error(err, SYMGNN_ERR_ARG,
                            "%s: the model stores transforms; it has no haar table", what);
  return SYMGNN_OK;
}

symgnn_status symgnn_eval_haar_info(const symgnn_eval *ev, symgnn_haar_table_info *info,
                                    symgnn_error *err) {
  if (!info)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "symgnn_eval_haar_info needs ev and info");
  symgnn_status st = need_haar(ev, "symgnn_eval_haar_info", err);
  if (st == SYMGNN_OK) st = symgnn_eval_check_table(ev, "symgnn_eval_haar_info", err);
  if (st == SYMGNN_OK) *info = ev->haar_table.info;
  return st;
}

symgnn_status symgnn_eval_haar_build(symgnn_eval *ev, symgnn_error *err) {
  symgnn_status st = need_haar(ev, "symgnn_eval_haar_build", err);
  if (st != SYMGNN_OK) return st;
  const symgnn_encoder_ref enc = symgnn_eval_encoder(ev);
  symgnn_haar_table t;
  if ((st = symgnn_haar_table_build(&t, &enc, ev->cutoff, ev->threads_asked, err)) != SYMGNN_OK)
    return st;
  symgnn_haar_table_free(&ev->haar_table);
  ev->haar_table = t;
  return SYMGNN_OK;
}

/* Number of floats of a table of ndist distances and a given width. */
static size_t table_floats(int ndist, int width) { return (size_t)ndist * 2 * (size_t)width; }

symgnn_status symgnn_eval_haar_export(const symgnn_eval *ev, void *buf, size_t capacity,
                                      size_t *size, symgnn_error *err) {
  symgnn_status st = need_haar(ev, "symgnn_eval_haar_export", err);
  if (st == SYMGNN_OK) st = symgnn_eval_check_table(ev, "symgnn_eval_haar_export", err);
  if (st != SYMGNN_OK) return st;
  if (!size) return symgnn_set_error(err, SYMGNN_ERR_ARG, "symgnn_eval_haar_export needs size");
  const symgnn_haar_table *t = &ev->haar_table;
  const size_t nval = table_floats(t->ndist, t->width);
  *size = HDR_BYTES + nval * sizeof(float);
  if (capacity < *size || !buf)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "the haar table takes %zu bytes, %zu given", *size,
                            buf ? capacity : (size_t)0);
  const int32_t ints[HDR_INTS] = {1, t->width, t->ndist, t->info.order};
  const double dbl[HDR_DOUBLES] = {t->rmax,
                                   t->dr,
                                   t->info.scale,
                                   t->info.quad_error,
                                   t->info.interp_error,
                                   t->info.build_seconds};
  unsigned char *p = buf;
  memcpy(p, kMagic, sizeof kMagic);
  memcpy(p += sizeof kMagic, ints, sizeof ints);
  memcpy(p += sizeof ints, dbl, sizeof dbl);
  memcpy(p + sizeof dbl, t->val, nval * sizeof(float));
  return SYMGNN_OK;
}

symgnn_status symgnn_eval_haar_import(symgnn_eval *ev, const void *buf, size_t size,
                                      symgnn_error *err) {
  symgnn_status st = need_haar(ev, "symgnn_eval_haar_import", err);
  if (st != SYMGNN_OK) return st;
  const unsigned char *p = buf;
  if (!p || size < HDR_BYTES || memcmp(p, kMagic, sizeof kMagic) != 0)
    return symgnn_set_error(err, SYMGNN_ERR_FORMAT,
                            "%zu bytes are no haar table exported by symgnn_eval_haar_export",
                            buf ? size : (size_t)0);
  int32_t ints[HDR_INTS];
  double dbl[HDR_DOUBLES];
  memcpy(ints, p + sizeof kMagic, sizeof ints);
  memcpy(dbl, p + sizeof kMagic + sizeof ints, sizeof dbl);
  const int width = ints[1], ndist = ints[2], order = ints[3];
  if (ints[0] != 1)
    return symgnn_set_error(err, SYMGNN_ERR_FORMAT, "haar table bytes of layout %d, not 1",
                            (int)ints[0]);
  if (width != ev->width)
    return symgnn_set_error(err, SYMGNN_ERR_FORMAT,
                            "haar table of width %d for a model of width %d", width, ev->width);
  if (ndist < 2 || ndist > SYMGNN_HAAR_MAX_NDIST)
    return symgnn_set_error(err, SYMGNN_ERR_FORMAT, "haar table of %d distances, not 2..%d", ndist,
                            SYMGNN_HAAR_MAX_NDIST);
  if (order < 1 || order > SYMGNN_HAAR_MAX_ORDER)
    return symgnn_set_error(err, SYMGNN_ERR_FORMAT, "haar table from a rule of order %d", order);
  const size_t nval = table_floats(ndist, width);
  if (size != HDR_BYTES + nval * sizeof(float))
    return symgnn_set_error(err, SYMGNN_ERR_FORMAT,
                            "haar table of %d distances takes %zu bytes, %zu given", ndist,
                            HDR_BYTES + nval * sizeof(float), size);
  if (dbl[0] != ev->cutoff)
    return symgnn_set_error(err, SYMGNN_ERR_FORMAT,
                            "haar table up to %.17g Angstrom for a model of cutoff %.17g", dbl[0],
                            ev->cutoff);
  if (dbl[1] != dbl[0] / (ndist - 1))
    return symgnn_set_error(err, SYMGNN_ERR_FORMAT,
                            "haar table spacing %.17g is not its range over %d cells", dbl[1],
                            ndist - 1);
  for (int i = 2; i < HDR_DOUBLES; ++i)
    if (!isfinite(dbl[i]))
      return symgnn_set_error(err, SYMGNN_ERR_NONFINITE, "haar table header field %d is %g", i,
                              dbl[i]);
  float *val = malloc(nval * sizeof(float));
  if (!val) return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for the haar table");
  memcpy(val, p + HDR_BYTES, nval * sizeof(float));
  for (size_t i = 0; i < nval; ++i)
    if (!isfinite(val[i])) {
      const double bad = val[i];
      free(val);
      return symgnn_set_error(err, SYMGNN_ERR_NONFINITE, "haar table value %zu is %g", i, bad);
    }
  symgnn_haar_table_free(&ev->haar_table);
  symgnn_haar_table *t = &ev->haar_table;
  t->width = width;
  t->ndist = ndist;
  t->rmax = dbl[0];
  t->dr = dbl[1];
  t->inv_dr = 1.0 / t->dr;
  t->val = val;
  t->info.ndist = ndist;
  t->info.dr = dbl[1];
  t->info.order = order;
  t->info.scale = dbl[2];
  t->info.quad_error = dbl[3];
  t->info.interp_error = dbl[4];
  t->info.build_seconds = dbl[5];
  return SYMGNN_OK;
}
