/* Named fault-injection points, for tests only (specs/store.md "Fault injection").
 * When $SLIPWAY_TEST_CRASH_AT equals `name`, the process kills itself with SIGKILL right
 * there, exactly like a `kill -9` or a power cut at that step. Unset in production. */
#ifndef SLIPWAY_STORE_CRASH_H
#define SLIPWAY_STORE_CRASH_H

void crashpoint(const char *name);

#endif
