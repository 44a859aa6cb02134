# slipway.ini: errors name file:line (unknown section/key, duplicates, bad values, syntax);
# commands are split into argv words with quotes and no shell; --print-config shows the
# effective config, detected parts included.
source "$(dirname "${BASH_SOURCE[0]}")/pack_lib.sh"
make_project "$T/p"
cd "$T/p"

bad() { # LINE_NO MESSAGE INI...
	local line=$1 msg=$2
	shift 2
	printf '%s\n' "$@" >slipway.ini
	expect_rc 2 "$SLIPWAY" pack --print-config
	assert_contains "$errout" "slipway.ini:$line: $msg" "error for: $*"
	expect_rc 2 "$SLIPWAY" pack --version 1 --unsigned -o "$T/out"
	assert_no_file "$T/out"
}
bad 2 "unknown section [deploy]" "[app]" "[deploy]" "x = 1"
bad 3 "unknown key 'nmae' in [app]" "[app]" "; comment" "nmae = x"
bad 3 "duplicate key 'name' in [app]" "[app]" "name = a" "name = b"
bad 3 "bad port '70000'" "[service web]" "command = node server.js" "port = 70000"
bad 2 "bad duration '10 years'" "[service agent]" "stop_timeout = 10 years" "command = x"
bad 2 "bad command: unterminated single quote" "[service web]" "command = node 'server.js"
bad 2 "syntax error" "[app]" "this line has no equals sign"
bad 1 "key 'name' outside of any section" "name = x"
bad 2 "bad ready 'maybe'" "[service web]" "ready = maybe" "command = x"
bad 1 'bad service name "Web" must match [a-z0-9_-]{1,32}' "[service Web]" "command = x"
bad 2 'bad app name "-shop" must match' "[app]" "name = -shop"
bad 2 "bad include path '../outside'" "[bundle]" "include = ../outside"
bad 3 "bad secret name 'lower'" "[secrets]" "" "required = lower"
printf '[service api]\nport = 80\n' >slipway.ini
expect_rc 2 "$SLIPWAY" pack --print-config
assert_contains "$errout" "slipway.ini: [service api] has no command"
# A section of its own running the detected agent's command would start it twice.
printf '[service worker]\ncommand = python3 agent/main.py start\n' >slipway.ini
expect_rc 2 "$SLIPWAY" pack --print-config
assert_contains "$errout" "[service worker] runs the same command as the detected service agent"

# A valid file: quoted words, env, continuation lines for lists, inline comments.
cat >slipway.ini <<'INI'
[app]
name = shop            ; inline comment
[secrets]
required = JWT_SECRET
  DATABASE_URL
optional = TAVUS_API_KEY
[service web]
command = node server.js --title 'two words' "say \"hi\"" a;b $HOME
cwd = .next/standalone
port = 5000
ready = http /api/health
stop_timeout = 45s
env = NODE_ENV=production 'GREETING=hello world'
[service worker]
command = python3 agent/main.py start
ready = none
stop_timeout = 30m
[service agent]
enabled = no
INI
git add -A && git commit -qm config
expect_rc 0 "$SLIPWAY" pack --print-config
printf '%s\n' "$out" >"$T/printed.ini"
assert_contains "$out" "name = shop"
assert_contains "$out" "required = JWT_SECRET DATABASE_URL"
assert_contains "$out" "command = node server.js --title 'two words' \"say \\\"hi\\\"\" a;b \$HOME"
# The printed config is itself a valid slipway.ini that means the same thing (the comments
# say where values came from, which differs: now the file sets them all).
cp "$T/printed.ini" slipway.ini
expect_rc 0 "$SLIPWAY" pack --print-config
assert_eq "$(printf '%s\n' "$out" | grep -v '^;')" "$(grep -v '^;' "$T/printed.ini")" "reprinted config"
git checkout -q slipway.ini

expect_rc 0 "$SLIPWAY" pack --version 1.0 -o "$T/out" --unsigned
manifest_of "$T/out/shop-1.0.tar.zst" >"$T/m.json"
assert_eq "$(json_get "$T/m.json" 'm["services"][0]["argv"]')" \
	"['node', 'server.js', '--title', 'two words', 'say \"hi\"', 'a;b', '\$HOME']"
assert_eq "$(json_get "$T/m.json" 'm["services"][0]["env"]')" "{'NODE_ENV': 'production', 'GREETING': 'hello world'}"
assert_eq "$(json_get "$T/m.json" '(m["services"][0]["ready"], m["services"][0]["ready_path"], m["services"][0]["stop_timeout_ms"])')" "('http', '/api/health', 45000)"
assert_eq "$(json_get "$T/m.json" '[s["name"] for s in m["services"]]')" "['web', 'worker']"
assert_eq "$(json_get "$T/m.json" 'm["secrets"]')" "{'required': ['JWT_SECRET', 'DATABASE_URL'], 'optional': ['TAVUS_API_KEY']}"
