#include "symgnn_error.h"

#include <stdarg.h>
#include <stdio.h>

/* Fill the caller's error report; a NULL report is allowed and ignored. */
symgnn_status symgnn_set_error(symgnn_error *err, symgnn_status code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return code;
}

/* Stable names for status codes, for logs and tests. */
const char *symgnn_status_name(symgnn_status code) {
  switch (code) {
  case SYMGNN_OK: return "SYMGNN_OK";
  case SYMGNN_ERR_ARG: return "SYMGNN_ERR_ARG";
  case SYMGNN_ERR_NOMEM: return "SYMGNN_ERR_NOMEM";
  case SYMGNN_ERR_IO: return "SYMGNN_ERR_IO";
  case SYMGNN_ERR_MAGIC: return "SYMGNN_ERR_MAGIC";
  case SYMGNN_ERR_VERSION: return "SYMGNN_ERR_VERSION";
  case SYMGNN_ERR_TRUNC: return "SYMGNN_ERR_TRUNC";
  case SYMGNN_ERR_CHECKSUM: return "SYMGNN_ERR_CHECKSUM";
  case SYMGNN_ERR_FORMAT: return "SYMGNN_ERR_FORMAT";
  case SYMGNN_ERR_NONFINITE: return "SYMGNN_ERR_NONFINITE";
  case SYMGNN_ERR_GRAPH: return "SYMGNN_ERR_GRAPH";
  }
  return "SYMGNN_ERR_UNKNOWN";
}
