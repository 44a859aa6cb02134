#include "pack/output.h"
#include "release/error.h"
#include "release/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int output_open(struct output *o, const char *outdir, const char *name, char *err)
{
	o->fd = -1;
	o->tmp[0] = '\0';
	if (snprintf(o->path, sizeof(o->path), "%s/%s", outdir, name) >= (int)sizeof(o->path) ||
	    snprintf(o->tmp, sizeof(o->tmp), "%s/.%s.tmp-XXXXXX", outdir, name) >=
	        (int)sizeof(o->tmp))
		return fail(err, "output path too long");
	o->fd = mkostemp(o->tmp, O_CLOEXEC);
	if (o->fd < 0) {
		int e = errno;

		o->tmp[0] = '\0';
		return fail(err, "cannot create a file in %s: %s", outdir, strerror(e));
	}
	if (fchmod(o->fd, 0644) < 0) {
		int e = errno;

		output_abort(o);
		return fail(err, "cannot set the mode of %s: %s", o->path, strerror(e));
	}
	return 0;
}

int output_commit(struct output *o, char *err)
{
	char dir[PATH_MAX], *slash;

	if (fsync(o->fd) < 0) {
		int e = errno;

		output_abort(o);
		return fail(err, "cannot write %s: %s", o->path, strerror(e));
	}
	if (close(o->fd) < 0) {
		int e = errno;

		o->fd = -1;
		output_abort(o);
		return fail(err, "cannot write %s: %s", o->path, strerror(e));
	}
	o->fd = -1;
	if (rename(o->tmp, o->path) < 0) {
		int e = errno;

		output_abort(o);
		return fail(err, "cannot rename to %s: %s", o->path, strerror(e));
	}
	o->tmp[0] = '\0';
	snprintf(dir, sizeof(dir), "%s", o->path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	return fsync_dir_at(AT_FDCWD, dir, err);
}

void output_abort(struct output *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->tmp[0])
		unlink(o->tmp);
	o->tmp[0] = '\0';
}
