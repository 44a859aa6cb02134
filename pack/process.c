#include "pack/process.h"
#include "pack/words.h"
#include "release/base/error.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int pack_run_process(const char *dir, const char *const argv[], char *const env_add[],
                     const char *display, struct err *err)
{
	int pipefd[2], status, child_errno = 0;
	ssize_t n;
	pid_t pid;

	/* A close-on-exec pipe tells "could not exec" apart from "exited". */
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		return fail_sys(err, "cannot run '%s'", display);
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(pipefd[0]);
		close(pipefd[1]);
		return fail_kind(err, ERR_SYSTEM, "cannot run '%s': %s", display, strerror(e));
	}
	if (pid == 0) {
		size_t i;

		close(pipefd[0]);
		if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0 || (dir && chdir(dir) < 0))
			goto child_fail;
		for (i = 0; env_add && env_add[i]; i++)
			if (putenv(env_add[i]) != 0)
				goto child_fail;
		signal(SIGPIPE, SIG_DFL);
		/* execvp's prototype predates const; it does not modify argv (POSIX rationale). */
		execvp(argv[0], (char *const *)argv);
	child_fail:
		child_errno = errno;
		if (write(pipefd[1], &child_errno, sizeof(child_errno)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pipefd[1]);
	do
		n = read(pipefd[0], &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return fail_sys(err, "cannot wait for '%s'", display);
	if (n == (ssize_t)sizeof(child_errno)) {
		return fail_kind(err, ERR_SYSTEM, "'%s' could not start: %s", display,
		                 strerror(child_errno));
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return fail(err, "'%s' exited with status %d", display, WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return fail(err, "'%s' was killed by signal %d (%s)", display, WTERMSIG(status),
		            strsignal(WTERMSIG(status)));
	return fail(err, "'%s' ended abnormally", display);
}

int pack_run_command_line(const char *dir, const char *command, char *const env_add[],
                          struct err *err)
{
	struct strlist words = {0};
	int r;

	if (words_split(command, &words, err) < 0) {
		strlist_clear(&words);
		/* Said as before: a command that does not split is not run at all. */
		fail_recast(err, ERR_SYSTEM);
		return fail_prefix(err, "bad command '%s'", command);
	}
	if (words.n == 0) {
		strlist_clear(&words);
		return fail_kind(err, ERR_SYSTEM, "empty command");
	}
	r = pack_run_process(dir, (const char *const *)words.v, env_add, command, err);
	strlist_clear(&words);
	return r;
}
