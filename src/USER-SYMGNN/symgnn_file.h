/* Internal: whole-file input and atomic output for model files. */
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

/* Replace `path` atomically with `size` bytes: write "<path>.tmp.<pid>", flush,
 * fsync, close, rename over `path`. On any failure the temporary is removed, an
 * existing `path` is left untouched, and SYMGNN_ERR_IO names the path and the
 * system error. */
symgnn_status symgnn_file_write_atomic(const char *path, const void *data, size_t size,
                                       symgnn_error *err);

#ifdef __cplusplus
}
#endif

#endif
