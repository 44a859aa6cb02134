/* The archive's BLAKE2b-512 on a thread (release/store/archive_digest.h): paused and resumed,
 * it gives the digest of the whole file (OpenSSL's one-shot digest as the judge); cancelled
 * while paused, it stops instead of waiting for a resume. */
#include "release/store/archive_digest.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SIZE (5u << 20) /* several of the thread's reads */

static int file_of(uint8_t **bytes)
{
	char path[] = "/tmp/archive_digest_test.XXXXXX";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	unlink(path);
	*bytes = malloc(SIZE);
	for (size_t i = 0; i < SIZE; i++)
		(*bytes)[i] = (uint8_t)(i * 2654435761u >> 13);
	cr_assert_eq(write(fd, *bytes, SIZE), (ssize_t)SIZE);
	return fd;
}

Test(archive_digest, paused_and_resumed_gives_the_whole_files_digest)
{
	uint8_t *bytes, want[ARCHIVE_DIGEST_BYTES], got[ARCHIVE_DIGEST_BYTES];
	struct archive_digest *d;
	struct err err;
	int fd = file_of(&bytes);

	EVP_Digest(bytes, SIZE, want, NULL, EVP_blake2b512(), NULL);
	cr_assert_eq(archive_digest_start(fd, "test file", &d, &err), 0);
	archive_digest_pause(d);
	usleep(20000);
	archive_digest_resume(d);
	archive_digest_pause(d);
	cr_assert_eq(archive_digest_finish(d, got, &err), 0, "%s", err.msg); /* resumes it */
	cr_assert_eq(memcmp(got, want, sizeof(want)), 0);
	cr_assert_eq(archive_digest_fd(fd, "test file", NULL, got, &err), 0);
	cr_assert_eq(memcmp(got, want, sizeof(want)), 0, "inline");
	free(bytes);
	close(fd);
}

Test(archive_digest, cancelled_while_paused, .timeout = 10)
{
	struct archive_digest *d;
	struct err err;
	uint8_t *bytes;
	int fd = file_of(&bytes);

	cr_assert_eq(archive_digest_start(fd, "test file", &d, &err), 0);
	archive_digest_pause(d);
	archive_digest_cancel(d);
	free(bytes);
	close(fd);
}
