/* Internal: little-endian integers of the model and ensemble file formats, byte by byte,
 * independent of the host's byte order. */
#ifndef SYMGNN_BYTES_H
#define SYMGNN_BYTES_H

#include <stdint.h>

static inline uint32_t symgnn_le32(const unsigned char *b) {
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t symgnn_le64(const unsigned char *b) {
  return symgnn_le32(b) | (uint64_t)symgnn_le32(b + 4) << 32;
}

#endif
