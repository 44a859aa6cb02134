#include "cmd/cmd.h"

/* Placeholder until its issue lands: refuses clearly instead of pretending. */
int cmd_status(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_fail("status", EXIT_USAGE, "not implemented yet");
}
