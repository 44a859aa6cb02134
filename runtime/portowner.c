#include "runtime/portowner.h"
#include "release/base/escape.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_INODES 64

/* Inodes of the sockets listening on `port` from one /proc/net table; -1 if unreadable. */
static int listening_inodes(const char *table, int port, unsigned long *ino, int *n)
{
	char line[512];
	FILE *f = fopen(table, "re");

	if (!f)
		return errno == ENOENT ? 0 : -1; /* no IPv6 in this kernel */
	if (!fgets(line, sizeof(line), f)) {     /* header */
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned lport, state;
		unsigned long inode;
		char local[64];

		/* "  0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000
		 *    0        0 12345 ..." : local, remote, state, queues, timer, retr, uid,
		 * timeout, inode. */
		if (sscanf(line, " %*d: %63s %*s %x %*s %*s %*s %*u %*u %lu", local, &state,
		           &inode) != 3)
			continue;
		if (state != 0x0A || !strchr(local, ':'))
			continue;
		lport = (unsigned)strtoul(strchr(local, ':') + 1, NULL, 16);
		if ((int)lport == port && *n < MAX_INODES)
			ino[(*n)++] = inode;
	}
	fclose(f);
	return 0;
}

static int find_inodes(int port, unsigned long *ino)
{
	int n = 0;

	if (listening_inodes("/proc/net/tcp", port, ino, &n) < 0 ||
	    listening_inodes("/proc/net/tcp6", port, ino, &n) < 0)
		return -1;
	return n;
}

/* Process group and command name of `pid` from /proc/PID/stat; -1 if it is gone. */
static int stat_of(const char *pid, pid_t *pgid, char *comm, size_t cap)
{
	char path[64], buf[512], *open_paren, *close_paren;
	ssize_t r;
	int fd;
	long grp;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren)
		return -1;
	if (comm) {
		size_t len = (size_t)(close_paren - open_paren - 1);

		if (len >= cap)
			len = cap - 1;
		memcpy(comm, open_paren + 1, len);
		comm[len] = '\0';
	}
	/* After ") ": state ppid pgrp ... */
	if (sscanf(close_paren + 1, " %*c %*d %ld", &grp) != 1)
		return -1;
	*pgid = (pid_t)grp;
	return 0;
}

/* 1 when process `pid` holds one of the inodes (through any of its descriptors). */
static int holds_inode(const char *pid, const unsigned long *ino, int n)
{
	char path[64], link[64], want[40];
	struct dirent *d;
	DIR *dir;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while (!found && (d = readdir(dir))) {
		char fdpath[128];
		ssize_t len;

		if (d->d_name[0] == '.')
			continue;
		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, d->d_name);
		len = readlink(fdpath, link, sizeof(link) - 1);
		if (len <= 8 || strncmp(link, "socket:[", 8))
			continue;
		link[len] = '\0';
		for (int i = 0; i < n && !found; i++) {
			snprintf(want, sizeof(want), "socket:[%lu]", ino[i]);
			found = !strcmp(link, want);
		}
	}
	closedir(dir);
	return found;
}

static int is_pid(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int port_holders(int port, struct port_holder *out, int cap)
{
	unsigned long ino[MAX_INODES];
	struct dirent *d;
	DIR *proc;
	int n = find_inodes(port, ino), filled = 0;

	if (n <= 0)
		return n;
	proc = opendir("/proc");
	if (!proc)
		return -1;
	while (filled < cap && (d = readdir(proc))) {
		struct port_holder h;

		if (!is_pid(d->d_name) || !holds_inode(d->d_name, ino, n))
			continue;
		memset(&h, 0, sizeof(h));
		h.pid = (pid_t)atol(d->d_name);
		if (stat_of(d->d_name, &h.pgid, h.comm, sizeof(h.comm)) < 0)
			continue;
		out[filled++] = h;
	}
	closedir(proc);
	if (filled == 0 && cap > 0) {
		memset(&out[0], 0, sizeof(out[0])); /* a listener whose holder is hidden */
		filled = 1;
	}
	return filled;
}

int port_held_by_group(int port, pid_t pgid)
{
	unsigned long ino[MAX_INODES];
	struct dirent *d;
	DIR *proc;
	int n = find_inodes(port, ino), found = 0;

	if (n <= 0)
		return n < 0 ? -1 : PORT_NOBODY;
	proc = opendir("/proc");
	if (!proc)
		return -1;
	while (!found && (d = readdir(proc))) {
		pid_t g;

		if (is_pid(d->d_name) && stat_of(d->d_name, &g, NULL, 0) == 0 && g == pgid)
			found = holds_inode(d->d_name, ino, n);
	}
	closedir(proc);
	return found;
}

void port_holder_describe(const struct port_holder *h, char *buf, size_t cap)
{
	/* Any user names their processes (prctl PR_SET_NAME): the name is escaped like all
	 * foreign text before it reaches a log line, the state file or `status`. */
	char comm[4 * sizeof(h->comm) + 1];

	esc_text(comm, sizeof(comm), h->comm, strlen(h->comm));
	if (h->pid)
		snprintf(buf, cap, "pid %ld (%s)", (long)h->pid, comm);
	else
		snprintf(buf, cap, "a process slipway cannot see");
}
