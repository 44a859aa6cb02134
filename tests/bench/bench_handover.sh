#!/usr/bin/env bash
# Benchmark: the LiveKit worker handover. $HANDOVER_DEPLOYS (default 10) back-to-back
# `deploy --wait` while a consultation is live on the worker being replaced, with the
# example's stand-in worker (the real framework's traps: fixed default health port,
# registration after 2.5 s, job process in its group, calls that must finish) and the
# stand-in LiveKit server judging what happened (tests/livekit/handover.sh).
# Goal: 0 calls cut, 0 "address already in use", each new worker registered before its
# predecessor's SIGTERM, exactly one SIGTERM per worker main process, 0 processes left.
# The same run against the real @livekit/agents: `make check-livekit`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${SLIPWAY:?set SLIPWAY}"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
DEPLOYS=${HANDOVER_DEPLOYS:-10} bash "$here/../livekit/handover.sh" standin
