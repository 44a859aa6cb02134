/* Writing one regular file of a release into a staging directory from untrusted bytes: the
 * one rule shared by every delivery that does not unpack a whole archive (frames, patch sets).
 * The file is created new (O_EXCL, no symlink followed) in its directory, placed already, with
 * the sealed mode (seal.h), hashed as it is written, dated with the build time, and compared
 * with the manifest's SHA-256 when it is closed: a file whose bytes are not the manifest's is
 * ERR_REFUSED, naming its path. */
#ifndef SLIPWAY_STAGEFILE_H
#define SLIPWAY_STAGEFILE_H

#include "release/base/error.h"
#include "release/manifest/manifest.h"

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

/* The directory of the last file opened below stagingfd (the manifest lists siblings
 * together): fd -1 at first; close it with stage_dir_release. */
struct stage_dir {
	int fd;
	char path[MANIFEST_MAX_PATH + 1];
};

/* Opens (cached) the directory holding `path` below stagingfd; *base is its last component.
 * Returns the directory's descriptor (owned by d) or -1. */
int stage_dir_open(struct stage_dir *d, int stagingfd, const char *path, const char **base,
                   struct err *err);
void stage_dir_release(struct stage_dir *d);

/* A file being written: fd -1 when none. sha is allocated by stage_file_init. */
struct stage_file {
	const struct manifest_file *f;
	int fd;
	uint64_t done; /* bytes written so far */
	EVP_MD_CTX *sha;
};

int stage_file_init(struct stage_file *o, struct err *err);
/* Closes a file left open (an error path) and frees the digest. */
void stage_file_release(struct stage_file *o);

/* Creates f->path (a regular file of the manifest) below stagingfd. */
int stage_file_open(struct stage_file *o, struct stage_dir *d, int stagingfd,
                    const struct manifest_file *f, struct err *err);
/* Appends n bytes; more than the manifest's size is refused. */
int stage_file_write(struct stage_file *o, const void *buf, size_t n, struct err *err);
/* Completes the file: it must be of the manifest's size and SHA-256 (else ERR_REFUSED
 * "<path>: <from> do not hold the manifest's SHA-256"). `when` > 1 dates it. */
int stage_file_close(struct stage_file *o, int64_t when, const char *from, struct err *err);

#endif
