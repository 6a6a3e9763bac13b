/* Run-time version of the library, so a program can tell whether the
 * symgnn.h it was compiled with matches the core it runs with. */
#include "symgnn.h"

const char *symgnn_version(int *major, int *minor, int *patch) {
  if (major) *major = SYMGNN_VERSION_MAJOR;
  if (minor) *minor = SYMGNN_VERSION_MINOR;
  if (patch) *patch = SYMGNN_VERSION_PATCH;
  return SYMGNN_VERSION_STRING;
}
