#include "symgnn_crc32.h"

/* Table-driven CRC-32. The 256-entry table is rebuilt on every call (about 2k
 * operations) so the library keeps no global state; model files are read and
 * written rarely, so this costs nothing measurable. */
uint32_t symgnn_crc32(uint32_t crc, const void *data, size_t n) {
  uint32_t table[256];
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    table[i] = c;
  }
  const unsigned char *p = data;
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}
