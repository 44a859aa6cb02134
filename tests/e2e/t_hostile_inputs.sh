# Careless or hostile files around the archive (specs/exit-codes.md "Input files"): a FIFO
# where an archive, a signature, a key or shared/env belongs never blocks a command (each is
# opened without blocking, checked to be a regular file, then read); every command classifies
# the same defect with the same exit code; attacker bytes reach the terminal escaped.
source "$REPO/tests/e2e/store_lib.sh"
test_key
S="$T/store"
new_store "$S"
release 1.0.0 1 --service '{"name": "w", "argv": ["sleep", "60"], "cwd": "", "env": {}, "port": 0, "ready": "none", "ready_timeout_ms": 0, "stop_timeout_ms": 1000}'
A="$T/rel-1.0.0.tar.zst"
expect_rc 0 "$SLIPWAY" deploy "$A" --root "$S"

# bounded N CMD...: like expect_rc, but a command that blocks fails the test after 20 s.
bounded() {
	local want=$1
	shift
	expect_rc "$want" timeout 10 "$@"
}
# The store lock is free again: a mutating command gets it at once.
lock_free() { SLIPWAY_LOCK_TIMEOUT=0 expect_rc 0 "$SLIPWAY" activate 1.0.0 --root "$S"; }

# A FIFO as the archive: refused (the input is not a regular file), not waited for.
mkfifo "$T/fifo.tar.zst"
cp "$A.minisig" "$T/fifo.tar.zst.minisig"
for cmd in install deploy; do
	bounded 1 "$SLIPWAY" $cmd "$T/fifo.tar.zst" --root "$S"
	assert_contains "$errout" "not a regular file" "$cmd of a FIFO"
	lock_free
done
bounded 1 "$SLIPWAY" verify "$T/fifo.tar.zst" -p "$T/test.pub"
assert_contains "$errout" "not a regular file"
bounded 1 "$SLIPWAY" inspect "$T/fifo.tar.zst"
assert_contains "$errout" "not a regular file"
# A directory is the same defect, with the same exit code everywhere.
mkdir "$T/dir.tar.zst"
cp "$A.minisig" "$T/dir.tar.zst.minisig"
for cmd in install deploy; do
	bounded 1 "$SLIPWAY" $cmd "$T/dir.tar.zst" --root "$S"
	assert_contains "$errout" "not a regular file" "$cmd of a directory"
done
bounded 1 "$SLIPWAY" verify "$T/dir.tar.zst" -p "$T/test.pub"
bounded 1 "$SLIPWAY" inspect "$T/dir.tar.zst"

# A FIFO as the signature.
cp "$A" "$T/a.tar.zst"
mkfifo "$T/a.tar.zst.minisig"
for cmd in install deploy; do
	bounded 1 "$SLIPWAY" $cmd "$T/a.tar.zst" --root "$S"
	assert_contains "$errout" "not a regular file" "$cmd with a FIFO signature"
	lock_free
done
bounded 1 "$SLIPWAY" verify "$T/a.tar.zst" -p "$T/test.pub"
assert_contains "$errout" "not a regular file"
# An oversized signature: exit 1 in deploy as in verify (a refused delivery, not a transient
# failure that automation would retry).
rm "$T/a.tar.zst.minisig"
{ cat "$A.minisig"; head -c 20000 /dev/zero | tr '\0' '\n'; } >"$T/a.tar.zst.minisig"
for cmd in install deploy; do
	bounded 1 "$SLIPWAY" $cmd "$T/a.tar.zst" --root "$S"
	assert_contains "$errout" "larger than" "$cmd with an oversized signature"
done
bounded 1 "$SLIPWAY" verify "$T/a.tar.zst" -p "$T/test.pub"
assert_contains "$errout" "larger than"
# A missing signature is refused too; a missing archive is the environment's failure.
rm "$T/a.tar.zst.minisig"
for cmd in install deploy; do
	bounded 1 "$SLIPWAY" $cmd "$T/a.tar.zst" --root "$S"
done
bounded 1 "$SLIPWAY" verify "$T/a.tar.zst" -p "$T/test.pub"
for cmd in install deploy; do
	bounded 3 "$SLIPWAY" $cmd "$T/gone.tar.zst" --root "$S"
	assert_contains "$errout" "No such file or directory" "$cmd of a missing archive"
done
bounded 3 "$SLIPWAY" verify "$T/gone.tar.zst" -p "$T/test.pub"
bounded 3 "$SLIPWAY" inspect "$T/gone.tar.zst"

# A FIFO as the public key given with -p.
mkfifo "$T/fifo.pub"
bounded 1 "$SLIPWAY" verify "$A" -p "$T/fifo.pub"
assert_contains "$errout" "not a regular file"
bounded 1 "$SLIPWAY" install "$A" -p "$T/fifo.pub" --root "$S"
assert_contains "$errout" "not a regular file"
bounded 1 "$SLIPWAY" init --root "$T/store2" -p "$T/fifo.pub"
assert_no_file "$T/store2/slipway-store"

# A FIFO as shared/env: run refuses the release's environment, status reports, neither blocks.
rm "$S/shared/env"
mkfifo -m 0600 "$S/shared/env"
bounded 1 "$SLIPWAY" run --root "$S"
assert_contains "$errout" "not a regular file"
bounded 0 "$SLIPWAY" status --root "$S"
bounded 0 "$SLIPWAY" status --root "$S" --json
# A FIFO in the store's own files (only the owner can put one there): an error, not a hang.
rm "$S/shared/env"
mv "$S/trusted.pub" "$T/trusted.pub.saved"
mkfifo "$S/trusted.pub"
release 1.0.1 2
bounded 3 "$SLIPWAY" deploy "$T/rel-1.0.1.tar.zst" --root "$S"
assert_contains "$errout" "not a regular file"
bounded 0 "$SLIPWAY" status --root "$S"
rm "$S/trusted.pub"
mv "$T/trusted.pub.saved" "$S/trusted.pub"
lock_free

# Attacker bytes on stdout are escaped as well: a trusted comment with terminal escapes
# (verify prints it), a manifest argv word with them (inspect prints it, unsigned).
cp "$A" "$T/esc.tar.zst"
minisign -S -s "$T/test.key" -m "$T/esc.tar.zst" -t "$(printf 'app:testapp version:1.0.0 serial:1 \033]0;owned\007\033[2J')" >/dev/null ||
	fail "minisign -S failed"
bounded 0 "$SLIPWAY" verify "$T/esc.tar.zst" -p "$T/test.pub"
assert_contains "$out" 'serial:1 \x1b]0;owned\x07\x1b[2J' "escaped trusted comment"
! LC_ALL=C grep -q '[[:cntrl:]]' "$T/.out" || fail "control bytes in verify's output: $(cat -v "$T/.out")"
rm -rf "$T/tree-esc"
test_tree "$T/tree-esc"
python3 "$MAKE_RELEASE" --tree "$T/tree-esc" --app testapp --version 1.0.2 --serial 3 \
	--out "$T/esc2.tar.zst" --service "$(printf '{"name": "w", "argv": ["echo", "\\u001b[31mred\\u009b"], "cwd": "", "env": {}, "port": 0, "ready": "none", "ready_timeout_ms": 0, "stop_timeout_ms": 1000}')" >/dev/null ||
	fail "make_release.py failed"
bounded 0 "$SLIPWAY" inspect "$T/esc2.tar.zst"
assert_contains "$out" 'command: echo \x1b[31mred\xc2\x9b' "escaped argv"
! LC_ALL=C grep -q '[[:cntrl:]]' "$T/.out" || fail "control bytes in inspect's output: $(cat -v "$T/.out")"
