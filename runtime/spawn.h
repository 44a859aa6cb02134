/* Starting one service process (specs/runtime.md, "Start").
 *
 * The child gets its own process group (pgid == pid), the given cwd and environment, default
 * signal dispositions and an empty signal mask, stdin from /dev/null, and stdout+stderr on one
 * pipe whose read end is returned to the caller. argv[0] is looked up in PATH (execvp); no shell.
 * A close-on-exec pipe reports a failed chdir/exec, so "exec failed" is told apart from "ran
 * and exited": spawn_service then fails with the reason, and the child is already reaped. */
#ifndef SLIPWAY_RUNTIME_SPAWN_H
#define SLIPWAY_RUNTIME_SPAWN_H

#include "release/base/error.h"
#include <stddef.h>
#include <sys/types.h>

struct spawn_req {
	char *const *argv; /* NULL-terminated */
	char *const *envp; /* NULL-terminated, the complete environment */
	const char *cwd;   /* absolute */
};

/* Descriptors handed to the child the systemd way (specs/runtime.md, "Socket ownership"). */
struct spawn_pass {
	/* They become 3, 4, ... in this order, without close-on-exec; the caller keeps its own.
	 * At most SPAWN_MAX_PASS. */
	const int *fds;
	size_t nfds;
	/* An envp entry with room for "LISTEN_PID=" and 20 digits: the child writes its own pid
	 * into it (LISTEN_PID must name the process that execs). NULL when unused. */
	char *listen_pid;
};

#define SPAWN_MAX_PASS 8

/* On success *pid is the child (and its process group), *out_fd the non-blocking, close-on-exec
 * read end of its output pipe (owned by the caller). */
int spawn_service(const struct spawn_req *req, pid_t *pid, int *out_fd, struct err *err);

/* The same, handing `pass` (may be NULL) to the child. */
int spawn_service_passing(const struct spawn_req *req, const struct spawn_pass *pass, pid_t *pid,
                          int *out_fd, struct err *err);

/* Marks the calling process a child subreaper, so orphaned grandchildren are re-parented to
 * it and reaped instead of escaping to init. */
int spawn_become_subreaper(struct err *err);

/* SIGKILLs and reaps every remaining child of the calling process (found through /proc):
 * as a subreaper it inherits orphans that left their group, and none may outlive it. */
void spawn_reap_orphans(void);

#endif
