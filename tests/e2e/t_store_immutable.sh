# Immutable releases and delta installs (specs/store.md "Delta install", "Immutable
# releases"), with the store as a deployment runs it: one unprivileged user owns the store,
# installs, and runs the services (contrib/slipway.service: User=slipway); here `nobody`.
# - B, installed over A, hard-links A's unchanged files (same inodes) and writes the rest;
# - a service of B that tries to change its release is refused every time, and what it
#   writes into its writable .next/cache stays in B; A and B still hold exactly their
#   archives' content (GNU tar is the judge);
# - a file tampered with in an installed release is not linked: the next install writes it;
# - pruning A leaves B, which shares its inodes, intact.
source "$REPO/tests/e2e/store_lib.sh"
source "$REPO/tests/e2e/run_helpers.sh"
command -v setpriv >/dev/null || fail "setpriv (util-linux) is needed"
[ "$(id -u)" = 0 ] || fail "this test switches to the user nobody: run it as root"

as_user() { setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all -- "$@"; }
chmod 711 "$T" # nobody may pass through, not list
U="$T/u"
mkdir "$U" && chown nobody:nogroup "$U"
S="$U/store"
test_key
chmod 644 "$T/test.pub"

# A Next.js-shaped tree: a build id next to the server, a library shared by both versions,
# and a service that tries to write everywhere, reporting into the writable cache.
tree() { # DIR VERSION
	mkdir -p "$1/.next/server" "$1/.next/static/chunks-$2" "$1/app/lib"
	echo "build-$2" >"$1/.next/BUILD_ID"
	echo "chunk of $2" >"$1/.next/static/chunks-$2/page.js"
	echo "page of $2" >"$1/.next/server/index.html"
	head -c 200000 /dev/zero | tr '\0' 'x' >"$1/app/lib/big.js" # the same in A and B
	echo "shared library" >"$1/app/lib/shared.js"
	echo "version $2" >"$1/app/version.txt"
	cat >"$1/app/try_write.py" <<'PY'
import os, sys
rel = os.environ["SLIPWAY_RELEASE"]
out = []
def attempt(what, fn):
    try:
        fn()
        out.append(what + " allowed")
    except PermissionError:
        out.append(what + " denied")
def append():
    with open(os.path.join(rel, "app/lib/shared.js"), "a") as f:
        f.write("changed by a service\n")
def truncate():
    os.truncate(os.path.join(rel, "app/lib/big.js"), 0)
def create():
    open(os.path.join(rel, "app/new.txt"), "w").close()
def remove():
    os.unlink(os.path.join(rel, "app/version.txt"))
def rename():
    os.rename(os.path.join(rel, "app/lib"), os.path.join(rel, "app/lib2"))
def top():
    os.mkdir(os.path.join(rel, "junk"))
attempt("append", append)
attempt("truncate", truncate)
attempt("create", create)
attempt("remove", remove)
attempt("rename", rename)
attempt("mkdir", top)
cache = os.path.join(rel, ".next/cache")
os.makedirs(os.path.join(cache, "images"), exist_ok=True)
with open(os.path.join(cache, "images/img.webp"), "w") as f:
    f.write("cached by the service\n")
with open(os.path.join(cache, "result.tmp"), "w") as f:
    f.write("\n".join(out) + "\n")
os.rename(os.path.join(cache, "result.tmp"), os.path.join(cache, "result"))
PY
}
# The system's python: the user `nobody` cannot reach a version manager's under /root.
svc_json='{"name": "writer", "argv": ["/usr/bin/python3", "app/try_write.py"], "cwd": "", "env": {},
  "port": 0, "ready": "none", "ready_timeout_ms": 10000, "stop_timeout_ms": 5000}'
for v in A B; do
	tree "$T/tree-$v" "$v"
	python3 "$MAKE_RELEASE" --tree "$T/tree-$v" --app testapp --version "$v" \
		--serial "$([ $v = A ] && echo 1 || echo 2)" --out "$T/rel-$v.tar.zst" \
		--sign "$T/test.key" --service "$svc_json" >/dev/null || fail "make_release.py $v"
	mkdir "$T/ref-$v" && tar -C "$T/ref-$v" -xf "$T/rel-$v.tar.zst"
done
chmod 644 "$T"/rel-*

expect_rc 0 as_user "$SLIPWAY" init --root "$S" -p "$T/test.pub"
expect_rc 0 as_user "$SLIPWAY" deploy "$T/rel-A.tar.zst" --root "$S"
assert_not_contains "$out" "linked" "the first install"
expect_rc 0 as_user "$SLIPWAY" deploy "$T/rel-B.tar.zst" --root "$S"
# Unchanged: big.js, shared.js, try_write.py; changed: BUILD_ID, index.html, version.txt.
assert_contains "$out" "3 files (" "B's install"
for f in app/lib/big.js app/lib/shared.js app/try_write.py; do
	assert_eq "$(stat -c %i "$S/releases/B/$f")" "$(stat -c %i "$S/releases/A/$f")" "inode of $f"
	assert_eq "$(stat -c %h "$S/releases/B/$f")" 2 "links of $f"
done
[ "$(stat -c %i "$S/releases/B/app/version.txt")" != "$(stat -c %i "$S/releases/A/app/version.txt")" ] ||
	fail "a changed file was linked"
assert_eq "$(stat -c '%a %U' "$S/releases/B/app/lib/shared.js")" "444 nobody" "shared file"
assert_eq "$(stat -c '%a' "$S/releases/B/app/lib")" "555" "directory"
assert_eq "$(stat -c '%a' "$S/releases/B")" "555" "release directory"
assert_eq "$(stat -c '%a' "$S/releases/B/.next/cache")" "755" "writable cache"
# Static assets across releases, done by a store owner that is not root: B received A's
# chunk before it was sealed, A received B's (its static directories opened for the time of
# it); both remain read-only, the chunks shared.
for v in A B; do
	for w in A B; do
		assert_eq "$(stat -c '%a' "$S/releases/$v/.next/static/chunks-$w/page.js")" 444 \
			"$w's chunk in $v"
		assert_eq "$(stat -c '%a' "$S/releases/$v/.next/static/chunks-$w")" 555 \
			"$w's chunk directory in $v"
	done
	assert_eq "$(stat -c '%a' "$S/releases/$v/.next/static")" 555 "static directory of $v"
done
assert_eq "$(stat -c %i "$S/releases/A/.next/static/chunks-B/page.js")" \
	"$(stat -c %i "$S/releases/B/.next/static/chunks-B/page.js")" "B's chunk in A"

# B's service, run by slipway as the store's user, tries to change its release.
run_start_as_user() {
	(exec setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all -- \
		"$SLIPWAY" run --root "$S") >"$T/run.log" 2>&1 &
	RUN_PID=$!
}
run_start_as_user
trap 'kill -TERM "$RUN_PID" 2>/dev/null; wait "$RUN_PID" 2>/dev/null' EXIT
for _ in $(seq 300); do
	[ -f "$S/releases/B/.next/cache/result" ] && break
	sleep 0.1
done
[ -f "$S/releases/B/.next/cache/result" ] || { cat "$T/run.log"; fail "the service never reported"; }
kill -TERM "$RUN_PID"
wait "$RUN_PID"
trap - EXIT
assert_eq "$(cat "$S/releases/B/.next/cache/result")" "append denied
truncate denied
create denied
remove denied
rename denied
mkdir denied" "what the service could do"
assert_eq "$(cat "$S/releases/B/.next/cache/images/img.webp")" "cached by the service" "cache"
assert_eq "$(ls -A "$S/releases/A/.next/cache")" "" "A's cache"
# Both releases still hold exactly their archives' content.
for v in A B; do
	diff -r --no-dereference -x slipway-manifest.json -x cache -x static "$T/ref-$v" \
		"$S/releases/$v" || fail "release $v differs from its archive"
done

# A file changed behind the store's back (its owner made it writable, wrote, and made it
# read-only again) is not linked into the next release: its bytes no longer match.
chmod 644 "$S/releases/B/app/lib/shared.js"
echo "tampered" >>"$S/releases/B/app/lib/shared.js"
chmod 444 "$S/releases/B/app/lib/shared.js"
tree "$T/tree-C" C
python3 "$MAKE_RELEASE" --tree "$T/tree-C" --app testapp --version C --serial 3 \
	--out "$T/rel-C.tar.zst" --sign "$T/test.key" --service "$svc_json" >/dev/null || fail "C"
chmod 644 "$T"/rel-C.*
expect_rc 0 as_user "$SLIPWAY" install "$T/rel-C.tar.zst" --root "$S"
assert_contains "$out" "2 files (" "C's install (big.js and try_write.py linked)"
[ "$(stat -c %i "$S/releases/C/app/lib/shared.js")" != "$(stat -c %i "$S/releases/B/app/lib/shared.js")" ] ||
	fail "the tampered file was linked"
cmp "$T/tree-C/app/lib/shared.js" "$S/releases/C/app/lib/shared.js" || fail "C's shared.js"
chmod 644 "$S/releases/B/app/lib/shared.js" # put B back as it was
cp "$T/ref-B/app/lib/shared.js" "$S/releases/B/app/lib/shared.js"
chmod 444 "$S/releases/B/app/lib/shared.js"

# Pruning A (C is current, B the rollback target) leaves B and C intact, although all three
# share big.js's inode.
expect_rc 0 as_user "$SLIPWAY" activate C --root "$S"
assert_eq "$(stat -c %h "$S/releases/B/app/lib/big.js")" 3 "big.js's links before the prune"
expect_rc 0 as_user "$SLIPWAY" prune --keep 1 --root "$S"
assert_no_file "$S/releases/A"
assert_eq "$(ls -A "$S/trash")" "" "trash after prune"
diff -r --no-dereference -x slipway-manifest.json -x cache -x static "$T/ref-B" "$S/releases/B" ||
	fail "B changed when A was pruned"
diff -r --no-dereference -x slipway-manifest.json -x cache -x static "$T/tree-C" "$S/releases/C" ||
	fail "C changed when A was pruned"
assert_eq "$(cat "$S/releases/B/.next/static/chunks-A/page.js")" "chunk of A" \
	"A's chunk in B after A was pruned"
assert_eq "$(stat -c '%a %h' "$S/releases/B/app/lib/big.js")" "444 2" "big.js after the prune"
