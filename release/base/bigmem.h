/* Large buffers that are cheap to touch. A freshly mapped page costs a fault the first time it
 * is written; for a buffer of megabytes (a zstd window, a decoded frame) these faults add up
 * (about 12 us each on a paravirtualised VM: 24 ms for 8 MiB in 4 KiB pages). A buffer of at
 * least BIGMEM_MIN bytes is therefore mapped on its own, aligned to 2 MiB, and offered to the
 * kernel for transparent huge pages (MADV_HUGEPAGE): where the kernel grants them, 8 MiB costs
 * four faults. Where it does not (THP off, no free huge page), it is an ordinary mapping. Its
 * pages are populated at once (MADV_POPULATE_WRITE), so bigmem is for buffers that will be
 * written whole: a zstd window, a decoded frame, a file read whole, an array filled. Smaller
 * buffers come from malloc. Contents are unspecified, as malloc's. */
#ifndef SLIPWAY_BIGMEM_H
#define SLIPWAY_BIGMEM_H

#include <stddef.h>

#define BIGMEM_MIN ((size_t)256 << 10)

/* n bytes (n > 0), or NULL with errno set. Freed with bigmem_free, never with free. */
void *bigmem_alloc(size_t n);

/* n elements of `size` bytes, zeroed, as calloc; NULL with errno set. */
void *bigmem_calloc(size_t n, size_t size);

/* Frees a buffer from bigmem_alloc; NULL is ignored. */
void bigmem_free(void *p);

/* The same pair with the signatures of zstd's ZSTD_customMem (opaque unused). */
void *bigmem_zstd_alloc(void *opaque, size_t n);
void bigmem_zstd_free(void *opaque, void *p);

#endif
