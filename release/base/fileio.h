/* Small file helpers shared by every module: bounded reads and atomic writes.
 * All descriptors are opened O_CLOEXEC. Errors follow release/base/error.h. */
#ifndef SLIPWAY_FILEIO_H
#define SLIPWAY_FILEIO_H

#include "release/base/error.h"
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The one way slipway opens a file it reads (tests/arch/check_opens.sh keeps it so):
 *
 * Opens `path` (relative to dirfd, or AT_FDCWD) without ever blocking: the open itself is
 * non-blocking (a FIFO or a device would otherwise wait for a writer, or never end), the
 * file must be a regular file, and only then is O_NONBLOCK cleared. `flags` is O_RDONLY or
 * O_RDWR, optionally with O_NOFOLLOW (a symlink at the last component is refused) and
 * O_CREAT (`mode`, as open(2)). Returns the descriptor (*st filled when st is not NULL).
 * Fails with ERR_REFUSED "<path>: not a regular file" (the input is wrong: retrying cannot
 * help; specs/exit-codes.md) and with ERR_SYSTEM when the system fails (missing, no
 * permission, I/O), errno then being the open's. Callers reading the store's own files
 * recast to ERR_SYSTEM. */
int open_regular(int dirfd, const char *path, int flags, mode_t mode, struct stat *st,
                 struct err *err);

/* open_regular(dirfd, path, O_RDONLY | (nofollow ? O_NOFOLLOW : 0), 0, st, err). */
int open_regular_at(int dirfd, const char *path, int nofollow, struct stat *st, struct err *err);

/* As open_regular_at, read-only, but `path` (relative, checked by the caller) is resolved
 * beneath dirfd with no symlink on any component (open_beneath), and the descriptor keeps
 * O_NONBLOCK, which reads of a regular file ignore: one system call fewer for the callers that
 * open an installed release's files by the thousand. Opened with O_NOATIME where the caller
 * may (it owns the file, or is root): reading thousands of files to compare them would
 * otherwise dirty each inode once a link has moved its ctime past its atime, for a later sync
 * to write back. */
int open_regular_beneath(int dirfd, const char *path, struct stat *st, struct err *err);

/* Reads the whole file at `path` (relative to dirfd, or AT_FDCWD) into a NUL-terminated
 * heap buffer that the caller frees. Opens with open_regular_at (same failures); a file
 * larger than `max` bytes is refused too (ERR_REFUSED "<path>: larger than N bytes"). */
int read_file_at(int dirfd, const char *path, size_t max, int nofollow, char **out, size_t *len,
                 struct err *err);

/* read_file_at for a file of megabytes (a release's manifest): the buffer comes from
 * bigmem_alloc (release/base/bigmem.h), to be freed with bigmem_free, never free. */
int read_file_big_at(int dirfd, const char *path, size_t max, int nofollow, char **out, size_t *len,
                     struct err *err);

/* Reads up to `max` bytes from an open descriptor until EOF into a NUL-terminated heap buffer. */
int read_fd_all(int fd, size_t max, char **out, size_t *len, struct err *err);

/* A file written atomically in pieces (write_file_atomic writes a buffer through it):
 * atomic_file_open creates ".<base>.tmp-<pid>" beside `name` in dirfd (mode 0600, read-write,
 * af->fd); the caller writes af->fd; atomic_file_commit applies `mode` exactly (no umask),
 * fsyncs, renames it over `name` (with `exclusive`, links it, failing when `name` appeared)
 * and fsyncs the directory; atomic_file_abort removes it. On a commit's failure the
 * temporary is removed. */
struct atomic_file {
	int dirfd, fd, exclusive;
	mode_t mode;
	char name[4096], tmp[4096], dir[4096];
};
int atomic_file_open(struct atomic_file *af, int dirfd, const char *name, mode_t mode,
                     int exclusive, struct err *err);
int atomic_file_commit(struct atomic_file *af, struct err *err);
void atomic_file_abort(struct atomic_file *af);

/* Writes `len` bytes to `name` inside dirfd atomically: temp file in the same directory,
 * fsync, rename over `name`, fsync the directory. `mode` is applied exactly (no umask).
 * With `exclusive`, fails with EEXIST semantics ("already exists") if `name` exists. */
int write_file_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                      int exclusive, struct err *err);

/* write_file_atomic for a path given by the user (relative to the working directory or
 * absolute): the temporary file goes in the directory that holds `path`. */
int write_path_atomic(const char *path, const void *data, size_t len, mode_t mode, int exclusive,
                      struct err *err);

/* Writes all of buf to fd, retrying on EINTR and short writes. */
int write_all(int fd, const void *buf, size_t len, struct err *err);

/* fsync of a directory given by path (relative to dirfd). */
int fsync_dir_at(int dirfd, const char *path, struct err *err);

/* Opens `path` (relative, checked by the caller: no "..", no empty component) beneath dirfd
 * without following any symlink: openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS, or a component walk with O_NOFOLLOW where openat2 is unavailable
 * (kernels before 5.6). O_CLOEXEC is added. Returns the fd or -1 with errno set. */
int open_beneath(int dirfd, const char *path, int flags, mode_t mode);

/* Removes a directory tree (relative to dirfd) without following symlinks. Missing is ok.
 * Iterative: it holds a bounded number of descriptors (REMOVE_TREE_FDS) and no recursion
 * whatever the depth, so a tree deeper than the descriptor limit is removed too. */
#define REMOVE_TREE_FDS 32
int remove_tree_at(int dirfd, const char *path, struct err *err);

/* Whether the filesystem of fd has `bytes` available to this user (statvfs f_bavail): 0 when
 * it has, or when it does not say; else -1 with ERR_SYSTEM "not enough space in WHERE for
 * WHAT: N bytes needed, M available". A download checks before it starts, so that it never
 * fills the disk the host's services write to. */
int fs_room(int fd, uint64_t bytes, const char *where, const char *what, struct err *err);

#endif
