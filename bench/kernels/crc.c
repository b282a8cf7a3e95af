/* Bitwise CRC-32 (reflected, polynomial 0xEDB88320) over 7.5 MB: 60M
 * shift/xor/mask steps with a data-dependent mask, no table. */
#include "kernel.h"

#define CRC_BUF 65536u
#define CRC_BYTES (60000000u / 8)

static uint8_t buf[CRC_BUF];

uint32_t run(void) {
  uint32_t x = 12345;
  for (uint32_t i = 0; i < CRC_BUF; i++) {
    x = x * 1103515245u + 12345u;
    buf[i] = (uint8_t)(x >> 16);
  }
  uint32_t crc = 0xffffffffu;
  for (uint32_t i = 0; i < CRC_BYTES; i++) {
    crc ^= buf[i & (CRC_BUF - 1)];
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
  }
  return ~crc;
}
