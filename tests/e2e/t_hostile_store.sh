# A local unprivileged user and careless hands around the store (specs/store.md "Layout",
# "Lock", "init"): lock files only the owner can open, also in stores made before that rule
# (a descriptor taken earlier no longer blocks anyone); init never follows a link where a
# store directory belongs and refuses a root others can write or own; staging/, trash/ and
# releases/<version> replaced by links are refused, not worked through.
# The unprivileged user is a fixed uid without a passwd entry, through setpriv.
source "$REPO/tests/e2e/store_lib.sh"
source "$REPO/tests/e2e/run_helpers.sh"
NOBODY=64123
getent passwd $NOBODY >/dev/null && fail "uid $NOBODY is in use on this machine"
as_nobody() { setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$@"; }
# The system interpreter: a version manager's shim under /root is out of its reach.
SYSPY=/usr/bin/python3
chmod 755 "$T" # the unprivileged user must reach the store, as on a server
trap 'run_cleanup; [ -z "${HOLDER:-}" ] || kill $HOLDER 2>/dev/null' EXIT
# svc_ready: the supervisor reports its service ready.
svc_ready() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["services"] and all(s["state"] == "ready" for s in d["services"])' \
		"$S/run/state.json" 2>/dev/null
}
mkdir -m 1777 "$T/pub"
test_key
S="$T/store"
new_store "$S"
release 1.0.0 1 --service '{"name": "w", "argv": ["sleep", "60"], "cwd": "", "env": {}, "port": 0, "ready": "none", "ready_timeout_ms": 0, "stop_timeout_ms": 1000}'
expect_rc 0 "$SLIPWAY" deploy "$T/rel-1.0.0.tar.zst" --root "$S"

# --- locks ---------------------------------------------------------------------------------
assert_eq "$(stat -c '%a %u' "$S/lock")" "600 0" "store lock mode and owner"
as_nobody $SYSPY -c 'import sys; open(sys.argv[1])' "$S/lock" 2>/dev/null &&
	fail "an unprivileged user can open the store lock"

# hold_lock FILE: the unprivileged user opens FILE read-only and holds flock(LOCK_EX) on it
# until killed ($HOLDER); the file must still be readable by others (a store made before
# lock files became private).
hold_lock() {
	rm -f "$T/pub/held"
	as_nobody $SYSPY - "$1" "$T/pub/held" <<'PY' &
import fcntl, sys, time
f = open(sys.argv[1])
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(120)
PY
	HOLDER=$!
	wait_for 10 test -e "$T/pub/held" || fail "the unprivileged user could not lock $1"
}
# An old store's lock file (0644) taken by the unprivileged user: commands still get the lock
# (the file is replaced by a private one) and the lock is private afterwards.
chmod 644 "$S/lock"
hold_lock "$S/lock"
release 1.1.0 2 --service '{"name": "w", "argv": ["sleep", "60"], "cwd": "", "env": {}, "port": 0, "ready": "none", "ready_timeout_ms": 0, "stop_timeout_ms": 1000}'
SLIPWAY_LOCK_TIMEOUT=2 expect_rc 0 "$SLIPWAY" deploy "$T/rel-1.1.0.tar.zst" --root "$S"
SLIPWAY_LOCK_TIMEOUT=2 expect_rc 0 "$SLIPWAY" rollback --root "$S"
assert_eq "$(current_of "$S")" "releases/1.0.0" "current after rollback"
assert_eq "$(stat -c '%a %u' "$S/lock")" "600 0" "store lock after repair"
kill $HOLDER
wait $HOLDER 2>/dev/null

# The supervisor's lock: private once `slipway run` has taken it; an old public one held by
# the unprivileged user does not keep `slipway run` from starting.
run_start "$S" "$T/run1.log"
wait_for 20 test -e "$S/run/supervisor.lock" || fail "slipway run did not start: $(cat "$T/run1.log")"
wait_for 20 svc_ready || fail "service not ready: $(cat "$T/run1.log")"
assert_eq "$(stat -c '%a %u' "$S/run/supervisor.lock")" "600 0" "supervisor lock mode"
kill -TERM $RUN_PID
wait $RUN_PID
chmod 644 "$S/run/supervisor.lock"
hold_lock "$S/run/supervisor.lock"
run_start "$S" "$T/run2.log"
rm -f "$S/run/state.json"
wait_for 20 svc_ready ||
	fail "slipway run did not start past a held public lock: $(cat "$T/run2.log")"
expect_rc 0 "$SLIPWAY" status --root "$S" --json
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["supervisor"]["running"], d' "$out" ||
	fail "status does not see the supervisor: $out"
assert_eq "$(stat -c '%a %u' "$S/run/supervisor.lock")" "600 0" "supervisor lock after repair"
kill -TERM $RUN_PID
wait $RUN_PID
kill $HOLDER
wait $HOLDER 2>/dev/null

# --- init ----------------------------------------------------------------------------------
# Planted links where store directories belong: init refuses, and neither chmods the link's
# target nor creates anything inside it.
for d in staging trash shared releases meta; do
	mkdir -m 0777 "$T/target-$d"
	mv "$S/$d" "$T/saved-$d"
	ln -s "$T/target-$d" "$S/$d"
	expect_rc 3 "$SLIPWAY" init --root "$S" -p "$T/test.pub"
	assert_contains "$errout" "$d" "init with $d planted"
	assert_contains "$errout" "symlink" "init with $d planted"
	assert_eq "$(stat -c %a "$T/target-$d")" "777" "mode of the $d link's target"
	assert_eq "$(ls -A "$T/target-$d")" "" "files created through the $d link"
	rm "$S/$d"
	mv "$T/saved-$d" "$S/$d"
done
rm "$S/shared/env"
ln -s "$T/pub/env-target" "$S/shared/env"
expect_rc 3 "$SLIPWAY" init --root "$S" -p "$T/test.pub"
assert_no_file "$T/pub/env-target"
rm "$S/shared/env"
expect_rc 0 "$SLIPWAY" init --root "$S" -p "$T/test.pub"
assert_eq "$(stat -c %a "$S/shared/env")" "600" "shared/env re-created by init"

# A root someone else owns, or others can write, is refused: anyone could take it over.
mkdir -m 0777 "$T/open-root"
chown $NOBODY:$NOBODY "$T/open-root"
expect_rc 3 "$SLIPWAY" init --root "$T/open-root" -p "$T/test.pub"
assert_contains "$errout" "owned by uid $NOBODY"
assert_eq "$(ls -A "$T/open-root")" "" "init wrote into a root it refused"
chown 0:0 "$T/open-root"
expect_rc 3 "$SLIPWAY" init --root "$T/open-root" -p "$T/test.pub"
assert_contains "$errout" "writable by others"
chmod 0755 "$T/open-root"
expect_rc 0 "$SLIPWAY" init --root "$T/open-root" -p "$T/test.pub"
ln -s "$T/open-root" "$T/root-link"
expect_rc 0 "$SLIPWAY" status --root "$T/root-link"

# --- links inside an initialised store -----------------------------------------------------
# staging/ replaced by a link: deploy refuses before unpacking anything through it.
release 1.2.0 3
for d in staging trash; do
	mkdir -m 0777 "$T/into-$d"
	mv "$S/$d" "$T/saved-$d"
	ln -s "$T/into-$d" "$S/$d"
	expect_rc 3 "$SLIPWAY" deploy "$T/rel-1.2.0.tar.zst" --root "$S"
	assert_contains "$errout" "symlink" "deploy with $d planted"
	expect_rc 3 "$SLIPWAY" prune --keep 0 --root "$S"
	assert_eq "$(ls -A "$T/into-$d")" "" "written through the $d link"
	assert_eq "$(current_of "$S")" "releases/1.0.0" "current with $d planted"
	rm "$S/$d"
	mv "$T/saved-$d" "$S/$d"
done
# releases/<version> replaced by a link (to a copy of the release): not an installed release;
# activate refuses it, run and status do not run or read through it.
cp -a "$S/releases/1.1.0" "$T/copy-1.1.0"
python3 - "$T/copy-1.1.0/slipway-manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["secrets"]["required"] = ["PLANTED"]
open(sys.argv[1], "w").write(json.dumps(m))
PY
mv "$S/releases/1.1.0" "$T/saved-1.1.0"
ln -s "$T/copy-1.1.0" "$S/releases/1.1.0"
expect_rc 1 "$SLIPWAY" activate 1.1.0 --root "$S"
assert_contains "$errout" "not installed"
ln -sfn releases/1.1.0 "$S/.current.planted"
mv -T "$S/.current.planted" "$S/current"
expect_rc 3 timeout 20 "$SLIPWAY" run --root "$S"
assert_contains "$errout" "1.1.0"
run "$SLIPWAY" status --root "$S" --json
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d.get("app") is None and d["missing_secrets"] == [], d' "$out" ||
	fail "status read the release through a link: $out"
ln -sfn releases/1.0.0 "$S/.current.planted"
mv -T "$S/.current.planted" "$S/current"
expect_rc 0 "$SLIPWAY" prune --keep 0 --root "$S"
[ -d "$T/copy-1.1.0/app" ] || fail "prune removed the files behind a releases/ link"
rm "$S/releases/1.1.0"
assert_eq "$(ls -A "$S/staging" "$S/trash" | grep -v : | grep -c . || true)" "0" "staging and trash empty"
