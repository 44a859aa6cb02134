# slipway pull over https (specs/channel.md "`slipway pull URL` (the host)"): TLS is checked
# against the system's CA store. nginx on loopback presents a certificate of a throwaway CA
# made here (a TEST CA): while the system does not trust it, pull is refused with one line and
# nothing is installed. Trusted as the system's bundle (bind-mounted over it in a private
# mount namespace, so that the machine's store is never touched), the same pull installs,
# a certificate for another name is refused, and a redirect from https to http is not
# followed. Keys are TEST KEYS.
source "$REPO/tests/e2e/store_lib.sh"
source "$REPO/tests/e2e/pull_lib.sh"
trap 'kill $TLS_PID 2>/dev/null; wait 2>/dev/null' EXIT
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
test_key
S=$T/store C=$T/channel
mkdir -p "$C"
new_store "$S"
big_release 1.0.0 10
expect_rc 0 "$SLIPWAY" publish "$T/rel-1.0.0.tar.zst" "$C" -s "$T/test.key"

# The TEST CA, a certificate for 127.0.0.1 and one for another name.
cert() { # NAME SAN
	openssl req -newkey rsa:2048 -nodes -keyout "$T/$1.key" -out "$T/$1.csr" \
		-subj "/CN=$1" 2>/dev/null || fail "openssl req $1"
	printf 'subjectAltName=%s\n' "$2" >"$T/$1.ext"
	openssl x509 -req -in "$T/$1.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
		-out "$T/$1.pem" -days 2 -extfile "$T/$1.ext" 2>/dev/null || fail "openssl x509 $1"
}
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.pem" -days 2 \
	-subj "/CN=slipway TEST CA, not for use" 2>/dev/null || fail "openssl: the test CA"
cert loopback IP:127.0.0.1
cert other DNS:other.invalid

# nginx: https with each certificate, and a plain http server; /moved/ on https redirects to
# the plain one.
TLS_PORT=$(free_port) OTHER_PORT=$(free_port) PLAIN_PORT=$(free_port)
mkdir -p "$T/nginx"
cat >"$T/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 64; }
http {
	access_log $T/nginx/access.log;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fastcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	types { application/json json; }
	default_type application/octet-stream;
	server {
		listen 127.0.0.1:$TLS_PORT ssl;
		ssl_certificate $T/loopback.pem;
		ssl_certificate_key $T/loopback.key;
		root $C;
		location /moved/ { return 302 http://127.0.0.1:$PLAIN_PORT/; }
	}
	server {
		listen 127.0.0.1:$OTHER_PORT ssl;
		ssl_certificate $T/other.pem;
		ssl_certificate_key $T/other.key;
		root $C;
	}
	server {
		listen 127.0.0.1:$PLAIN_PORT;
		access_log $T/nginx/plain.log;
		root $C;
	}
}
CONF
nginx -c "$T/nginx/nginx.conf" -p "$T/nginx" &
TLS_PID=$!
wait_for 10 curl -sf -o /dev/null --cacert "$T/ca.pem" "https://127.0.0.1:$TLS_PORT/index.json"
URL=https://127.0.0.1:$TLS_PORT

untouched() { # WHAT
	assert_no_file "$S/current"
	assert_no_file "$S/releases/1.0.0"
	assert_no_file "$S/channel.json"
	assert_eq "$(echo "$errout" | wc -l)" "1" "lines of the refusal ($1)"
}

# Not trusted by the system: refused before a byte of the index is read.
expect_rc 3 "$SLIPWAY" pull "$URL" --root "$S"
assert_contains "$errout" "$URL/index.json: SSL certificate problem: unable to get local issuer certificate"
untouched "a CA the system does not trust"

# trusted CMD...: CMD with the TEST CA as the system's CA bundle, in a private mount namespace.
trusted() {
	unshare -m sh -c 'mount --bind "$1" /etc/ssl/certs/ca-certificates.crt && shift && exec "$@"' \
		- "$T/ca.pem" "$@"
}
if ! trusted true 2>/dev/null; then
	echo "t_pull_tls: no private mount namespace here (needs root): the trusted half not run" >&2
	exit 0
fi

# The certificate of another name, from the trusted CA: refused.
run trusted "$SLIPWAY" pull "https://127.0.0.1:$OTHER_PORT" --root "$S"
assert_eq "$rc" "3" "exit of a pull from a certificate for another name"
assert_contains "$errout" "SSL: no alternative certificate subject name matches target"
untouched "a certificate for another name"

# A redirect from https to http: not followed.
run trusted "$SLIPWAY" pull "$URL/moved/" --root "$S"
assert_eq "$rc" "1" "exit of a pull redirected to http"
assert_contains "$errout" "$URL/moved/index.json: redirected to a URL that is not followed (from https only to https"
untouched "a redirect to http"
[ ! -s "$T/nginx/plain.log" ] || fail "the plain http server was asked: $(cat "$T/nginx/plain.log")"

# Trusted: pulled and installed.
run trusted "$SLIPWAY" pull "$URL" --root "$S"
assert_eq "$rc" "0" "exit of a pull over trusted https: $errout"
assert_contains "$out" "installed 1.0.0"
assert_eq "$(current_of "$S")" "releases/1.0.0" "current after a pull over https"
cmp -s "$S/releases/1.0.0/app/blob.bin" "$T/tree-1.0.0/app/blob.bin" || fail "blob differs"
