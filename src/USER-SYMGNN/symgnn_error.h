/* Extension API (symgnn_ext.h): the helper the core and the libraries built on it use to report an
 * error. */
#ifndef SYMGNN_ERROR_H
#define SYMGNN_ERROR_H

#include "symgnn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fill an error report (printf-style message; err may be NULL) and return
 * its code. */
symgnn_status symgnn_set_error(symgnn_error *err, symgnn_status code, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#ifdef __cplusplus
}
#endif
#endif
