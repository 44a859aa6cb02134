# e2e: long
# keygen: files, modes, overwrite protection, password handling, and key interoperability
# with stock minisign in both directions (unencrypted and scrypt-encrypted keys).
# All keys made here are TEST KEYS in a throwaway directory.
# Encrypted keys cost one scrypt (N=2^20, ~1 GiB, seconds) per use: keep their count small.
command -v minisign >/dev/null || fail "minisign is not installed (make deps)"
unset SLIPWAY_SECRET_KEY SLIPWAY_SECRET_KEY_DATA SLIPWAY_PASSWORD
printf 'payload for key tests\n' >data

expect_rc 0 "$SLIPWAY" keygen --help
assert_contains "$out" "usage: slipway keygen"
expect_rc 2 "$SLIPWAY" keygen --frob
expect_rc 2 "$SLIPWAY" keygen extra-arg

# Defaults, modes, no secret on stdout.
expect_rc 0 "$SLIPWAY" keygen -W -c "TEST KEY"
assert_file slipway.pub
assert_file slipway.key
assert_eq "$(stat -c %a slipway.key)" 600 "secret key mode"
assert_eq "$(stat -c %a slipway.pub)" 644 "public key mode"
keyid=$(sed -n 1p slipway.pub | sed 's/.*public key //')
assert_contains "$out" "key id: $keyid"
assert_not_contains "$out" "$(sed -n 2p slipway.key)" "keygen output"
assert_eq "$(sed -n 1p slipway.key)" "untrusted comment: TEST KEY"

# No overwrite without -f; -f replaces both.
cp slipway.key before.key
cp slipway.pub before.pub
expect_rc 1 "$SLIPWAY" keygen -W
assert_contains "$errout" "slipway.key already exists"
cmp -s slipway.key before.key || fail "existing secret key was modified"
rm slipway.key
expect_rc 1 "$SLIPWAY" keygen -W
assert_contains "$errout" "slipway.pub already exists"
assert_no_file slipway.key
cp before.key slipway.key
expect_rc 0 "$SLIPWAY" keygen -W -f
cmp -s slipway.key before.key && fail "-f did not replace the secret key"
cmp -s slipway.pub before.pub && fail "-f did not replace the public key"
expect_rc 2 "$SLIPWAY" keygen -W -p same -s same

# Without -W there must be a password source: none here (no tty, no SLIPWAY_PASSWORD).
expect_rc 2 setsid -w "$SLIPWAY" keygen -p n.pub -s n.key </dev/null
assert_contains "$errout" "no password for the secret key"
assert_no_file n.key
assert_no_file n.pub
# A missing directory is found before any password is asked for.
expect_rc 3 setsid -w "$SLIPWAY" keygen -p nodir/n.pub -s n.key </dev/null
assert_contains "$errout" "cannot write nodir/n.pub"
assert_no_file n.key
SLIPWAY_PASSWORD= expect_rc 2 "$SLIPWAY" keygen -p n.pub -s n.key
assert_contains "$errout" "empty password"
assert_no_file n.key

# slipway -W key -> stock minisign signs with it, both tools verify.
expect_rc 0 "$SLIPWAY" keygen -W -f -p w.pub -s w.key
expect_rc 0 minisign -S -s w.key -m data -t "signed by minisign"
expect_rc 0 minisign -V -p w.pub -m data
expect_rc 0 "$SLIPWAY" verify data -p w.pub
assert_contains "$out" "trusted comment: signed by minisign"

# Key sources: -s, then $SLIPWAY_SECRET_KEY (path), then $SLIPWAY_SECRET_KEY_DATA (contents).
expect_rc 2 "$SLIPWAY" sign data -t x
assert_contains "$errout" "no secret key"
SLIPWAY_SECRET_KEY=w.key expect_rc 0 "$SLIPWAY" sign data -t "from env path"
expect_rc 0 minisign -V -p w.pub -m data
assert_contains "$out" "from env path"
SLIPWAY_SECRET_KEY_DATA=$(cat w.key) expect_rc 0 "$SLIPWAY" sign data -t "from env data"
expect_rc 0 minisign -V -p w.pub -m data
assert_contains "$out" "from env data"
SLIPWAY_SECRET_KEY_DATA=$(sed -n 2p w.key) expect_rc 0 "$SLIPWAY" sign data -t "base64 only"
expect_rc 0 minisign -V -p w.pub -m data
SLIPWAY_SECRET_KEY=missing.key expect_rc 0 "$SLIPWAY" sign data -s w.key -t "-s wins"
expect_rc 0 minisign -V -p w.pub -m data
assert_contains "$out" "-s wins"
SLIPWAY_SECRET_KEY=missing.key expect_rc 1 "$SLIPWAY" sign data -t x
assert_contains "$errout" "missing.key"
SLIPWAY_SECRET_KEY_DATA="not a key" expect_rc 1 "$SLIPWAY" sign data -t x
assert_contains "$errout" "malformed secret key"

# stock minisign -W key -> slipway signs with it, minisign verifies.
expect_rc 0 minisign -G -W -p mw.pub -s mw.key
expect_rc 0 "$SLIPWAY" sign data -s mw.key -t "slipway with minisign key"
expect_rc 0 minisign -V -p mw.pub -m data
assert_contains "$out" "slipway with minisign key"

# Encrypted slipway key (scrypt #1): minisign signs with it, password on stdin (scrypt #2).
SLIPWAY_PASSWORD='test pw' expect_rc 0 "$SLIPWAY" keygen -p e.pub -s e.key
assert_contains "$out" "encrypted"
assert_eq "$(stat -c %a e.key)" 600 "encrypted secret key mode"
[ "$(sed -n 2p e.key | base64 -d | head -c 4 | tail -c 2)" = Sc ] || fail "key not scrypt-encrypted"
printf 'test pw\n' | minisign -S -s e.key -m data -t "minisign with encrypted slipway key" \
	>/dev/null 2>&1 || fail "minisign cannot use slipway's encrypted key"
expect_rc 0 "$SLIPWAY" verify data -p e.pub
assert_contains "$out" "minisign with encrypted slipway key"
# Encrypted key without any password source: clear error, no scrypt.
expect_rc 1 setsid -w "$SLIPWAY" sign data -s e.key -t x </dev/null
assert_contains "$errout" "set \$SLIPWAY_PASSWORD or run on a terminal"

# Encrypted stock minisign key (scrypt #3): slipway signs with it (scrypt #4).
printf 'other pw\nother pw\n' | minisign -G -p me.pub -s me.key >/dev/null 2>&1 ||
	fail "minisign -G failed"
SLIPWAY_PASSWORD='other pw' expect_rc 0 "$SLIPWAY" sign data -s me.key -t "slipway, encrypted minisign key"
expect_rc 0 minisign -V -p me.pub -m data
assert_contains "$out" "slipway, encrypted minisign key"

# Passwords typed on a terminal (a pseudo-terminal driven by tty_answer.py): never echoed.
tty_run() { python3 "$REPO/tests/e2e/tty_answer.py" "$@"; }
expect_rc 1 tty_run 'first pw' 'other pw' -- "$SLIPWAY" keygen -p t.pub -s t.key
assert_contains "$out" "Password (again): "
assert_contains "$out" "the passwords do not match"
assert_not_contains "$out" "first pw" "terminal output"
assert_no_file t.key
assert_no_file t.pub
expect_rc 2 tty_run '' '' -- "$SLIPWAY" keygen -p t.pub -s t.key
assert_contains "$out" "empty password"
assert_no_file t.key
# The encrypted slipway key with a wrong password typed at the prompt (scrypt #5): read from
# the terminal without echo, detected, and nothing written.
cp data.minisig before.minisig
expect_rc 1 tty_run 'wrong pw' -- "$SLIPWAY" sign data -s e.key -t x
assert_contains "$out" "Password for the secret key: "
assert_not_contains "$out" "wrong pw" "terminal output"
assert_contains "$out" "wrong password for this secret key"
cmp -s data.minisig before.minisig || fail "a failed sign changed the signature"
