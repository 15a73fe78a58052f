/* crc32c.c - CRC-32C with the SSE4.2 instruction or slicing-by-8 tables.
 *
 * Slicing-by-8 reads eight bytes per step through eight 256-entry tables
 * (8 KiB, built on first use); about 1-2 GB/s, fast enough that checksums
 * are not what limits a checkpoint. The crc32 instruction, where present,
 * is several times faster still.
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "engine/wire/crc32c.h"

#define CRC32C_POLY 0x82F63B78u     /* Castagnoli, bit-reflected */

static uint32_t crc_table[8][256];  /* slicing tables, built once */
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static bool crc_hw;                 /* the CPU has SSE4.2 */
static bool crc_soft;               /* tables forced (tests) */

/* Builds the tables and probes the CPU; run once by pthread_once. */
static void
crc_init(void)
{
    uint32_t c;
    int i, j;

    for (i = 0; i < 256; i++) {
        c = (uint32_t)i;
        for (j = 0; j < 8; j++)
            c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
        crc_table[0][i] = c;
    }
    for (i = 0; i < 256; i++) {
        c = crc_table[0][i];
        for (j = 1; j < 8; j++) {
            c = (c >> 8) ^ crc_table[0][c & 0xff];
            crc_table[j][i] = c;
        }
    }
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    crc_hw = __builtin_cpu_supports("sse4.2");
#endif
}

/* Slicing-by-8 over n bytes; c is the running (inverted) register. */
static uint32_t
crc_sw(uint32_t c, const unsigned char *p, size_t n)
{
    uint64_t w;

    while (n > 0 && ((uintptr_t)p & 7) != 0) {
        c = (c >> 8) ^ crc_table[0][(c ^ *p++) & 0xff];
        n--;
    }
    while (n >= 8) {
        memcpy(&w, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        w ^= c;
        c = crc_table[7][w & 0xff] ^ crc_table[6][(w >> 8) & 0xff] ^
            crc_table[5][(w >> 16) & 0xff] ^ crc_table[4][(w >> 24) & 0xff] ^
            crc_table[3][(w >> 32) & 0xff] ^ crc_table[2][(w >> 40) & 0xff] ^
            crc_table[1][(w >> 48) & 0xff] ^ crc_table[0][w >> 56];
        p += 8;
        n -= 8;
    }
    while (n-- > 0)
        c = (c >> 8) ^ crc_table[0][(c ^ *p++) & 0xff];
    return c;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The crc32 instruction, eight bytes at a time; only called when the CPU
 * reported SSE4.2. */
__attribute__((target("sse4.2"))) static uint32_t
crc_hw8(uint32_t c, const unsigned char *p, size_t n)
{
    uint64_t w, c64;

    while (n > 0 && ((uintptr_t)p & 7) != 0) {
        c = __builtin_ia32_crc32qi(c, *p++);
        n--;
    }
    c64 = c;
    while (n >= 8) {
        memcpy(&w, p, 8);
        c64 = __builtin_ia32_crc32di(c64, w);
        p += 8;
        n -= 8;
    }
    c = (uint32_t)c64;
    while (n-- > 0)
        c = __builtin_ia32_crc32qi(c, *p++);
    return c;
}
#endif

uint32_t
gale_crc32c_extend(uint32_t crc, const void *p, size_t n)
{
    uint32_t c = ~crc;

    pthread_once(&crc_once, crc_init);
#if defined(__x86_64__) && defined(__GNUC__)
    if (crc_hw && !crc_soft)
        return ~crc_hw8(c, p, n);
#endif
    return ~crc_sw(c, p, n);
}

uint32_t
gale_crc32c_value(const void *p, size_t n)
{
    return gale_crc32c_extend(0, p, n);
}

void
gale_crc32c_force_tables(bool on)
{
    crc_soft = on;
}
