/* libFuzzer harness of the model-file and ensemble-file readers: any byte
 * string is either a model or ensemble (which must then report sane
 * metadata) or refused with a message;
 * never a crash, a leak or undefined behaviour (built with ASan + UBSan).
 * Each input is read twice: as it is, and with its last four bytes replaced
 * by the right CRC-32, so that mutations reach the parser behind the
 * checksum instead of stopping at it. */
#include "symgnn.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* CRC-32 (the zlib polynomial, reflected), bit by bit: small and obviously right. */
static uint32_t crc32_of(const uint8_t *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

/* An accepted model's metadata a user sees is within the format's limits. */
static void check_model(const symgnn_model *m) {
  const symgnn_arch *a = symgnn_model_arch(m);
  if (a->nelements < 1 || a->nelements > SYMGNN_MAX_ELEMENTS || !(a->cutoff > 0.0)) abort();
  for (int k = 0; k < a->nelements; ++k)
    if (strnlen(a->elements[k], SYMGNN_NAME_LEN) >= SYMGNN_NAME_LEN) abort();
  for (int i = 0; i < symgnn_model_nprovenance(m); ++i)
    if (!symgnn_model_provenance_key(m, i) || !symgnn_model_provenance_value(m, i)) abort();
}

/* Read one buffer as a model and as an ensemble and check what the readers
 * promise: refused with a message and no result, or accepted and sane (an
 * ensemble's members all present and agreeing on elements and cutoff). */
static void read_one(const uint8_t *data, size_t size) {
  symgnn_model *m = NULL;
  symgnn_error err = {SYMGNN_OK, ""};
  symgnn_status st = symgnn_model_read_buffer(data, size, &m, &err);
  if (st != SYMGNN_OK) {
    if (m || err.message[0] == '\0') abort(); /* refused: no model, always a message */
  } else {
    check_model(m);
    symgnn_model_free(m);
  }
  symgnn_ensemble *e = NULL;
  err = (symgnn_error){SYMGNN_OK, ""};
  st = symgnn_ensemble_read_buffer(data, size, &e, &err);
  if (st != SYMGNN_OK) {
    if (e || err.message[0] == '\0') abort();
    return;
  }
  const int n = symgnn_ensemble_size(e);
  if (n < 1 || n > 64 || symgnn_ensemble_member(e, n)) abort();
  const symgnn_arch *a0 = symgnn_model_arch(symgnn_ensemble_member(e, 0));
  for (int k = 0; k < n; ++k) {
    const symgnn_model *mk = symgnn_ensemble_member(e, k);
    if (!mk) abort();
    check_model(mk);
    const symgnn_arch *ak = symgnn_model_arch(mk);
    if (ak->nelements != a0->nelements || ak->cutoff != a0->cutoff) abort();
  }
  symgnn_ensemble_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  read_one(data, size);
  if (size < 8) return 0;
  uint8_t *fixed = malloc(size);
  if (!fixed) abort();
  memcpy(fixed, data, size);
  const uint32_t crc = crc32_of(fixed, size - 4);
  for (int k = 0; k < 4; ++k) fixed[size - 4 + k] = (uint8_t)(crc >> (8 * k)); /* little endian */
  read_one(fixed, size);
  free(fixed);
  return 0;
}
