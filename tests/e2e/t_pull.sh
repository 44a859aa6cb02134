# slipway publish, then slipway pull from nginx on loopback: install and switch, up to date
# without a download, upgrade, replayed / expired / foreign-key indexes refused, an archive
# whose bytes differ from the index refused, and a partial download resumed with Range.
# Stock minisign judges what publish wrote. Keys are TEST KEYS.
source "$REPO/tests/e2e/store_lib.sh"
source "$REPO/tests/e2e/pull_lib.sh"
trap 'kill $NGINX_PID 2>/dev/null; wait 2>/dev/null' EXIT
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
test_key
S=$T/store C=$T/channel
mkdir -p "$C"
new_store "$S"

big_release 1.0.0 10
expect_rc 0 "$SLIPWAY" publish "$T/rel-1.0.0.tar.zst" "$C" -s "$T/test.key"
assert_contains "$out" "published testapp 1.0.0"
# Stock minisign accepts the published archive, and the index's signature over its PAE.
minisign -Vm "$C/testapp-1.0.0.tar.zst" -p "$T/test.pub" -q || fail "minisign rejects the archive"
mkdir "$T/split1" && python3 "$REPO/tests/e2e/envelope_tool.py" split "$C/index.json" "$T/split1" || fail "split"
minisign -Vm "$T/split1/pae" -x "$T/split1/sig.0" -p "$T/test.pub" -q ||
	fail "minisign rejects the index's signature"
assert_eq "$(index_field "$C/index.json" latest.sha256)" \
	"$(sha256sum "$T/rel-1.0.0.tar.zst" | cut -d' ' -f1)" "index latest.sha256"
cp "$C/index.json" "$T/index-v1.json"

nginx_serve "$C"
# publish then pull: installed and switched; the index recorded, the downloads gone
expect_rc 0 "$SLIPWAY" pull "$NGINX_URL" --root "$S"
assert_contains "$out" "installed 1.0.0"
assert_eq "$(current_of "$S")" "releases/1.0.0" "current after the first pull"
cmp -s "$S/channel.json" "$C/index.json" || fail "channel.json is not the accepted index"
assert_eq "$(downloads_left "$S")" "" "ROOT/tmp after a pull"
cmp -s "$S/releases/1.0.0/app/blob.bin" "$T/tree-1.0.0/app/blob.bin" || fail "blob differs"
# The index (and the small files beside it) asked fresh of any cache on the way; the archive,
# immutable under its name, not.
grep -q '^"GET /index.json HTTP/1.1" cache-control=no-cache$' "$NGINX_CACHE_LOG" ||
	fail "the index was not asked with Cache-Control: no-cache: $(cat "$NGINX_CACHE_LOG")"
grep -q '^"GET /testapp-1.0.0.tar.zst HTTP/1.1" cache-control=-$' "$NGINX_CACHE_LOG" ||
	fail "the archive's request: $(grep 'tar.zst ' "$NGINX_CACHE_LOG")"

# the same index again: up to date, only the index fetched
before=$(wc -l <"$NGINX_LOG")
expect_rc 0 "$SLIPWAY" pull "$NGINX_URL/index.json" --root "$S" --json
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["up_to_date"] is True and d["downloaded"] == 0, d' "$out" ||
	fail "pull --json did not say up to date: $out"
assert_eq "$(tail -n +$((before + 1)) "$NGINX_LOG" | grep -c tar.zst)" "0" "archive requests when up to date"
expect_rc 0 "$SLIPWAY" pull "$NGINX_URL/" --root "$S"
assert_contains "$out" "up to date: testapp 1.0.0"

# publish v2 with its provenance and reproductions beside it (stand-ins: this store has no
# policy that reads them): published and fetched with the archive; pull upgrades
big_release 2.0.0 20
echo '{"stand-in":"provenance"}' >"$T/rel-2.0.0.tar.zst.intoto.jsonl"
echo '{"stand-in":"reproduced"}' >"$T/rel-2.0.0.tar.zst.reproduced.jsonl"
expect_rc 0 "$SLIPWAY" publish "$T/rel-2.0.0.tar.zst" "$C" -s "$T/test.key"
for x in intoto reproduced; do
	cmp -s "$T/rel-2.0.0.tar.zst.$x.jsonl" "$C/testapp-2.0.0.tar.zst.$x.jsonl" ||
		fail "publish did not copy the .$x.jsonl"
done
before=$(wc -l <"$NGINX_LOG")
expect_rc 0 "$SLIPWAY" pull "$NGINX_URL" --root "$S"
assert_contains "$out" "activated 2.0.0 (was 1.0.0)"
for x in intoto reproduced; do
	tail -n +$((before + 1)) "$NGINX_LOG" | grep -q "^200 \"GET /testapp-2.0.0.tar.zst.$x.jsonl " ||
		fail "pull did not fetch the .$x.jsonl: $(tail -n +$((before + 1)) "$NGINX_LOG")"
done
assert_eq "$(downloads_left "$S")" "" "ROOT/tmp after a pull with provenance"
assert_eq "$(current_of "$S")" "releases/2.0.0" "current after the upgrade"
cp "$C/index.json" "$T/index-v2.json"

# the old index put back (validly signed, unexpired): a replay, refused
cp "$T/index-v1.json" "$C/index.json"
expect_rc 1 "$SLIPWAY" pull "$NGINX_URL" --root "$S"
assert_contains "$errout" "older than the last accepted"
assert_eq "$(echo "$errout" | wc -l)" "1" "lines of the refusal"
assert_eq "$(current_of "$S")" "releases/2.0.0" "current after a replay"
cmp -s "$S/channel.json" "$T/index-v2.json" || fail "channel.json changed by a replay"

# the same serial with other bytes (a fork): refused
resign_index "$T/index-v2.json" "$C/index.json" "$T/test.key" 'p["expires"] = "2099-01-01T00:00:00Z"'
expect_rc 1 "$SLIPWAY" pull "$NGINX_URL" --root "$S"
assert_contains "$errout" "accepted before with other contents"

# an expired index (signed by the right key, serial newer): refused
resign_index "$T/index-v2.json" "$C/index.json" "$T/test.key" \
	'p["expires"] = "2020-01-01T00:00:00Z"; p["serial"] += 5'
expect_rc 1 "$SLIPWAY" pull "$NGINX_URL" --root "$S"
assert_contains "$errout" "expired"
# an index signed by another key: refused
minisign -G -W -p "$T/other.pub" -s "$T/other.key" >/dev/null 2>&1
resign_index "$T/index-v2.json" "$C/index.json" "$T/other.key" 'p["serial"] += 5'
expect_rc 1 "$SLIPWAY" pull "$NGINX_URL" --root "$S"
assert_contains "$errout" "$NGINX_URL/index.json: "
assert_eq "$(current_of "$S")" "releases/2.0.0" "current after refused indexes"
cmp -s "$S/channel.json" "$T/index-v2.json" || fail "channel.json changed by a refused index"

# v3 published, but the archive's bytes altered (same size): refused before install
big_release 3.0.0 30
cp "$T/index-v2.json" "$C/index.json"
expect_rc 0 "$SLIPWAY" publish "$T/rel-3.0.0.tar.zst" "$C" -s "$T/test.key"
sha=$(index_field "$C/index.json" latest.sha256)
size=$(stat -c %s "$C/testapp-3.0.0.tar.zst")
flip_byte "$C/testapp-3.0.0.tar.zst" $((size / 2))
expect_rc 1 "$SLIPWAY" pull "$NGINX_URL" --root "$S"
assert_contains "$errout" "is not the index's $sha; nothing installed"
assert_no_file "$S/releases/3.0.0"
assert_eq "$(current_of "$S")" "releases/2.0.0" "current after a tampered archive"
assert_no_file "$S/tmp/$sha.tar.zst"

# a partial download in ROOT/tmp: resumed with a Range request, then installed
cp "$T/rel-3.0.0.tar.zst" "$C/testapp-3.0.0.tar.zst"
head -c $((size / 3)) "$T/rel-3.0.0.tar.zst" >"$S/tmp/$sha.tar.zst"
before=$(wc -l <"$NGINX_LOG")
expect_rc 0 "$SLIPWAY" pull "$NGINX_URL" --root "$S"
assert_contains "$out" "resumed from byte $((size / 3))"
assert_contains "$out" "downloaded $((size - size / 3)) bytes"
tail -n +$((before + 1)) "$NGINX_LOG" | grep -q "^206 \"GET /testapp-3.0.0.tar.zst HTTP/1.1\" range=bytes=$((size / 3))-$" ||
	fail "no Range request in nginx's log: $(tail -n +$((before + 1)) "$NGINX_LOG")"
assert_eq "$(current_of "$S")" "releases/3.0.0" "current after a resumed pull"
cmp -s "$S/releases/3.0.0/app/blob.bin" "$T/tree-3.0.0/app/blob.bin" || fail "resumed blob differs"
assert_eq "$(downloads_left "$S")" "" "ROOT/tmp after a resumed pull"
