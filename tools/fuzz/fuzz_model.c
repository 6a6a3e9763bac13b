/* libFuzzer harness of the model-file reader: any byte string is either a
 * model (which must then report sane metadata) or refused with a message;
 * never a crash, a leak or undefined behaviour (built with ASan + UBSan). */
#include "symgnn.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  symgnn_model *m = NULL;
  symgnn_error err = {SYMGNN_OK, ""};
  const symgnn_status st = symgnn_model_read_buffer(data, size, &m, &err);
  if (st != SYMGNN_OK) {
    if (m || err.message[0] == '\0') abort(); /* refused: no model, always a message */
    return 0;
  }
  /* Accepted: the metadata a user sees is within the format's limits. */
  const symgnn_arch *a = symgnn_model_arch(m);
  if (a->nelements < 1 || a->nelements > SYMGNN_MAX_ELEMENTS || !(a->cutoff > 0.0)) abort();
  for (int k = 0; k < a->nelements; ++k)
    if (strnlen(a->elements[k], SYMGNN_NAME_LEN) >= SYMGNN_NAME_LEN) abort();
  for (int i = 0; i < symgnn_model_nprovenance(m); ++i)
    if (!symgnn_model_provenance_key(m, i) || !symgnn_model_provenance_value(m, i)) abort();
  symgnn_model_free(m);
  return 0;
}
