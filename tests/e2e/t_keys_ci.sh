# e2e: long
# What the README says about keys on CI: a password-protected key costs about 1 GiB of memory
# to decrypt (minisign's scrypt limits); a copy without the password, made by stock minisign
# (`minisign -C -W`), signs in a few MiB, and the signature verifies with the original
# public key. Under a memory limit the protected key fails with a message that says why.
# All keys here are TEST KEYS.
command -v minisign >/dev/null || fail "minisign is not installed (make deps)"
unset SLIPWAY_SECRET_KEY SLIPWAY_SECRET_KEY_DATA SLIPWAY_PASSWORD
printf 'payload\n' >data

# maxrss_mib CMD...: runs CMD; prints the peak resident memory of it (MiB); CMD's status.
maxrss_mib() {
	python3 -c 'import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
sys.exit(rc)' "$@"
}

SLIPWAY_PASSWORD=test-pw expect_rc 0 "$SLIPWAY" keygen -p k.pub -s k.key -c "TEST KEY"
cp k.key ci.key
printf 'test-pw\n' | minisign -C -s ci.key -W >minisign.out 2>&1 || fail "minisign -C -W: $(cat minisign.out)"
assert_contains "$(cat minisign.out)" "Password removed"
assert_not_contains "$(sed -n 2p ci.key)" "$(sed -n 2p k.key)" "the copy without password"

# The copy, handed over as CI would (the file's contents in a variable): small and fast.
rss=$(SLIPWAY_SECRET_KEY_DATA=$(cat ci.key) maxrss_mib "$SLIPWAY" sign data -t "signed on CI") ||
	fail "sign with the unprotected copy failed"
[ "$rss" -lt 256 ] || fail "signing with an unprotected key took $rss MiB"
expect_rc 0 minisign -V -p k.pub -m data
assert_contains "$out" "signed on CI"

# The protected key: about 1 GiB, once per use.
rss=$(SLIPWAY_PASSWORD=test-pw maxrss_mib "$SLIPWAY" sign data -s k.key -t protected) ||
	fail "sign with the protected key failed"
[ "$rss" -ge 900 ] || fail "the protected key took only $rss MiB: is the README's 1 GiB wrong?"
expect_rc 0 minisign -V -p k.pub -m data

# Under a 512 MiB address-space limit it fails cleanly, saying how much it needs (not with
# the sanitizers, which reserve terabytes of address space for themselves).
if ! nm "$SLIPWAY" 2>/dev/null | grep -q __asan_init; then
	SLIPWAY_PASSWORD=test-pw expect_rc 1 bash -c 'ulimit -v 524288 && exec "$0" sign data -s k.key -t x' "$SLIPWAY"
	assert_contains "$errout" "it needs about 1024 MiB of memory"
	expect_rc 0 bash -c 'ulimit -v 524288 && exec "$0" sign data -s ci.key -t x' "$SLIPWAY"
fi
