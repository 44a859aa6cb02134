/* The services section of `slipway status`: what the supervisor's state file says
 * (specs/runtime.md, "State file"). Never holds an environment value. */
#ifndef SLIPWAY_CMD_RUN_STATUS_H
#define SLIPWAY_CMD_RUN_STATUS_H

#include <json-c/json.h>

/* A new object: the state file as the supervisor wrote it (statefile_to_json: every field
 * of it) and "running": bool; only "running" when no state file exists. Owned by the
 * caller. */
json_object *run_status_json(const char *root);

/* Prints the section for humans, from run_status_json's object. */
void run_status_print(json_object *o);

#endif
