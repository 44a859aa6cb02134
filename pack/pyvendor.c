#include "pack/pyvendor.h"
#include "pack/process.h"
#include "release/base/error.h"

#include <stdio.h>
#include <stdlib.h>

int pyvendor_install(const char *project_dir, const char *requirements, const char *target_dir,
                     struct err *err)
{
	const char *python = getenv("SLIPWAY_PYTHON");
	char display[512];
	const char *argv[] = {python && *python ? python : "python3",
	                      "-m",
	                      "pip",
	                      "install",
	                      "--target",
	                      target_dir,
	                      "--no-compile",
	                      "--no-input",
	                      "--disable-pip-version-check",
	                      "--no-warn-script-location",
	                      "-r",
	                      requirements,
	                      NULL};
	char *env[] = {"PYTHONDONTWRITEBYTECODE=1", NULL};

	snprintf(display, sizeof(display), "%s -m pip install --target <release>/agent/.deps -r %s",
	         argv[0], requirements);
	int r = pack_run_process(project_dir, argv, env, display, err);

	if (r < 0)
		fail_prefix(err, "cannot vendor the agent's Python dependencies");
	return r;
}
