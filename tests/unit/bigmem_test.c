#include <criterion/criterion.h>

#include "release/base/bigmem.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MiB ((size_t)1 << 20)

/* The line starting with `key` of the mapping that holds p, from /proc/self/smaps; "" when
 * not found. */
static void smaps_line(const void *p, const char *key, char *out, size_t cap)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int inside = 0;

	out[0] = '\0';
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			inside = (uintptr_t)p >= lo && (uintptr_t)p < hi;
		else if (inside && !strncmp(line, key, strlen(key))) {
			snprintf(out, cap, "%s", line);
			break;
		}
	}
	fclose(f);
}

static void vm_flags(const void *p, char *out, size_t cap)
{
	smaps_line(p, "VmFlags:", out, cap);
}

/* Whether this kernel populates on request (MADV_POPULATE_WRITE, Linux 5.14). */
static bool kernel_populates(void)
{
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool ok = m != MAP_FAILED && madvise(m, 4096, MADV_POPULATE_WRITE) == 0;

	if (m != MAP_FAILED)
		munmap(m, 4096);
	return ok;
}

Test(bigmem, a_large_buffer_is_a_2mib_aligned_mapping_offered_huge_pages)
{
	uint8_t *p = bigmem_alloc(8 * MiB);
	char flags[512];

	cr_assert_not_null(p);
	/* Populated before it is written: no fault for each page later. */
	if (kernel_populates()) {
		unsigned long rss_kb = 0;

		smaps_line(p, "Rss:", flags, sizeof(flags));
		cr_assert_eq(sscanf(flags, "Rss: %lu kB", &rss_kb), 1, "%s", flags);
		cr_assert_geq(rss_kb, 8 * 1024, "only %lu kB resident", rss_kb);
	}
	/* The whole buffer is usable: its last byte too. */
	memset(p, 0xab, 8 * MiB);
	cr_assert_eq(p[8 * MiB - 1], 0xab);
	/* It starts a fixed header past a 2 MiB boundary, so its huge pages can be granted. */
	cr_assert_eq(((uintptr_t)p - 64) % (2 * MiB), 0);
	if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0) {
		vm_flags(p, flags, sizeof(flags));
		cr_assert(strstr(flags, " hg"), "no MADV_HUGEPAGE on the mapping: %s", flags);
	}
	bigmem_free(p);
}

Test(bigmem, a_small_buffer_comes_from_malloc_and_frees)
{
	uint8_t *p = bigmem_alloc(100);
	char flags[512];

	cr_assert_not_null(p);
	memset(p, 1, 100);
	if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0) {
		vm_flags(p, flags, sizeof(flags));
		cr_assert_null(strstr(flags, " hg"), "a small buffer got its own advice: %s",
		               flags);
	}
	bigmem_free(p);
	bigmem_free(NULL);
}

Test(bigmem, calloc_zeroes_either_way_and_refuses_an_overflow)
{
	size_t sizes[] = {1, 4096, BIGMEM_MIN - 1, BIGMEM_MIN, 3 * MiB + 17};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *p = bigmem_calloc(sizes[i], 1);

		cr_assert_not_null(p);
		for (size_t k = 0; k < sizes[i]; k++)
			cr_assert_eq(p[k], 0, "byte %zu of %zu", k, sizes[i]);
		bigmem_free(p);
	}
	errno = 0;
	cr_assert_null(bigmem_calloc(SIZE_MAX / 8 + 1, 8));
	cr_assert_eq(errno, ENOMEM);
	errno = 0;
	cr_assert_null(bigmem_alloc(SIZE_MAX - 100));
	cr_assert_eq(errno, ENOMEM);
}

Test(bigmem, the_zstd_pair_allocates_and_frees)
{
	void *p = bigmem_zstd_alloc(NULL, 2 * MiB);

	cr_assert_not_null(p);
	memset(p, 7, 2 * MiB);
	bigmem_zstd_free(NULL, p);
	cr_assert_not_null(p = bigmem_zstd_alloc(NULL, 0));
	bigmem_zstd_free(NULL, p);
}
