#!/usr/bin/env python3
"""Runs a command on a fresh pseudo-terminal and answers its prompts.

usage: tty_answer.py ANSWER [ANSWER...] -- CMD [ARG...]
Each time the output ends with ": " (a prompt), the next ANSWER and a newline are typed.
Everything the command writes to the terminal is copied to stdout, so a test can check
that a typed password was not echoed. Exits with the command's exit status (124 after 60 s).
"""
import os
import pty
import select
import sys
import time

sep = sys.argv.index("--")
answers, cmd = sys.argv[1:sep], sys.argv[sep + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
seen = b""
deadline = time.time() + 60
while True:
    if time.time() > deadline:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        sys.exit(124)
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            chunk = b""
        if not chunk:
            break
        sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
        seen += chunk
        if seen.endswith(b": ") and answers:
            time.sleep(0.05)
            os.write(fd, answers.pop(0).encode() + b"\n")
            seen = b""
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
