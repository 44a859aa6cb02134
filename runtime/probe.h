/* Readiness probes on loopback, non-blocking so the supervisor's poll loop never stalls
 * (specs/runtime.md, "Readiness").
 *
 *   tcp:  ready when a connect to 127.0.0.1:port succeeds.
 *   http: ready when `GET PATH HTTP/1.0` answers with a 2xx or 3xx status line.
 *
 * One attempt at a time: probe_begin opens a socket; the caller polls probe.fd for
 * probe.events and calls probe_step on activity, or probe_abort when the attempt's deadline
 * passes. */
#ifndef SLIPWAY_RUNTIME_PROBE_H
#define SLIPWAY_RUNTIME_PROBE_H

#include "release/manifest/manifest.h"

enum probe_result { PROBE_PENDING, PROBE_OK, PROBE_FAILED };

struct probe {
	int fd; /* -1 when no attempt is running */
	short events;
	int connected;
	enum manifest_ready kind;
	char request[512];
	size_t req_len, req_sent;
	char reply[64];
	size_t reply_len;
	int status;  /* HTTP status of the last completed attempt, 0 if none */
	int verdict; /* 0 undecided, 1 ok, 2 failed; set before the body is drained */
	size_t drained;
};

void probe_init(struct probe *p);

/* Starts an attempt. Returns PROBE_PENDING (poll p->fd), or PROBE_FAILED. */
enum probe_result probe_begin(struct probe *p, enum manifest_ready kind, int port,
                              const char *path);

/* Advances the attempt after poll reported activity; closes the socket when finished. */
enum probe_result probe_step(struct probe *p);

void probe_abort(struct probe *p);

/* Ends an attempt whose deadline passed: PROBE_OK if the status line had already said so. */
enum probe_result probe_expire(struct probe *p);

#endif
