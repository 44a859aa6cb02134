# Encrypted secret keys with other scrypt limits than minisign -G's, made by an independent
# encoder (Python's hashlib): stock minisign (libsodium) and slipway must both decrypt them,
# which shows slipway maps opslimit/memlimit to N, r, p exactly as libsodium does, in both
# branches of pickparams and with p > 1. Small N keeps this fast. TEST KEYS only.
command -v minisign >/dev/null || fail "minisign is not installed (make deps)"
unset SLIPWAY_SECRET_KEY SLIPWAY_SECRET_KEY_DATA SLIPWAY_PASSWORD
expect_rc 0 minisign -G -W -p k.pub -s k.key
printf 'scrypt parameter test\n' >data

# opslimit memlimit expected-N-r-p
while read -r ops mem want; do
	expect_rc 0 python3 "$REPO/tests/e2e/encrypt_key.py" k.key e.key "pw $ops" "$ops" "$mem"
	assert_eq "$out" "$want" "parameters for ops=$ops mem=$mem"
	printf 'pw %s\n' "$ops" | minisign -S -s e.key -m data -x m.minisig -t "minisign $ops" \
		>/dev/null 2>&1 || fail "minisign cannot decrypt the key for ops=$ops mem=$mem"
	SLIPWAY_PASSWORD="pw $ops" expect_rc 0 "$SLIPWAY" sign data -s e.key -t "slipway $ops"
	expect_rc 0 minisign -V -p k.pub -m data -Q
	assert_eq "$out" "slipway $ops"
	SLIPWAY_PASSWORD="pw wrong" expect_rc 1 "$SLIPWAY" sign data -s e.key -t x
	assert_contains "$errout" "wrong password for this secret key"
done <<'LIMITS'
524288 16777216 N=16384 r=8 p=1
100000 67108864 N=2048 r=8 p=1
65536 1048576 N=1024 r=8 p=2
1000 1048576 N=1024 r=8 p=1
LIMITS

# Limits asking for more than minisign's own 1 GiB are refused before any work.
expect_rc 0 python3 -c '
import base64, struct
raw = bytearray(base64.b64decode(open("e.key").read().splitlines()[1]))
raw[38:54] = struct.pack("<QQ", 1 << 40, 1 << 40)
open("big.key", "w").write("untrusted comment: TEST KEY\n" + base64.b64encode(raw).decode() + "\n")'
SLIPWAY_PASSWORD=x expect_rc 1 "$SLIPWAY" sign data -s big.key -t x
assert_contains "$errout" "unsupported scrypt parameters"
