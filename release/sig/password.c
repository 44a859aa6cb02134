#include "release/sig/password.h"
#include "release/base/error.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* The terminal state to restore if a signal arrives while echo is off. */
static volatile sig_atomic_t tty_saved;
static int tty_fd = -1;
static struct termios tty_orig;

static void restore_and_reraise(int sig)
{
	if (tty_saved)
		tcsetattr(tty_fd, TCSAFLUSH, &tty_orig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static const int caught[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

int password_prompt(const char *prompt, char *buf, size_t size, struct err *err)
{
	struct sigaction sa, old[sizeof(caught) / sizeof(caught[0])];
	struct termios noecho;
	size_t n = 0, i;
	int fd, rc = -1;
	char c;

	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return fail_sys(err, "no terminal to ask for a password");
	if (tcgetattr(fd, &tty_orig) < 0) {
		close(fd);
		return fail_sys(err, "no terminal to ask for a password");
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = restore_and_reraise;
	sigemptyset(&sa.sa_mask);
	tty_fd = fd;
	for (i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		sigaction(caught[i], &sa, &old[i]);
	tty_saved = 1;
	noecho = tty_orig;
	noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	noecho.c_lflag |= ICANON;
	if (tcsetattr(fd, TCSAFLUSH, &noecho) < 0) {
		fail_sys(err, "cannot turn off terminal echo");
		goto out;
	}
	if (write(fd, prompt, strlen(prompt)) < 0) {
		fail_sys(err, "cannot write to the terminal");
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fail_sys(err, "cannot read the password");
			goto out;
		}
		if (r == 0) {
			fail_kind(err, ERR_SYSTEM, "cannot read the password: end of input");
			goto out;
		}
		if (c == '\n')
			break;
		if (n + 1 >= size) {
			fail_kind(err, ERR_SYSTEM, "password is longer than %zu bytes", size - 1);
			goto out;
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	rc = 0;
out:
	tcsetattr(fd, TCSAFLUSH, &tty_orig);
	tty_saved = 0;
	for (i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		sigaction(caught[i], &old[i], NULL);
	(void)!write(fd, "\n", 1);
	close(fd);
	tty_fd = -1;
	c = 0;
	if (rc < 0)
		OPENSSL_cleanse(buf, size);
	return rc;
}

int password_tty_available(void)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}
