/* Password entry on the controlling terminal. */
#ifndef SLIPWAY_PASSWORD_H
#define SLIPWAY_PASSWORD_H

#include "release/base/error.h"
#include <stddef.h>

/* Writes `prompt` to /dev/tty and reads one line from it with echo off (restored afterwards,
 * also when SIGINT/SIGTERM/SIGHUP/SIGQUIT interrupts). buf receives the line without its
 * newline, NUL-terminated. Fails with a message starting "no terminal" when the process has
 * no controlling terminal, and when the line does not fit in size - 1 bytes or input ends
 * before a newline. The caller wipes buf (OPENSSL_cleanse) after use. */
int password_prompt(const char *prompt, char *buf, size_t size, struct err *err);

/* Whether /dev/tty can be opened, i.e. password_prompt has a terminal to ask on. */
int password_tty_available(void);

#endif
