/* libFuzzer target: the minisign parsers (signature, public key, secret key, trusted-comment
 * fields) and verify on untrusted text. Secret keys are parsed without a password, so an
 * encrypted key stops before scrypt: every input stays fast. */
#include "release/base/error.h"
#include "release/sig/minisign.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int content_fd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* TEST KEY (the unit-test fixture's public key). */
	static const char pub[] = "untrusted comment: minisign public key B5692C9FD517C092\n"
	                          "RWSSwBfVnyxpta5KJP8TNt7GwUXpRD09G2EydYpBnAaQwLxGlCHANrH2\n";
	const char *text = (const char *)data;
	struct minisign_pubkey pk, fixed;
	struct minisign_seckey sk;
	struct minisign_sig sig;
	struct err err;
	char *tc = NULL, *v = NULL;
	int encrypted;

	if (content_fd < 0) {
		content_fd = memfd_create("fuzz-content", MFD_CLOEXEC);
		if (content_fd < 0 || write(content_fd, "slipway fixture\n", 16) != 16)
			abort();
	}
	if (minisign_pubkey_parse(pub, strlen(pub), &fixed, &err) < 0)
		abort();

	if (minisign_sig_parse(text, size, &sig, &err) == 0) {
		if (minisign_comment_get(sig.trusted_comment, "serial", &v, &err) == 0)
			free(v);
		minisign_sig_release(&sig);
	}
	if (minisign_verify_fd(&fixed, text, size, content_fd, MINISIGN_ALLOW_LEGACY, &tc, &err) ==
	    0)
		free(tc);
	(void)minisign_pubkey_parse(text, size, &pk, &err);
	if (minisign_seckey_is_encrypted(text, size, &encrypted, &err) == 0 &&
	    minisign_seckey_parse(text, size, NULL, &sk, &err) == 0)
		minisign_seckey_wipe(&sk);
	return 0;
}
