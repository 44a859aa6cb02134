# e2e: long
# e2e: not under sanitizers: its subject is the Node skew router; the C it drives (handover_announce) runs under the sanitizers in every web switch test
# Issue 20: a tab left open across a switch loses nothing (specs/runtime.md, "Skew
# protection"). The real example app (examples/mediai: a Server Action form, a client
# component calling an action, chunks tagged ?dpl=<version>) as releases v1 and v2 under
# `slipway run`. A tab is what a browser keeps of a page: its hidden form fields, its action
# ids, its chunk URLs and its deployment id. After `deploy --wait` v2, v1's tab: the form post
# (no JavaScript: the $ACTION_ID_ field), the action call (Next-Action header) and a
# navigation fetch (RSC, x-deployment-id) reach v1 (notes.log records each exactly once, by
# v1; the navigation's build id is v1's), and its chunks answer byte for byte. After
# `rollback --wait` the same for v2's tab, whose chunks v1 never had. A stream started before
# the switch ends intact on v1, and a client on kept-alive connections sees no failure
# through both switches. With the other release no longer warm (run restarted), its tab gets
# the answers that make Next's client load the page again (x-action-redirect, 303, a
# non-RSC answer), each logged once, and its chunks still answer (read from its tree).
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

next_store
run_next_tree app2 v2
next_archive v1 1 app
next_archive v2 2 app2
expect_rc 0 "$SLIPWAY" deploy "$T/v1.tar.zst" --root store
run_start store run.log
served() { curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$port/api/health"; }
poll_for 60 served || fail "web not served: $(tail -30 run.log)"
base=http://127.0.0.1:$port
notes=store/shared/notes.log
: >"$notes"

# tab_open NAME: what a browser keeps of /notes as served now, in $T/tab-NAME/.
tab_open() {
	local d=$T/tab-$1
	mkdir -p "$d"
	curl -fsS --max-time 10 "$base/notes" >"$d/page.html" || fail "tab $1: /notes not served"
	grep -o '/_next/static/[^"\\]*' "$d/page.html" | sed 's/&amp;/\&/g' | sort -u >"$d/assets"
	[ "$(wc -l <"$d/assets")" -ge 3 ] || fail "tab $1: only $(wc -l <"$d/assets") assets"
	python3 -c '
import html.parser, json, sys
class P(html.parser.HTMLParser):
	def handle_starttag(self, tag, a):
		a = dict(a)
		if tag == "input" and a.get("type") == "hidden":
			print(json.dumps([a["name"], a.get("value") or ""]))
P().feed(open(sys.argv[1]).read())' "$d/page.html" >"$d/fields"
	grep -q 'ACTION_ID_' "$d/fields" || fail "tab $1: no \$ACTION_ID_ field: $(cat "$d/fields")"
}

# release_of VERSION FILE-BELOW-.next: a file of the installed release.
release_file() { echo "store/releases/$1/.next/standalone/.next/$2"; }
action_of() { # VERSION EXPORT: the action id in the release's manifest
	python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))
print([k for k, v in m["node"].items() if v["exportedName"] == sys.argv[2]][0])' \
		"$(release_file "$1" server/server-reference-manifest.json)" "$2"
}
count() { grep -cxF -- "$1" "$notes" || true; }

# tab_check NAME VERSION TAG: the tab of release VERSION works now: chunks, the form post,
# the action call, a navigation; each action recorded exactly once, by VERSION.
tab_check() {
	local d=$T/tab-$1 v=$2 tag=$3 a p code args=() line
	while read -r a; do
		p=${a%%\?*}
		curl -fsS --max-time 5 -o "$d/got" "$base$a" || fail "$tag: $a not served"
		cmp -s "$d/got" "$(release_file "$v" "static/${p#/_next/static/}")" || fail "$tag: $a: wrong bytes"
	done <"$d/assets"
	while IFS= read -r line; do
		args+=(--form-string "$(python3 -c 'import json,sys; n, v = json.loads(sys.argv[1]); print(f"{n}={v}")' "$line")")
	done <"$d/fields"
	code=$(curl -sS --max-time 10 -o "$d/form.out" -w '%{http_code}' "${args[@]}" \
		--form-string "note=$tag-form" "$base/notes")
	assert_eq "$code" 200 "$tag: form post ($(head -c 300 "$d/form.out"))"
	assert_eq "$(count "form $v $tag-form")" 1 "$tag: the form's note recorded once by $v ($(cat "$notes"))"
	code=$(curl -sS --max-time 10 -o "$d/call.out" -w '%{http_code}' -X POST \
		-H "Next-Action: $(action_of "$v" saveNoteText)" -H "x-deployment-id: $v" \
		-H 'Accept: text/x-component' -H 'Content-Type: text/plain;charset=UTF-8' \
		--data "[\"$tag-call\"]" "$base/notes")
	assert_eq "$code" 200 "$tag: action call ($(head -c 300 "$d/call.out"))"
	assert_contains "$(cat "$d/call.out")" "saved by $v"
	assert_eq "$(count "call $v $tag-call")" 1 "$tag: the call's note recorded once by $v ($(cat "$notes"))"
	# -L: Next 16 answers a _rsc that is not the hash of the request's router headers with a
	# 307 to the right one (the browser's fetch follows it).
	curl -fsSL --max-time 10 -D "$d/rsc.h" -o "$d/rsc.out" -H 'RSC: 1' -H "x-deployment-id: $v" \
		"$base/notes?_rsc=abc" || fail "$tag: navigation fetch"
	grep -qi '^content-type: text/x-component' "$d/rsc.h" || fail "$tag: navigation: $(cat "$d/rsc.h")"
	# The page's release, as the flight payload renders it (the same in Next 15 and 16).
	grep -qF '"id":"release","children":"'"$v"'"' "$d/rsc.out" ||
		fail "$tag: the navigation was not answered by $v: $(head -c 200 "$d/rsc.out")"
}

# Requests on kept-alive connections (Node's agent, as a browser keeps them, and fetch) through
# both switches, until $T/ka.stop exists: one JSON line of counts at the end.
node -e '
const http = require("http"), fs = require("fs");
const agent = new http.Agent({keepAlive: true, maxSockets: 4});
const [port, stop, out] = process.argv.slice(1);
let ok = 0, failed = [], n = 0;
function one() {
	return new Promise((resolve) => {
		const r = http.get({host: "127.0.0.1", port, path: "/api/health", agent}, (res) => {
			res.resume();
			res.on("end", () => { if (res.statusCode === 200) ok++; else failed.push(res.statusCode); resolve(); });
		});
		r.setTimeout(10000, () => r.destroy(new Error("timeout")));
		r.on("error", (e) => { failed.push(e.message); resolve(); });
	});
}
// And fetch (undici, what reported "other side closed"), idle up to just under the server
// keep-alive timeout (5 s) between requests: a connection the server closes while idle.
const gaps = [20, 1000, 3000, 4500, 4900];
async function fetchLoop() {
	for (let i = 0; !fs.existsSync(stop) && i < 100000; i++) {
		try {
			const r = await fetch(`http://127.0.0.1:${port}/api/health`);
			await r.arrayBuffer();
			if (r.status === 200) ok++; else failed.push(`fetch ${r.status}`);
		} catch (e) {
			failed.push(`fetch: ${e.cause ? e.cause.message : e.message}`);
		}
		await new Promise((r) => setTimeout(r, gaps[i % gaps.length]));
	}
}
(async () => {
	const f = typeof fetch === "function" ? fetchLoop() : Promise.resolve();
	while (!fs.existsSync(stop) && n++ < 100000) {
		await Promise.all([one(), one()]);
		await new Promise((r) => setTimeout(r, 20));
	}
	await f;
	fs.writeFileSync(out, JSON.stringify({ok, failed}) + "\n");
})();' "$port" "$T/ka.stop" "$T/ka.json" &
ka=$!

tab_open v1
# A 20-second stream (an AI answer over SSE), started on v1 before the switch.
curl -sSN --max-time 90 "$base/api/stream?n=200&ms=100" >"$T/stream1" &
stream=$!
poll_for 10 grep -q '^data: 1 v1' "$T/stream1" || fail "the stream did not start"
expect_rc 0 "$SLIPWAY" deploy "$T/v2.tar.zst" --root store --wait
kill -0 "$stream" 2>/dev/null || fail "the stream ended before the switch did: nothing proven"
assert_eq "$(readlink store/current)" "releases/v2" "current after deploy"
tab_open v2
tab_check v1 v1 deployed
wait "$stream" || fail "the stream started on v1 was cut"
assert_eq "$(grep -c '^data: [0-9]* v1$' "$T/stream1")" 200 "events of the stream on v1"
grep -q '^event: end' "$T/stream1" || fail "the stream has no end: $(tail -3 "$T/stream1")"
grep -q 'kept warm' run.log || fail "v1 not kept warm: $(tail -20 run.log)"

expect_rc 0 "$SLIPWAY" rollback --root store --wait
assert_eq "$(readlink store/current)" "releases/v1" "current after rollback"
tab_check v2 v2 rolledback
# And v1's tab still works on v1, now live again.
tab_check v1 v1 live
touch "$T/ka.stop"
wait "$ka"
assert_eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["failed"])' "$T/ka.json")" "[]" \
	"requests failed on kept-alive connections"
[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ok"])' "$T/ka.json")" -ge 20 ] ||
	fail "too few kept-alive requests: $(cat "$T/ka.json")"

# v2 no longer warm: run restarted on v1. v2's tab is told to load its page again.
kill -TERM "$RUN_PID"
wait "$RUN_PID"
RUN_PID=
run_start store run2.log
poll_for 60 served || fail "web not served again: $(tail -30 run2.log)"
d=$T/tab-v2
code=$(curl -sS --max-time 10 -D "$d/h" -o /dev/null -w '%{http_code}' -X POST \
	-H "Next-Action: $(action_of v2 saveNoteText)" -H "x-deployment-id: v2" \
	-H 'Accept: text/x-component' -H 'Content-Type: text/plain;charset=UTF-8' \
	--data '["cold-call"]' "$base/notes")
assert_eq "$code" 200 "cold action call"
grep -qi '^x-action-redirect: /notes;replace' "$d/h" || fail "no reload for a cold action: $(cat "$d/h")"
grep -qi '^content-type: text/plain' "$d/h" || fail "cold action's content type: $(cat "$d/h")"
args=()
while IFS= read -r line; do
	args+=(--form-string "$(python3 -c 'import json,sys; n, v = json.loads(sys.argv[1]); print(f"{n}={v}")' "$line")")
done <"$d/fields"
code=$(curl -sS --max-time 10 -D "$d/h" -o /dev/null -w '%{http_code}' "${args[@]}" \
	--form-string "note=cold-form" "$base/notes")
assert_eq "$code" 303 "cold form post"
grep -qi '^location: /notes' "$d/h" || fail "cold form's location: $(cat "$d/h")"
curl -fsSL --max-time 10 -D "$d/h" -o /dev/null -H 'RSC: 1' -H "x-deployment-id: v2" "$base/notes?_rsc=x" ||
	fail "cold navigation"
! grep -qi '^content-type: text/x-component' "$d/h" || fail "cold navigation answered as RSC"
assert_not_contains "$(cat "$notes")" "cold-"
# Chunks of v2 still answer, from v2's tree.
while read -r a; do
	p=${a%%\?*}
	curl -fsS --max-time 5 -o "$T/got" "$base$a" || fail "cold: $a not served"
	cmp -s "$T/got" "$(release_file v2 "static/${p#/_next/static/}")" || fail "cold: $a: wrong bytes"
done <"$d/assets"
# Each told once in the log; the log names the release.
assert_eq "$(grep -c 'a Server Action of release v2, which is no longer warm' run2.log)" 1 "cold action log lines"
assert_eq "$(grep -c 'a form of release v2, which is no longer warm' run2.log)" 1 "cold form log lines"
# A second cold call: answered the same, not logged again.
curl -sS --max-time 10 -o /dev/null -X POST -H "Next-Action: $(action_of v2 saveNoteText)" \
	-H 'Content-Type: text/plain;charset=UTF-8' --data '["cold-2"]' "$base/notes"
assert_eq "$(grep -c 'a Server Action of release v2, which is no longer warm' run2.log)" 1 "cold action log lines, twice"
# An action nobody has is Next's own answer (not a reload).
code=$(curl -sS --max-time 10 -D "$d/h" -o /dev/null -w '%{http_code}' -X POST \
	-H "Next-Action: 40$(printf '%040d' 0)" -H 'Content-Type: text/plain;charset=UTF-8' \
	--data '["x"]' "$base/notes")
! grep -qi '^x-action-redirect' "$d/h" || fail "an unknown action got a reload"

# Hostile requests get nothing they should not: a path out of a release's static folder (the
# preload reads other releases' trees), a forged hop header, a large form with no action id
# (read only up to the peek bound, then the app's, no hang).
for evil in "..%2f..%2fserver.js?dpl=v2" "%2e%2e/%2e%2e/server.js?dpl=v2" "..%2F..%2F..%2Fslipway-manifest.json"; do
	curl -sS --path-as-is --max-time 5 -o "$T/evil" "$base/_next/static/$evil" || true
	! cmp -s "$T/evil" store/releases/v2/.next/standalone/server.js || fail "$evil served server.js"
	! cmp -s "$T/evil" store/releases/v2/slipway-manifest.json || fail "$evil served the manifest"
done
assert_eq "$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -H 'x-slipway-route: v2' "$base/api/health")" 200 \
	"a public request with a forged x-slipway-route"
head -c 3000000 /dev/zero | tr '\0' a >"$T/big"
code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -F "note=<$T/big" "$base/notes") ||
	fail "a 3 MB form post got no answer"
[ "$code" != 000 ] || fail "a 3 MB form post got no answer"
served || fail "the server stopped answering after the hostile requests"
