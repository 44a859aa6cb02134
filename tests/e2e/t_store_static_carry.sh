# Version skew (specs/store.md, "Static assets across releases"): two real builds of the
# Next.js example whose /_next/static assets differ. After installing both, each release's
# static directory also holds the other's assets, as hard links (same inode, no copy); over
# HTTP (curl), every asset the page of the release left behind references answers 200 with
# its original bytes after `activate` and after `rollback`; pruning one release leaves the
# others' links intact; nothing outside the static directories changes.
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

next_store
run_next_tree app2 v2
static=.next/standalone/.next/static
files() { (cd "$1/$static" && find . -type f | sort); }
only_a=$(comm -23 <(files app) <(files app2))
only_b=$(comm -13 <(files app) <(files app2))
[ -n "$only_a" ] && [ -n "$only_b" ] || fail "the two builds have the same assets"
echo "$only_a" | grep -q '\.css$' || fail "the builds do not differ in a stylesheet: $only_a"

next_archive A 1 app
next_archive B 2 app2
expect_rc 0 "$SLIPWAY" install "$T/A.tar.zst" --root store
# Before B exists, A has only its own assets.
assert_eq "$(files store/releases/A)" "$(files app)" "A's assets before B is installed"
expect_rc 0 "$SLIPWAY" install "$T/B.tar.zst" --root store

both=$(sort -u <(files app) <(files app2))
assert_eq "$(files store/releases/A)" "$both" "A's static files"
assert_eq "$(files store/releases/B)" "$both" "B's static files"
for f in $only_a; do
	[ "$(stat -c %i "store/releases/A/$static/$f")" = "$(stat -c %i "store/releases/B/$static/$f")" ] ||
		fail "$f is not a hard link of A's file in B"
	cmp -s "app/$static/$f" "store/releases/B/$static/$f" || fail "$f differs in B"
done
for f in $only_b; do
	[ "$(stat -c %i "store/releases/B/$static/$f")" = "$(stat -c %i "store/releases/A/$static/$f")" ] ||
		fail "$f is not a hard link of B's file in A"
done
# Nothing else was added: outside the static directory, each tree is its archive's (plus
# the Next.js build's empty writable cache directory, specs/store.md "Immutable releases").
for v in A B; do
	tree=app
	[ $v = B ] && tree=app2
	diff <(cd "$tree" && find . -path "./$static" -prune -o -print | sort) \
		<(cd "store/releases/$v" && find . -path "./$static" -prune -o -print |
			grep -vx -e "./slipway-manifest.json" -e "./.next/standalone/.next/cache" |
			sort) >/dev/null ||
		fail "release $v differs from its tree outside $static"
done

# Over HTTP: the assets of the release just left answer 200, byte for byte.
assets() { page "$port" | grep -o '/_next/static/[^"\\]*' | sort -u; }
check_assets() { # LIST TREE
	local a f n=0
	for a in $1; do
		curl -fsS --max-time 5 -o got "http://127.0.0.1:$port$a" || fail "$a: not served"
		f=${a#/_next/static/}
		f=${f%%\?*} # the build's deployment id tags asset URLs ?dpl=<id>
		cmp -s got "$2/.next/standalone/.next/static/$f" || fail "$a: wrong bytes"
		n=$((n + 1))
	done
	[ $n -ge 3 ] || fail "only $n assets on the page"
}
run_activate store A
run_start store run.log
poll_for 60 running_is "$port" A || fail "A not served: $(tail -20 run.log)"
assets_a=$(assets)
echo "$assets_a" | grep -q "$(echo "$only_a" | grep '\.css$' | head -1 | sed 's|^\./||')" ||
	fail "A's page does not reference A's own stylesheet"
expect_rc 0 "$SLIPWAY" activate B --root store --wait
running_is "$port" B || fail "B not served"
check_assets "$assets_a" app
assets_b=$(assets)
[ "$assets_a" != "$assets_b" ] || fail "both pages reference the same assets"
expect_rc 0 "$SLIPWAY" rollback --root store --wait
running_is "$port" A || fail "A not served after rollback"
check_assets "$assets_b" app2
kill -TERM "$RUN_PID"
wait "$RUN_PID"
RUN_PID=

# Pruning A leaves the other releases' links to A's assets readable. C (B's build) is
# installed afterwards, so it got A's assets too; with C current and B the rollback target,
# prune removes A.
next_archive C 3 app2
expect_rc 0 "$SLIPWAY" install "$T/C.tar.zst" --root store
assert_eq "$(files store/releases/C)" "$both" "C's static files"
run_activate store B
run_activate store C
expect_rc 0 "$SLIPWAY" prune --keep 0 --root store
[ ! -e store/releases/A ] || fail "A not pruned: $out"
for f in $only_a; do
	cmp -s "app/$static/$f" "store/releases/B/$static/$f" || fail "$f lost in B with A's prune"
	cmp -s "app/$static/$f" "store/releases/C/$static/$f" || fail "$f lost in C with A's prune"
done
true
