#!/usr/bin/env bash
# `make check-next-matrix`: the example app (examples/mediai) on each Next.js major line in
# production use. For every line in NEXT_LINES (default 14.2 15 16), a copy of the example
# whose package.json and lockfile pin that line's newest release, with its React (18 for
# 14.2, 19 after), resolved from the npm registry (CACHE/next-<line>/src, once); then:
#   detect: `slipway pack --print-config` of the copy without slipway.ini finds the web
#           service (node server.js in .next/standalone) and the agent: zero config;
#   pack:   tests/e2e/t_pack_mediai.sh, `slipway pack` runs that Next's build, GNU tar and
#           minisign judge the archive, its server.js serves the page and an asset;
#   web:    tests/e2e/t_run_web_switch.sh, activate/rollback cycles under 120 req/s: 0 failed
#           requests, warm rollback, the old release's assets;
#   skew:   tests/e2e/t_run_skew.sh, a tab left open across a deploy and a rollback: its form,
#           Server Action, navigation, chunks and a stream reach the release that rendered it.
# Both tests run on that copy (_FIXTURE_SRC) with a fixture cache of their own
# (CACHE/next-<line>/fixture-cache): builds of one line are shared by its tests, never mixed
# with the suite's. Prints one line per line and part; exit 1 if any fails.
#   next.sh CACHE     (environment: SLIPWAY, NEXT_LINES)
set -u
cache=${1:?usage: next.sh CACHE_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
: "${SLIPWAY:?set SLIPWAY to the slipway binary}"

# next_src LINE DIR: the example's sources in DIR with next@LINE and its React pinned.
next_src() {
	local line=$1 dir=$2 react=19 tmp
	[ -f "$dir/package-lock.json" ] && return 0
	[ "${line%%.*}" -lt 15 ] && react=18
	tmp=$(mktemp -d "$cache/.src.XXXXXX") || return 1
	tar -C "$repo/examples/mediai" --exclude=./node_modules --exclude=./.next -cf - . | tar -C "$tmp" -xf - &&
		(cd "$tmp" && npm install --package-lock-only --no-audit --no-fund --loglevel=error \
			--save-exact "next@~$line" "react@$react" "react-dom@$react" >/dev/null) &&
		rm -rf "$dir" && mkdir -p "$(dirname "$dir")" && mv "$tmp" "$dir" ||
		{ rm -rf "$tmp"; echo "next $line: cannot resolve next@$line from npm" >&2; return 1; }
}

status=0 results=()
mkdir -p "$cache"
for line in ${NEXT_LINES-14.2 15 16}; do
	src=$cache/next-$line/src
	next_src "$line" "$src" || { results+=("next $line: cannot prepare"); status=1; continue; }
	v=$(node -p "const l=require('$src/package-lock.json').packages; l['node_modules/next'].version + ' (react ' + l['node_modules/react'].version + ')'")
	for part in detect pack web skew; do
		t0=$(date +%s) log=$(mktemp "${TMPDIR:-/tmp}/slipway-next-matrix.XXXXXX")
		case $part in
		detect)
			zc=$(mktemp -d "${TMPDIR:-/tmp}/slipway-next-zc.XXXXXX")
			cp -a "$src/." "$zc/" && rm -f "$zc/slipway.ini"
			"$SLIPWAY" pack "$zc" --print-config >"$log" 2>&1 &&
				python3 - "$log" <<'PY' >>"$log" 2>&1
import sys
text = open(sys.argv[1]).read()
sections = {}
for block in text.split("\n["):
    head, _, body = block.partition("]\n")
    sections[head.strip("[")] = {l.split(" = ")[0]: l.split(" = ", 1)[1] for l in body.splitlines() if " = " in l and not l.startswith(";")}
web = sections.get("service web", {})
assert web.get("command") == "node server.js" and web.get("cwd") == ".next/standalone", web
assert ".next/standalone" in sections["bundle"]["include"], sections["bundle"]
assert sections.get("service agent", {}).get("command") == "python3 agent/main.py start", sections.get("service agent")
PY
			rc=$?
			rm -rf "$zc"
			;;
		pack | web | skew)
			t=t_pack_mediai.sh
			[ $part = web ] && t=t_run_web_switch.sh
			[ $part = skew ] && t=t_run_skew.sh
			_FIXTURE_SRC=$src FIXTURE_CACHE=$cache/next-$line/fixture-cache \
				bash "$repo/tests/e2e/run.sh" "$t" >"$log" 2>&1
			rc=$?
			;;
		esac
		line_out="next $v: $part $([ $rc = 0 ] && echo ok || echo FAILED) ($(($(date +%s) - t0)) s)"
		echo "$line_out"
		results+=("$line_out")
		[ $rc = 0 ] || { status=1; sed 's/^/    /' "$log" | tail -40; }
		rm -f "$log"
	done
done
echo "== check-next-matrix"
printf '%s\n' "${results[@]}"
exit $status
