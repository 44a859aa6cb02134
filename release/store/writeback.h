/* Writeback started as each unpacked file is closed (specs/store.md "Install", step 9):
 * files handed over here are passed to sync_file_range(SYNC_FILE_RANGE_WRITE) and closed by
 * a thread of their own, so their data goes to disk while the next files are unpacked,
 * without costing the unpacking thread, and the one syncfs before the rename has little
 * left to wait for. Advisory only: durability comes from that syncfs, which also reports
 * any writeback error. */
#ifndef SLIPWAY_WRITEBACK_H
#define SLIPWAY_WRITEBACK_H

#include "release/base/error.h"

struct writeback;

/* Starts the thread. On failure *out is NULL, which writeback_add also accepts (it then
 * does the work itself). */
int writeback_start(struct writeback **out, struct err *err);

/* Takes ownership of fd (the file `name`, just written): writeback is started and fd closed.
 * Fails only when it had to close fd itself (no thread, no memory) and that failed. */
int writeback_add(struct writeback *w, int fd, const char *name, struct err *err);

/* Waits until every file handed over is closed and stops the thread. Fails with "cannot
 * write NAME: ..." for the first close that failed. NULL is fine. */
int writeback_finish(struct writeback *w, struct err *err);

#endif
