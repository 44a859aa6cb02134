# e2e: long
# e2e: not under sanitizers: mostly a Next.js build of its own; nextkey_test and the store key unit tests run that C under the sanitizers
# Issue 20: the Next.js Server Actions encryption key never lands in an archive, and every
# release of a store runs with the store's own key. The real example app (examples/mediai)
# plus one page with a Server Action closure (its captured variable travels encrypted in the
# page), packed by `slipway pack`: the key the build generated (read from the build's own
# .next/server/server-reference-manifest.json) is nowhere in the archive (GNU tar extracts,
# grep looks), a second pack gives the same bytes, and a copy of the key elsewhere refuses
# the pack. Under `slipway run`: ROOT/shared/next-action-key (0600, the store owner's) is the
# Next.js process's NEXT_SERVER_ACTIONS_ENCRYPTION_KEY; a Server Action called as the browser
# calls it (POST with the Next-Action id from the release's server-reference-manifest.json)
# runs; the closure in the page decrypts with that key (Node's WebCrypto, not Next) and its
# form post runs; a second deploy (v2) keeps the key; neither status --json nor the logs show
# it. shared/env's own key wins, and then a form encrypted with the store's key is refused; a
# key file others can read stops run.
source "$REPO/tests/e2e/fixture.sh"
source "$REPO/tests/e2e/pack_lib.sh"
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

port=$(free_port)
fixture_mediai "$T/app" || fail "fixture_mediai"
cd "$T/app"
# The web service alone, on a free port (neither slipway.ini nor agent/ is part of the build's
# key; without agent/ no agent service is detected).
rm -rf agent
# A closure: Next encrypts `patient` into the page with the Server Actions key (a new page, so
# this build is the test's own: 20 to 40 s once, then cached).
mkdir -p app/notes/closure
cat >app/notes/closure/page.js <<'JS'
import { appendFile } from 'node:fs/promises';
import path from 'node:path';

export const dynamic = 'force-dynamic';

export default function ClosureNote() {
	const patient = 'patient-7';

	async function save(formData) {
		'use server';
		const log = path.join(process.env.SLIPWAY_RELEASE || '.', '..', '..', 'shared', 'notes.log');
		await appendFile(log, `closure ${patient} ${String(formData.get('note') || '')}\n`);
	}

	return (
		<form action={save}>
			<input name="note" defaultValue="" />
			<button type="submit">Save</button>
		</form>
	);
}
JS
cat >slipway.ini <<INI
[app]
name = mediai
build = npm run build
[bundle]
include = .next/standalone .next/static public
exclude = .next/cache
[service web]
command = node server.js
cwd = .next/standalone
port = $port
ready = http /api/health
ready_timeout = 60s
stop_timeout = 10s
env = NEXT_TELEMETRY_DISABLED=1
INI
printf 'node_modules/\n.next/\n' >.gitignore
git init -q && git add -A && git commit -qm "mediai" && git tag v1 || fail "git"
test_key "$T"

expect_rc 0 "$SLIPWAY" pack -o "$T/out" -s "$T/test.key"
A=$T/out/mediai-v1.tar.zst
assert_contains "$errout" "removed the Next.js Server Actions encryption key from .next/standalone/.next/server/server-reference-manifest.json"
built=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["encryptionKey"])' \
	.next/server/server-reference-manifest.json) || fail "the build wrote no encryptionKey"
[ "$(printf '%s' "$built" | base64 -d | wc -c)" = 32 ] || fail "not a 32-byte key: ${#built} chars"
# The user's build directory keeps its files as they were.
grep -qF "$built" .next/standalone/.next/server/server-reference-manifest.json ||
	fail "pack changed the project's build output"

# GNU tar extracts; the key is in no file, and in no byte of the tar stream.
mkdir "$T/x" && tar -C "$T/x" -xf "$A" || fail "GNU tar cannot extract"
! grep -rlF "$built" "$T/x" || fail "the archive carries the build's key: $(grep -rlF "$built" "$T/x")"
! zstd -dc "$A" | grep -qF "$built" || fail "the key is in the tar stream"
srm=$T/x/.next/standalone/.next/server/server-reference-manifest.json
assert_eq "$(json_get "$srm" '("encryptionKey" in m, sorted(v["exportedName"] for v in m["node"].values()))')" \
	"(False, ['\$\$RSC_SERVER_ACTION_0', 'saveNote', 'saveNoteText'])" "the packed server-reference-manifest.json"
# The manifest's hash of the file is the hash of the bytes packed.
manifest_of "$A" >"$T/m.json"
assert_eq "$(json_get "$T/m.json" '[f["sha256"] for f in m["files"] if f["path"] == ".next/standalone/.next/server/server-reference-manifest.json"][0]')" \
	"$(sha256sum "$srm" | cut -d' ' -f1)" "manifest sha256 of the rewritten file"

# Same input, same bytes.
expect_rc 0 "$SLIPWAY" pack -o "$T/out2" -s "$T/test.key"
cmp -s "$A" "$T/out2/mediai-v1.tar.zst" || fail "a second pack gives other bytes"

# A copy of the key anywhere else in the release refuses the pack: one line naming the file,
# never the key, and nothing in OUTDIR (--no-build: a new file in public/ would make a new
# build, with a new key).
printf 'key=%s\n' "$built" >public/leak.txt
expect_rc 1 "$SLIPWAY" pack --no-build -o "$T/out3" -s "$T/test.key"
assert_contains "$errout" ".next/standalone/public/leak.txt carries this build's Next.js Server Actions encryption key"
assert_not_contains "$out$errout" "$built"
[ -z "$(ls -A "$T/out3" 2>/dev/null)" ] || fail "the refused pack left $(ls -A "$T/out3")"
rm public/leak.txt

# Under slipway run.
cd "$T"
run_store store
echo HOSTNAME=127.0.0.1 >>store/shared/env
expect_rc 0 "$SLIPWAY" deploy "$A" --root store
assert_no_file store/shared/next-action-key
run_start store run.log
sup=$RUN_PID
served() { curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$port/api/health"; }
poll_for 60 served || fail "web not served: $(tail -30 run.log)"

# The key file: made by run, 0600, the store owner's, 32 random bytes in base64.
keyfile=store/shared/next-action-key
assert_file "$keyfile"
assert_eq "$(stat -c '%a %U' "$keyfile")" "600 $(stat -c %U store)" "key file mode and owner"
key=$(cat "$keyfile")
[ "$(printf '%s' "$key" | base64 -d | wc -c)" = 32 ] || fail "the key file holds no 32-byte key"
[ "$key" != "$built" ] || fail "the store key is the build's"

# The Next.js server process runs with it.
env_of() { tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | sed -n "s/^$2=//p"; }
# The web service's process of release VERSION (Next renames itself next-server: found by its
# environment).
web_pid() {
	local p
	for p in $(descendants "$RUN_PID"); do
		[ "$(env_of "$p" SLIPWAY_SERVICE)" = web ] && [ "$(env_of "$p" SLIPWAY_VERSION)" = "$1" ] &&
			[ "$(readlink "/proc/$p/exe")" = "$(readlink -f "$(command -v node)")" ] &&
			{ echo "$p"; return; }
	done
}
pid=$(web_pid v1)
[ -n "$pid" ] || fail "no node server.js process"
assert_eq "$(env_of "$pid" NEXT_SERVER_ACTIONS_ENCRYPTION_KEY)" "$key" "the server's key"

# A Server Action, as the browser calls it: POST to the page with the Next-Action id.
action_id() {
	python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))
print([k for k, v in m["node"].items() if v["exportedName"] == "saveNoteText"][0])' \
		store/current/.next/standalone/.next/server/server-reference-manifest.json
}
call_action() { # NOTE: prints the HTTP status, the body in $T/action.out
	curl -sS --max-time 10 -o "$T/action.out" -w '%{http_code}' -X POST \
		-H "Next-Action: $(action_id)" -H 'Accept: text/x-component' \
		-H 'Content-Type: text/plain;charset=UTF-8' --data "[\"$1\"]" \
		"http://127.0.0.1:$port/notes"
}
assert_eq "$(call_action "note one")" 200 "Server Action call (body: $(cat "$T/action.out" 2>/dev/null | head -c 300))"
assert_contains "$(cat "$T/action.out")" "saved by"
assert_contains "$(cat store/shared/notes.log)" "call"
assert_contains "$(cat store/shared/notes.log)" "note one"

# The closure: the page's hidden form fields (the browser's no-JavaScript post). The
# encrypted field decrypts with the store's key (AES-GCM, 16-byte IV first, the plaintext
# starting with the action id: next/dist/server/app-render/encryption.js), and posting the
# form runs the action with the captured value.
closure_form() { # FILE: the hidden fields of /notes/closure, one JSON [name, value] a line
	curl -fsS --max-time 10 "http://127.0.0.1:$port/notes/closure" | python3 -c '
import html.parser, json, sys
class P(html.parser.HTMLParser):
	def handle_starttag(self, tag, a):
		a = dict(a)
		if tag == "input" and a.get("type") == "hidden":
			print(json.dumps([a["name"], a.get("value") or ""]))
P().feed(sys.stdin.read())' >"$1"
}
post_form() { # FILE NOTE: posts the fields of FILE plus note=NOTE; prints the HTTP status
	local args=() name value
	while IFS= read -r line; do
		name=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])[0])' "$line")
		value=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])[1])' "$line")
		args+=(--form-string "$name=$value")
	done <"$1"
	curl -sS --max-time 10 -o "$T/form.out" -w '%{http_code}' "${args[@]}" --form-string "note=$2" \
		"http://127.0.0.1:$port/notes/closure"
}
closure_form "$T/form1"
blob=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
	n, v = json.loads(l)
	if v.startswith("\""): print(json.loads(v))' "$T/form1")
[ -n "$blob" ] || fail "no encrypted field in the closure's form: $(cat "$T/form1")"
closure_id=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
	n, v = json.loads(l)
	if v.startswith("{"): print(json.loads(v)["id"])' "$T/form1")
decrypt() { # KEY BLOB: the plaintext, by Node's WebCrypto
	node -e '
const [key, blob] = process.argv.slice(1);
const raw = Buffer.from(blob, "base64");
crypto.subtle.importKey("raw", Buffer.from(key, "base64"), "AES-GCM", false, ["decrypt"])
	.then((k) => crypto.subtle.decrypt({ name: "AES-GCM", iv: raw.subarray(0, 16) }, k, raw.subarray(16)))
	.then((p) => process.stdout.write(Buffer.from(p).toString()), () => process.exit(1));' "$1" "$2"
}
plain=$(decrypt "$key" "$blob") || fail "the closure does not decrypt with the store's key"
case "$plain" in "$closure_id"*patient-7*) ;; *) fail "closure plaintext: $plain" ;; esac
! decrypt "$built" "$blob" >/dev/null || fail "the closure decrypts with the build's key"
assert_eq "$(post_form "$T/form1" first)" 200 "closure form post ($(head -c 300 "$T/form.out"))"
assert_contains "$(cat store/shared/notes.log)" "closure patient-7 first"

# A second deploy (v2, the fixture's second build: its own build key and action ids) keeps
# the store's key.
v1_id=$(action_id)
rm -r "$T/app/app/notes/closure" # v2 is the shared build of the fixture's second version
fixture_mediai_v2_change "$T/app" && git -C "$T/app" add -A && git -C "$T/app" commit -qm v2 &&
	git -C "$T/app" tag v2 || fail "v2"
expect_rc 0 "$SLIPWAY" pack "$T/app" --serial "$(($(commit_time "$T/app") + 1))" -o "$T/out" -s "$T/test.key"
expect_rc 0 "$SLIPWAY" deploy "$T/out/mediai-v2.tar.zst" --root store --wait
assert_eq "$(readlink store/current)" "releases/v2" "current after the second deploy"
[ "$(action_id)" != "$v1_id" ] || fail "v2 has v1's action id"
assert_eq "$(cat "$keyfile")" "$key" "the key after a second deploy"
pid2=$(web_pid v2)
[ -n "$pid2" ] && [ "$pid2" != "$pid" ] || fail "the web service was not replaced ($pid, $pid2)"
assert_eq "$(env_of "$pid2" NEXT_SERVER_ACTIONS_ENCRYPTION_KEY)" "$key" "v2's key"
assert_eq "$(call_action "note two")" 200 "Server Action call on v2"
assert_contains "$(cat store/shared/notes.log)" "note two"

# Never shown.
expect_rc 0 "$SLIPWAY" status --root store --json
assert_not_contains "$out$errout" "$key" "status --json"
expect_rc 0 "$SLIPWAY" status --root store
assert_not_contains "$out$errout" "$key" "status"
assert_not_contains "$(cat run.log)" "$key" "the run log"
assert_not_contains "$(cat run.log)" "$built" "the run log"

# The operator's own key in shared/env wins over the store's (run restarted, rolled back to
# v1): a form encrypted with the store's key is refused now, a fresh one works.
kill -TERM "$sup"
wait "$sup"
RUN_PID=
own=$(head -c 32 /dev/urandom | base64)
echo "NEXT_SERVER_ACTIONS_ENCRYPTION_KEY=$own" >>store/shared/env
expect_rc 0 "$SLIPWAY" rollback --root store
run_start store run2.log
poll_for 60 served || fail "web not served again: $(tail -30 run2.log)"
assert_eq "$(env_of "$(web_pid v1)" NEXT_SERVER_ACTIONS_ENCRYPTION_KEY)" "$own" "shared/env's key"
assert_eq "$(cat "$keyfile")" "$key" "the key file after a restart"
assert_eq "$(call_action "note three")" 200 "Server Action call with the operator's key"
[ "$(post_form "$T/form1" stale)" != 200 ] || fail "a form encrypted with the store's key passed"
assert_not_contains "$(cat store/shared/notes.log)" "stale"
closure_form "$T/form2"
assert_eq "$(post_form "$T/form2" fresh)" 200 "fresh closure form post"
assert_contains "$(cat store/shared/notes.log)" "closure patient-7 fresh"
assert_not_contains "$(cat run2.log)" "$own" "the run log"

# A key file others may read is refused, with one line that names it and shows no key.
kill -TERM "$RUN_PID"
wait "$RUN_PID"
RUN_PID=
chmod 644 "$keyfile"
run timeout 20 "$SLIPWAY" run --root store
assert_eq "$rc" 3 "run's exit status with a 0644 key file"
assert_contains "$errout" "shared/next-action-key must be a regular file of the store's owner with mode 0600"
assert_not_contains "$out$errout" "$key"
assert_eq "$(readlink store/current)" "releases/v1" "current after the refusal"
