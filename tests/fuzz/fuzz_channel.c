/* libFuzzer target: what a host parses from a channel and its sidecars before any signature
 * vouches for it: the index's envelope line, a channel payload, a keyring chain (read, and
 * parsed with its steps), a provenance line, and an HTTP Content-Range value. The same bytes
 * go to every parser; each must refuse or accept without crashing, leaking or hanging. */
#include "release/base/error.h"
#include "release/base/http_range.h"
#include "release/sig/channel.h"
#include "release/sig/envelope.h"
#include "release/sig/keyring.h"
#include "release/sig/provenance.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	static const struct keyring no_keys; /* trusts nothing: channel_verify stops at the count */
	struct channel_index ci;
	struct keyring_chain chain;
	struct envelope e = {0};
	struct dsse_plain d = {0};
	struct http_range r;
	struct err err;
	char *value;

	/* Both parsers' results are released after a failure too (their headers' contract). */
	if (envelope_parse(text, size, "fuzz", &e, &err) == 0)
		(void)channel_parse(e.payload, e.payload_len, &ci, &err);
	envelope_release(&e);
	(void)channel_verify(text, size, &no_keys, 0, &ci, &err);
	(void)channel_parse(data, size, &ci, &err);
	if (keyring_chain_read(text, size, "fuzz", &chain, &err) == 0)
		keyring_chain_release(&chain);
	if (keyring_chain_parse(text, size, "fuzz", &chain, &err) == 0)
		keyring_chain_release(&chain);
	(void)dsse_plain_parse(text, size, "fuzz", &d, &err);
	dsse_plain_release(&d);
	/* A header value is a C string of at most a line. */
	if (size < 1024 && (value = malloc(size + 1))) {
		memcpy(value, data, size);
		value[size] = '\0';
		(void)http_range_parse(value, &r, &err);
		free(value);
	}
	return 0;
}
