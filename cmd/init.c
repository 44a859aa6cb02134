#include "cmd/cmd.h"

/* Placeholder until its issue lands: refuses clearly instead of pretending. */
int cmd_init(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_fail("init", EXIT_USAGE, "not implemented yet");
}
