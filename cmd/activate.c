#include "cmd/cmd.h"

/* Placeholder until its issue lands: refuses clearly instead of pretending. */
int cmd_activate(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_fail("activate", EXIT_USAGE, "not implemented yet");
}
