#include <criterion/criterion.h>

#include "release/base/clock.h"
#include "release/base/lockfile.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

/* flock(2) locks belong to an open file description: two opens of one directory contend even
 * within this process. */
Test(lockfile, wait_takes_a_free_lock_at_once)
{
	char dir[] = "/tmp/slipway-lockfile-XXXXXX";
	int fd, other;

	cr_assert_not_null(mkdtemp(dir));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_eq(lockfile_wait(fd, 0), 0);
	/* Held now: another description of the same directory cannot take it. */
	other = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_eq(flock(other, LOCK_EX | LOCK_NB), -1);
	close(fd);
	cr_assert_eq(flock(other, LOCK_EX | LOCK_NB), 0);
	close(other);
	rmdir(dir);
}

Test(lockfile, wait_gives_up_after_its_budget)
{
	char dir[] = "/tmp/slipway-lockfile-XXXXXX";
	long long started;
	int holder, fd;

	cr_assert_not_null(mkdtemp(dir));
	holder = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_eq(flock(holder, LOCK_EX), 0);
	started = (long long)clock_mono_ms();
	cr_assert_eq(lockfile_wait(fd, 150), 1);
	cr_assert_geq((long long)clock_mono_ms() - started, 150);
	cr_assert_eq(lockfile_wait(fd, 0), 1, "a zero budget tries once");
	close(holder);
	cr_assert_eq(lockfile_wait(fd, 0), 0, "taken once the holder let go");
	close(fd);
	rmdir(dir);
}

Test(lockfile, wait_reports_other_failures)
{
	cr_assert_eq(lockfile_wait(-1, 0), -1);
}

Test(lockfile, budget_from_the_environment)
{
	unsetenv("SLIPWAY_LOCK_TIMEOUT");
	cr_assert_eq(lockfile_budget_ms(300000), 300000);
	setenv("SLIPWAY_LOCK_TIMEOUT", "0.5", 1);
	cr_assert_eq(lockfile_budget_ms(300000), 500);
	setenv("SLIPWAY_LOCK_TIMEOUT", "0", 1);
	cr_assert_eq(lockfile_budget_ms(300000), 0);
	/* Not a number of seconds from 0 to a day: the default. */
	setenv("SLIPWAY_LOCK_TIMEOUT", "ten", 1);
	cr_assert_eq(lockfile_budget_ms(300000), 300000);
	setenv("SLIPWAY_LOCK_TIMEOUT", "-1", 1);
	cr_assert_eq(lockfile_budget_ms(10000), 10000);
	setenv("SLIPWAY_LOCK_TIMEOUT", "86401", 1);
	cr_assert_eq(lockfile_budget_ms(10000), 10000);
	setenv("SLIPWAY_LOCK_TIMEOUT", "", 1);
	cr_assert_eq(lockfile_budget_ms(10000), 10000);
	unsetenv("SLIPWAY_LOCK_TIMEOUT");
}
