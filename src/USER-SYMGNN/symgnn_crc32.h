/* Extension API (symgnn_ext.h): CRC-32 with the zlib/IEEE 802.3 polynomial (reflected 0xEDB88320),
 * the checksum that closes a model file. Same values as zlib's crc32() and
 * Python's zlib.crc32(), so other programs can verify or write model files. */
#ifndef SYMGNN_CRC32_H
#define SYMGNN_CRC32_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Continue a CRC-32 over n more bytes; start with crc = 0 (like zlib's crc32()). */
uint32_t symgnn_crc32(uint32_t crc, const void *data, size_t n);

#ifdef __cplusplus
}
#endif

#endif
