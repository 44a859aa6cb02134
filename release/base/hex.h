/* Bytes as lowercase hexadecimal: the one encoder of every digest slipway prints, records or
 * names files by (SHA-256, BLAKE2b-512, OCI digests). */
#ifndef SLIPWAY_HEX_H
#define SLIPWAY_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes the 2n digits of b[0..n) and a NUL into out (2n + 1 bytes). */
void hex_encode(const uint8_t *b, size_t n, char *out);

#endif
