#include "cmd/cmd.h"

/* Placeholder until its issue lands: refuses clearly instead of pretending. */
int cmd_sign(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_fail("sign", EXIT_USAGE, "not implemented yet");
}
