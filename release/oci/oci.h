/* A verified release as an OCI image, and its Kubernetes manifests (specs/oci.md).
 *
 * The caller verifies the archive first (release/store/verified.h) and hands over the
 * verified tree; this module never sees an unverified byte of a release. It reads the base
 * image from an OCI image layout, writes one reproducible layer holding the release at
 * OCI_ROOT/<app>/releases/<version> (plus the link OCI_ROOT/<app>/current), an image config
 * running one service, the image manifest, and tags it in the output layout.
 *
 * How a service runs (argv, working directory, environment) is decided by the runtime's
 * rules; the caller passes the result as struct oci_service, so the image runs a service
 * exactly as `slipway run` would, minus the store's secrets.
 *
 * Errors follow release/base/error.h: ERR_REFUSED for a base image that is missing, damaged
 * or not an OCI image, or an output that is not a layout; ERR_SYSTEM when the system failed. */
#ifndef SLIPWAY_OCI_H
#define SLIPWAY_OCI_H

#include "release/base/error.h"
#include "release/manifest/manifest.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OCI_ROOT "/srv" /* releases live at OCI_ROOT/<app>/releases/<version> in the image */

/* "sha256:" + 64 hex digits. */
#define OCI_DIGEST_LEN (7 + 64)

/* OCI_ROOT/<app>/releases/<version>: heap string owned by the caller, NULL on OOM. */
char *oci_release_dir(const char *app, const char *version);

/* One service as it runs in the image. Strings are borrowed. */
struct oci_service {
	const char *name;
	char *const *argv;   /* NULL-terminated, ${RELEASE} already expanded */
	char *const *envp;   /* NULL-terminated "K=V": the service's own environment */
	const char *workdir; /* absolute path inside the image */
	int port;            /* 0: none */
	enum manifest_ready ready;
	const char *ready_path; /* READY_HTTP */
	uint64_t ready_timeout_ms, stop_timeout_ms;
};

/* Whether envp sets the variable of "K=V" (or "K"). The image's Env holds the default
 * service's variables; another service run from the image sets its own and blanks (sets to
 * "") those of the default service it does not set (specs/oci.md "Running the other
 * services"). */
bool oci_env_has(char *const *envp, const char *kv);

struct oci_export {
	const char *base_layout; /* directory of the base image's OCI layout */
	const char *base_ref; /* its tag (org.opencontainers.image.ref.name); NULL: the only one */
	const char *out_layout;             /* created when missing */
	const char *tag;                    /* the new image's tag in out_layout */
	const struct manifest *m;           /* the verified release's manifest */
	int treefd;                         /* directory holding the verified release tree */
	const char *archive_blake2b;        /* 128 hex digits: the archive's BLAKE2b-512 */
	const struct oci_service *services; /* every service of m, in manifest order */
	size_t n_services;
	size_t main; /* index of the service the image runs by default */
};

struct oci_result {
	char digest[OCI_DIGEST_LEN + 1]; /* the image manifest's digest */
	bool layout_created;             /* out_layout did not exist before */
};

/* Writes the image (blobs first, then index.json atomically: the tag appears only once the
 * image is complete). Same inputs, same base: byte-identical manifest, so the same digest.
 * On failure a layout this call created is removed; in an existing layout index.json is
 * untouched (unreferenced blobs may remain). */
int oci_export_image(const struct oci_export *x, struct oci_result *res, struct err *err);

/* The OCI tag rule (image-layout's org.opencontainers.image.ref.name, without '/'):
 * [A-Za-z0-9]+ separated by single [-._:@+] or "--", at most 128 bytes. 0 when valid. */
int oci_tag_check(const char *tag, struct err *err);

#endif
