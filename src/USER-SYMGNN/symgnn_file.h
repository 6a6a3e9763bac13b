/* Extension API (symgnn_ext.h): whole-file input and atomic output for model files. */
#ifndef SYMGNN_FILE_H
#define SYMGNN_FILE_H

#include "symgnn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Read a whole file into a new malloc'ed buffer (*data, *size; free with free()).
 * Fails with SYMGNN_ERR_IO naming the path and the system error. */
symgnn_status symgnn_file_read_all(const char *path, unsigned char **data, size_t *size,
                                   symgnn_error *err);

/* Read `path` whole and hand its bytes to parse(data, size, out, err): how
 * every model-like file is read. A failure's message is prefixed with
 * "model file '<path>': ". */
typedef symgnn_status (*symgnn_file_parser)(const void *data, size_t size, void *out,
                                            symgnn_error *err);
symgnn_status symgnn_file_parse(const char *path, symgnn_file_parser parse, void *out,
                                symgnn_error *err);

/* Replace `path` atomically with `size` bytes: write a unique temporary
 * "<path>.tmp.XXXXXX" (mkstemp, same directory), flush, fsync, make it 0644,
 * close, rename over `path`. On any failure the temporary is removed, an
 * existing `path` is left untouched, and SYMGNN_ERR_IO names the path and the
 * system error. A process killed mid-write leaves only its temporary behind. */
symgnn_status symgnn_file_write_atomic(const char *path, const void *data, size_t size,
                                       symgnn_error *err);

/* Remove the temporaries that symgnn_file_write_atomic leaves for `path` when
 * killed ("<path>.tmp." plus six letters/digits, or plus a process id), e.g.
 * at the start of a program that will write `path`; *nremoved counts them.
 * Other files are never touched. Call it only when no other process is
 * writing `path`. */
symgnn_status symgnn_file_remove_stale(const char *path, int *nremoved, symgnn_error *err);

#ifdef __cplusplus
}
#endif

#endif
