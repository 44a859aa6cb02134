#include "cmd/cmd.h"

/* Placeholder until its issue lands: refuses clearly instead of pretending. */
int cmd_keygen(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_fail("keygen", EXIT_USAGE, "not implemented yet");
}
