#include "cmd/cmd.h"

/* Placeholder until its issue lands: refuses clearly instead of pretending. */
int cmd_pack(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_fail("pack", EXIT_USAGE, "not implemented yet");
}
