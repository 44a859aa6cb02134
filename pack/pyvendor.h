/* Vendoring the agent's Python dependencies, so the server needs no network.
 *
 * Runs `python3 -m pip install --target DIR --no-compile --no-input
 * --disable-pip-version-check -r agent/requirements.txt` in the project directory. pip reads
 * its usual configuration (pip.conf, PIP_INDEX_URL, PIP_FIND_LINKS, PIP_NO_INDEX, ...), so CI
 * decides where packages come from. --no-compile keeps timestamped .pyc files out of the
 * release (they would break reproducibility); Python compiles on first import instead.
 * $SLIPWAY_PYTHON overrides the interpreter. */
#ifndef SLIPWAY_PACK_PYVENDOR_H
#define SLIPWAY_PACK_PYVENDOR_H

#include "release/base/error.h"

/* Installs into target_dir (an existing empty directory). Returns as pack_run_process
 * (pack/process.h): ERR_REFUSED pip failed, ERR_SYSTEM pip could not start. */
int pyvendor_install(const char *project_dir, const char *requirements, const char *target_dir,
                     struct err *err);

#endif
