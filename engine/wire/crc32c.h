/* crc32c.h - CRC-32C (Castagnoli), the checksum of gale's checkpoint files.
 *
 * The same polynomial as iSCSI, ext4 and LevelDB (reflected 0x82F63B78),
 * with the usual pre- and post-inversion: crc32c("123456789") is
 * 0xE3069283. Uses the SSE4.2 instruction where the CPU has it, else
 * tables. Thread-safe: the tables are built once (pthread_once).
 */
#ifndef GALE_CRC32C_H
#define GALE_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The CRC of the n bytes at p appended to data whose CRC is crc (0 for
 * no data yet): gale_crc32c_extend(gale_crc32c_extend(0, a, na), b, nb)
 * is the CRC of a followed by b. Never fails. */
uint32_t gale_crc32c_extend(uint32_t crc, const void *p, size_t n);
/* The CRC of the n bytes at p. */
uint32_t gale_crc32c_value(const void *p, size_t n);
/* Makes later calls use the tables even where the CPU has SSE4.2 (on:
 * true) or the fastest way again (false): lets a test compare both. Not
 * for concurrent use with other calls. */
void gale_crc32c_force_tables(bool on);

#endif
