/* Who holds a port, and what a start on it waits for (specs/runtime.md, "Health ports", "Health
 * gate"): the supervisor's questions about ports, answered from its list of instances and the
 * kernel's table of listeners (runtime/portowner.h). Nothing here starts, stops or logs. */
#ifndef SLIPWAY_RUNTIME_PORTS_H
#define SLIPWAY_RUNTIME_PORTS_H

#include "release/base/error.h"
#include <stddef.h>
#include <stdint.h>

#include "runtime/service.h"

#define PORTS_HEALTH_SPAN 64   /* health ports tried from a service's health_port up */
#define PORTS_GRACE_MS    5000 /* after a holder's stop timeout, before a wait is decided */

/* Whether a line of a service's output says "address already in use"; then *port is the
 * port it names (0 when none could be read). */
int ports_addr_in_use(const char *line, size_t len, int *port);

/* Describes who listens on `port` into buf; returns 1 when some listener is not ours (not
 * in the group of an instance of `list`, and not slipway itself), else 0. */
int ports_foreign(struct service *list, int port, char *buf, size_t cap);

/* SLIPWAY_HEALTH_PORT for `me`: the first port from its health_port up that no instance of
 * `list` has been given, that is no service's port, and that is free now; -1 with err. */
int ports_pick_health(struct service *list, struct service *me, struct err *err);

/* The instance that keeps `me` from its port (NULL when none, or a socket slipway holds). */
struct service *ports_blocker(struct service *list, struct service *me);

/* When a start blocked by `holder` (may be NULL) is decided: its stop deadline, or its
 * stop timeout from now if it is not stopping yet, plus PORTS_GRACE_MS. */
uint64_t ports_wait_deadline(const struct service *holder, uint64_t now);

/* When a gated switch to generation `gen` is decided at the latest: for each of its
 * instances, its readiness timeout after the longest stop of an older instance holding its
 * port, plus a grace. */
uint64_t ports_switch_deadline(struct service *list, unsigned gen, uint64_t now);

/* After an "address already in use" exit of `s`: appends who holds the port to
 * s->last_exit and writes into `advice` the line that tells the operator what to change.
 * probe_port is the port its readiness is probed on. */
void ports_diagnose(struct service *list, struct service *s, int probe_port, char *advice,
                    size_t cap);

#endif
