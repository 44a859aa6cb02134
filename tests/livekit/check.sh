#!/usr/bin/env bash
# `make check-livekit`: slipway's worker handover against the real LiveKit Agents framework.
# Installs @livekit/agents (about 285 MB, from the npm registry) into DIR once, then:
#   1. the handover (handover.sh real): back-to-back deploys during live calls;
#   2. the framework's traps: a worker that hard-codes its health port dies with the
#      framework's own EADDRINUSE, which slipway diagnoses while the old worker keeps its
#      call; kill_mode = group lets the SIGTERM reach the job processes, which the default
#      (process) spares.
#   check.sh DIR        (environment: SLIPWAY, LIVEKIT_AGENTS version, DEPLOYS)
set -u
dir=${1:?usage: check.sh CACHE_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${SLIPWAY:?set SLIPWAY to the slipway binary}"
version=${LIVEKIT_AGENTS:-1.9.0}

source "$here/install.sh"
lk_install "$dir" "$version" || exit 1
echo "check-livekit: @livekit/agents $(node -p "require('$dir/node_modules/@livekit/agents/package.json').version"), node $(node --version)"
export LK_MODULES=$dir/node_modules
status=0
bash "$here/handover.sh" real || status=1
bash "$here/traps.sh" || status=1
exit $status
