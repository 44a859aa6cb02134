# Never packed, whatever the config includes: .git, .env*, *.pem, *.key, .next/cache, the
# signing key (by identity, and by content under any name). Each skip is named on stderr.
source "$(dirname "${BASH_SOURCE[0]}")/pack_lib.sh"
make_project "$T/p"
cd "$T/p"
test_key "$T/p/agent/keys"                   # the signing key inside an included folder
mkdir -p agent/.git public/sub
echo "[core]" >agent/.git/config
echo "JWT_SECRET=hunter2" >agent/.env
echo "DATABASE_URL=postgres://x" >public/.env.production
echo "-----BEGIN PRIVATE KEY-----" >agent/tls.pem
echo "private" >agent/ssh.key
cp agent/keys/test.key agent/release-signing.txt  # a secret key under an innocent name
echo ok >public/sub/fine.txt
cat >slipway.ini <<'INI'
[bundle]
include = .next .next/standalone .next/static public agent start-production.sh
INI
git add -A && git commit -qm "secrets everywhere" && git tag v2

expect_rc 0 "$SLIPWAY" pack -o "$T/out" -s agent/keys/test.key
A=$T/out/demo-v2.tar.zst
tar -tf "$A" >"$T/list"
for bad in .git .env hunter2 tls.pem ssh.key test.key release-signing.txt .next/cache; do
	! grep -q -- "$bad" "$T/list" || fail "$bad was packed: $(grep -- "$bad" "$T/list")"
done
grep -qx "public/sub/fine.txt" "$T/list" || grep -qx ".next/standalone/public/sub/fine.txt" "$T/list" || fail "ordinary file missing"
# Nothing secret inside the compressed bytes either.
! zstd -dc "$A" | grep -q hunter2 || fail "secret value in the archive"
for s in "agent/.git (git metadata)" "agent/.env (environment file)" "public/.env.production (environment file)" \
	"agent/tls.pem (key file)" "agent/ssh.key (key file)" "agent/keys/test.key (key file)" \
	".next/cache (Next.js build cache)" "agent/release-signing.txt (looks like a secret key)"; do
	assert_contains "$errout" "never packed: $s" "stderr"
done
# An exclude pattern from the config is honoured too.
cat >slipway.ini <<'INI'
[bundle]
include = .next/standalone .next/static public agent
exclude = *.txt agent/keys
INI
git add -A && git commit -qm "exclude" && git tag v3
expect_rc 0 "$SLIPWAY" pack -o "$T/out" -s agent/keys/test.key --no-build
tar -tf "$T/out/demo-v3.tar.zst" >"$T/list3"
! grep -q '\.txt$' "$T/list3" || fail "exclude *.txt ignored"
! grep -q 'agent/keys' "$T/list3" || fail "exclude agent/keys ignored"
grep -qx "agent/main.py" "$T/list3" || fail "agent/main.py missing"
