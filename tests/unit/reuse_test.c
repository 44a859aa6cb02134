/* Reusing an installed file (release/store/reuse.h): a file that passes every check is linked,
 * as the very inode verified, both by its descriptor (linkat AT_EMPTY_PATH) and, where the
 * kernel refuses that (before Linux 6.10 without CAP_DAC_READ_SEARCH: ENOENT, as Debian 12's
 * 6.1 for a non-root user), by name; a file that fails a check is not linked. The kernel's
 * refusal is reproduced with a seccomp filter (Criterion runs each test in its own process). */
#include "release/store/reuse.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define THIS_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define THIS_ARCH AUDIT_ARCH_AARCH64
#endif

static char dir[] = "/tmp/reuse_test.XXXXXX";
static int relfd, stagefd;
static const char content[] = "installed bytes\n";

static void setup(void)
{
	char path[256];
	int fd;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rel", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/rel/a", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/stage", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/rel/a/f.txt", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0444);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	snprintf(path, sizeof(path), "%s/rel", dir);
	relfd = open(path, O_RDONLY | O_DIRECTORY);
	snprintf(path, sizeof(path), "%s/stage", dir);
	stagefd = open(path, O_RDONLY | O_DIRECTORY);
	cr_assert(relfd >= 0 && stagefd >= 0);
}

static void teardown(void)
{
	char cmd[300];

	close(relfd);
	close(stagefd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(reuse, .init = setup, .fini = teardown);

/* The manifest entry of rel/a/f.txt as the signed manifest would name it. */
static struct manifest_file entry(const char *bytes)
{
	struct manifest_file f = {.path = "a/f.txt", .type = MANIFEST_FILE, .mode = 0644};

	f.size = strlen(bytes);
	EVP_Digest(bytes, strlen(bytes), f.sha256, NULL, EVP_sha256(), NULL);
	return f;
}

/* From here on, linkat with AT_EMPTY_PATH fails with ENOENT, as on a kernel before 6.10. */
static void refuse_linking_descriptors(void)
{
	struct sock_filter code[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THIS_ARCH, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_linkat, 0, 3),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[4])),
	    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, AT_EMPTY_PATH, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOENT),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(code) / sizeof(*code), .filter = code};
	int probe;

	cr_assert_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	cr_assert_eq(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), 0, "seccomp: %s",
	             strerror(errno));
	probe = openat(relfd, "a/f.txt", O_RDONLY);
	cr_assert_eq(linkat(probe, "", stagefd, "probe", AT_EMPTY_PATH), -1);
	cr_assert_eq(errno, ENOENT, "the filter makes the kernel's refusal");
	close(probe);
}

static void assert_same_inode(const char *staged)
{
	struct stat a, b;

	cr_assert_eq(fstatat(relfd, "a/f.txt", &a, 0), 0);
	cr_assert_eq(fstatat(stagefd, staged, &b, AT_SYMLINK_NOFOLLOW), 0, "%s not linked", staged);
	cr_assert(a.st_ino == b.st_ino && a.st_dev == b.st_dev, "%s is another inode", staged);
	cr_assert_eq(a.st_nlink, 3);
}

static void link_twice(void)
{
	struct manifest_file f = entry(content);
	struct reuse *r;
	struct err err;
	int fd, e = -1;

	cr_assert_eq(reuse_new(&r, &err), 0);
	for (int i = 0; i < 2; i++) {
		fd = reuse_link(r, relfd, &f, stagefd, i ? "second" : "first", &e, &err);
		cr_assert_geq(fd, 0, "link %d: returned %d, errno %d", i, fd, e);
		close(fd);
	}
	reuse_free(r);
	assert_same_inode("first");
	assert_same_inode("second");
}

Test(reuse, links_the_verified_descriptor)
{
	link_twice();
}

#ifdef THIS_ARCH
Test(reuse, links_by_name_where_the_kernel_refuses_a_descriptor)
{
	refuse_linking_descriptors();
	link_twice();
}
#endif

Test(reuse, a_file_that_fails_a_check_is_not_linked)
{
	struct manifest_file other = entry("installed BYTES\n"), f = entry(content);
	struct reuse *r;
	struct err err;
	int e = -1;

	cr_assert_eq(reuse_new(&r, &err), 0);
	cr_assert_eq(reuse_link(r, relfd, &other, stagefd, "x", &e, &err), -1, "another SHA-256");
	cr_assert_eq(e, 0);
	f.mode = 0755;
	cr_assert_eq(reuse_link(r, relfd, &f, stagefd, "x", &e, &err), -1, "another mode");
	f = entry(content);
	cr_assert_eq(fchmodat(relfd, "a/f.txt", 0644, 0), 0);
	cr_assert_eq(reuse_link(r, relfd, &f, stagefd, "x", &e, &err), -1, "made writable again");
	cr_assert_eq(faccessat(stagefd, "x", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	reuse_free(r);
}

/* The comparing way (a local delta install): every check but the content on the descriptor,
 * the content compared piece by piece with the bytes given, and the descriptor compared
 * linked, left open for its caller. The entry's SHA-256 plays no part: the bytes compared are
 * the judge. */
Test(reuse, a_candidate_is_compared_then_linked)
{
	struct manifest_file f = entry(content), other = entry(content);
	const uint8_t *c = (const uint8_t *)content;
	size_t n = strlen(content);
	struct reuse *r;
	struct stat sb, a, b;
	struct err err;
	int fd, e = -1;

	other.sha256[0] ^= 1;
	cr_assert_eq(reuse_new(&r, &err), 0);
	fd = reuse_candidate(r, relfd, &other, &sb);
	cr_assert_geq(fd, 0, "the content is not looked at");
	cr_assert(reuse_same_bytes(r, fd, 0, c, 5));
	cr_assert(reuse_same_bytes(r, fd, 5, c + 5, n - 5));
	cr_assert_not(reuse_same_bytes(r, fd, 0, (const uint8_t *)"installed BYTES\n", n));
	cr_assert_not(reuse_same_bytes(r, fd, 1, c, n), "shifted");
	cr_assert_not(reuse_same_bytes(r, fd, n - 2, c, 4), "past the end");
	cr_assert_eq(reuse_link_verified(r, fd, &sb, relfd, &f, stagefd, "compared", &e, &err), 0);
	cr_assert_neq(fcntl(fd, F_GETFD), -1, "the descriptor stays the caller's");
	close(fd);
	reuse_free(r);
	cr_assert_eq(fstatat(relfd, "a/f.txt", &a, 0), 0);
	cr_assert_eq(fstatat(stagefd, "compared", &b, AT_SYMLINK_NOFOLLOW), 0);
	cr_assert(a.st_ino == b.st_ino && a.st_dev == b.st_dev, "another inode");
}

Test(reuse, a_candidate_fails_the_same_checks_but_the_content)
{
	struct manifest_file f = entry(content);
	struct reuse *r;
	struct stat sb;
	struct err err;

	cr_assert_eq(reuse_new(&r, &err), 0);
	f.size++;
	cr_assert_eq(reuse_candidate(r, relfd, &f, &sb), -1, "another size");
	f = entry(content);
	f.mode = 0755;
	cr_assert_eq(reuse_candidate(r, relfd, &f, &sb), -1, "another mode");
	f = entry(content);
	cr_assert_eq(fchmodat(relfd, "a/f.txt", 0644, 0), 0);
	cr_assert_eq(reuse_candidate(r, relfd, &f, &sb), -1, "made writable again");
	cr_assert_eq(fchmodat(relfd, "a/f.txt", 0444, 0), 0);
	cr_assert_eq(symlinkat("a/f.txt", relfd, "via"), 0);
	f.path = "via";
	cr_assert_eq(reuse_candidate(r, relfd, &f, &sb), -1, "through a symlink");
	reuse_free(r);
}
