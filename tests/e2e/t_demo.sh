# e2e: long
# e2e: not under sanitizers: the demo script end to end; each slipway command it runs is run under the sanitizers by other tests (CI also runs make demo)
# e2e: uses the demo's fixed ports (the example agent's health_port 8081)
# `make demo` end to end (examples/demo.sh): v1 is served, then v2, then v1 again after the
# rollback; the archives verify with stock minisign; the secrets stay out of the logs; and
# when it ends no process is left running and nothing listens on its port.
source "$REPO/tests/e2e/fixture.sh"

D="$T/demo"
run env DEMO_DIR="$D" SLIPWAY="$SLIPWAY" bash "$REPO/examples/demo.sh"
log="$out
$errout"
[ "$rc" = 0 ] || fail "demo exited $rc:
$(printf '%s\n' "$log" | tail -60)"
printf '%s\n' "$log" >demo.out

# The page, as the demo saw it: v1, then v2 with the new greeting, then v1 after rollback.
seen=$(sed -n 's/^ *release: \(v[0-9]*\) (built into the page), running: \(v[0-9]*\).*/\1\/\2/p' demo.out | tr '\n' ' ')
assert_eq "$seen" "v1/v1 v2/v2 v1/v1 " "releases shown by the page (built/running), in order"
headings=$(sed -n 's/^ *heading: //p' demo.out | tr '\n' '|')
assert_eq "$headings" "Welcome to MediAI|Welcome to MediAI, now in version 2|Welcome to MediAI|" "headings"
assert_contains "$log" "no process left running"
assert_contains "$log" "demo: done"

# Nothing left behind: no process working inside the demo's directory, nothing on its port.
for p in /proc/[0-9]*; do
	cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
	case $cwd in "$D" | "$D"/*) fail "process ${p#/proc/} still runs in $cwd: $(tr '\0' ' ' <"$p/cmdline")" ;; esac
done
port=$(sed -n 's/.*the demo uses \([0-9]*\)$/\1/p' demo.out)
[ -n "$port" ] || fail "the demo did not say which port it used"
if curl -s --max-time 2 "http://127.0.0.1:$port/" >/dev/null; then fail "something still answers on port $port"; fi

# The store: current is v1 again; both releases are installed; the env file stayed private.
assert_eq "$(readlink "$D/store/current")" "releases/v1" "current after rollback"
[ -d "$D/store/releases/v2" ] || fail "v2 is not installed"
assert_eq "$(stat -c %a "$D/store/shared/env")" 600 "mode of shared/env"

# Stock minisign accepts both archives with the demo's test key.
# (dist/ also holds each archive's signature and provenance: ARCHIVE.minisig, ARCHIVE.intoto.jsonl)
for a in "$D"/dist/*.tar.*; do
	case $a in *.tar.zst | *.tar.gz) ;; *) continue ;; esac
	expect_rc 0 minisign -V -q -p "$D/test-keys/demo-test.pub" -m "$a"
	n=$((${n:-0} + 1))
done
assert_eq "${n:-0}" 2 "archives written"

# The consultation that was live during the deploy finished; none was cut.
assert_contains "$(cat "$D/livekit.log")" "call AJ_1 finished"
assert_not_contains "$(cat "$D/livekit.log")" "CUT" "stand-in LiveKit server log"
assert_not_contains "$(cat "$D/run.log")" "address already in use" "supervisor log"

# The agent got exactly one SIGTERM and drained; no secret value reached a log.
assert_contains "$(cat "$D/run.log")" "received SIGTERM (1)"
assert_not_contains "$(cat "$D/run.log")" "received SIGTERM (2)" "supervisor log"
assert_not_contains "$(cat "$D/run.log")" "force exit" "supervisor log"
for value in replace-with-your-gemini-api-key replace-with-your-livekit-api-secret replace-with-a-long-random-string; do
	assert_not_contains "$(cat "$D/run.log")" "$value" "supervisor log"
	assert_not_contains "$log" "$value" "demo output"
	if grep -rqF "$value" "$D/dist"; then fail "$value is in a file of dist/"; fi
	for a in "$D"/dist/*.tar.*; do
		case $a in *.tar.zst | *.tar.gz) ;; *) continue ;; esac
		if tar -xOf "$a" 2>/dev/null | grep -qF "$value"; then fail "$value is inside $a"; fi
	done
done
