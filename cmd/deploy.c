/* slipway deploy ARCHIVE: install + activate, under one lock (cmd/install.c). */
#include "cmd/cmd.h"
#include "cmd/store_cmd.h"

int cmd_deploy(int argc, char **argv)
{
	return install_main("deploy", argc, argv, true);
}
