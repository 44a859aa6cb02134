# Helpers for the store's end-to-end tests (t_store_*.sh, t_install_*.sh, t_hostile_*.sh).
# Source after lib.sh. Keys made here are TEST KEYS, unencrypted, used only in $T.

MAKE_RELEASE="$REPO/tests/e2e/make_release.py"

# test_tree DIR [WORD]: a small release tree: dirs, a script, a text file, a relative link.
test_tree() {
	mkdir -p "$1/app/lib" "$1/bin"
	printf 'hello %s\n' "${2:-v1}" >"$1/app/index.txt"
	printf '#!/bin/sh\necho started\n' >"$1/bin/start.sh"
	chmod 755 "$1/bin/start.sh"
	printf 'lib %s\n' "${2:-v1}" >"$1/app/lib/mod.js"
	ln -sfn ../bin/start.sh "$1/app/start"
}

# release VERSION SERIAL [extra make_release.py args...]: $T/rel-VERSION.tar.zst, signed
# with the test key, from a fresh test tree that differs per version.
release() {
	local v=$1 s=$2
	shift 2
	rm -rf "$T/tree-$v"
	test_tree "$T/tree-$v" "$v"
	python3 "$MAKE_RELEASE" --tree "$T/tree-$v" --app testapp --version "$v" --serial "$s" \
		--out "$T/rel-$v.tar.zst" --sign "$T/test.key" "$@" >/dev/null ||
		fail "make_release.py failed for $v"
}

# new_store DIR: an initialised store pinned to the test key.
new_store() {
	expect_rc 0 "$SLIPWAY" init --root "$1" -p "$T/test.pub"
}

current_of() { readlink "$1/current"; }
