#!/usr/bin/env bash
# `make check-livekit`: slipway's worker handover against the real LiveKit Agents framework.
# Installs @livekit/agents (about 285 MB, from the npm registry) into DIR once, then:
#   1. the handover (handover.sh real): back-to-back deploys during live calls; the same
#      with the framework's README worker, no port line (handover.sh stock);
#   2. the framework's traps: a worker that hard-codes its health port dies with the
#      framework's own EADDRINUSE, which slipway diagnoses while the old worker keeps its
#      call; kill_mode = group lets the SIGTERM reach the job processes, which the default
#      (process) spares.
#   3. the stock worker's handover with the latest @livekit/agents of the npm registry, when
#      it is not LIVEKIT_AGENTS (installed into DIR-latest once).
#   check.sh DIR        (environment: SLIPWAY, LIVEKIT_AGENTS version, DEPLOYS,
#                        LIVEKIT_AGENTS_LATEST=no)
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
bash "$here/handover.sh" stock || status=1
bash "$here/traps.sh" || status=1

# The latest release on the npm registry too, when it is not the version above: the stock
# worker's handover (LIVEKIT_AGENTS_LATEST=no skips it).
latest=$(npm view @livekit/agents version 2>/dev/null)
if [ "${LIVEKIT_AGENTS_LATEST:-}" = no ]; then
	echo "check-livekit: latest @livekit/agents not checked (LIVEKIT_AGENTS_LATEST=no)"
elif [ -z "$latest" ]; then
	echo "check-livekit: cannot ask the npm registry for the latest @livekit/agents" >&2
	status=1
elif [ "$latest" = "$version" ]; then
	echo "check-livekit: the latest @livekit/agents is $version, checked above"
else
	ldir=$dir-latest
	mkdir -p "$ldir"
	have=$(node -p "require('$ldir/node_modules/@livekit/agents/package.json').version" 2>/dev/null)
	if [ "$have" != "$latest" ]; then
		[ -f "$ldir/package.json" ] || echo '{"name": "slipway-check-livekit", "private": true}' >"$ldir/package.json"
		npm install --prefix "$ldir" --no-audit --no-fund --loglevel=error "@livekit/agents@$latest" ||
			{ echo "check-livekit: npm install of $latest failed" >&2; exit 1; }
	fi
	echo "check-livekit: latest @livekit/agents $latest"
	LK_MODULES=$ldir/node_modules bash "$here/handover.sh" stock || status=1
fi
exit $status
