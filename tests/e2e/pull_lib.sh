# Helpers for the pull tests (t_pull*.sh): a channel served on loopback. Source after lib.sh.

# nginx_serve DIR: serves DIR on a free loopback port with Debian's nginx (Range requests
# supported), in the foreground of a background job; sets $NGINX_URL, $NGINX_PID,
# $NGINX_LOG (the access log: "<status> <request> range=<Range header>" per line) and
# $NGINX_BYTES_LOG ("<status> <body bytes sent> <request>" per line) and $NGINX_CACHE_LOG
# ("<request> cache-control=<Cache-Control header, - when none>" per line).
nginx_serve() {
	local port conf=$T/nginx/nginx.conf
	port=$(free_port)
	mkdir -p "$T/nginx"
	NGINX_LOG=$T/nginx/access.log
	NGINX_BYTES_LOG=$T/nginx/bytes.log
	NGINX_CACHE_LOG=$T/nginx/cache.log
	cat >"$conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 64; }
http {
	log_format ranges '\$status "\$request" range=\$http_range';
	log_format bytes '\$status \$body_bytes_sent "\$request"';
	log_format cache '"\$request" cache-control=\$http_cache_control';
	access_log $NGINX_LOG ranges;
	access_log $NGINX_BYTES_LOG bytes;
	access_log $NGINX_CACHE_LOG cache;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fastcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	types { application/json json; }
	default_type application/octet-stream;
	server {
		listen 127.0.0.1:$port;
		root $1;
	}
}
CONF
	nginx -c "$conf" -p "$T/nginx" &
	NGINX_PID=$!
	NGINX_URL=http://127.0.0.1:$port
	wait_for 10 curl -sf -o /dev/null "$NGINX_URL/index.json" || true
}

# http_serve DIR: Python's http.server on DIR (no Range support); sets $PY_URL, $PY_PID.
http_serve() {
	local port
	port=$(free_port)
	python3 -m http.server -d "$1" -b 127.0.0.1 "$port" >"$T/http-$port.log" 2>&1 &
	PY_PID=$!
	PY_URL=http://127.0.0.1:$port
	wait_for 10 curl -s -o /dev/null "$PY_URL/"
}

# big_release VERSION SERIAL: $T/rel-VERSION.tar.zst (signed with the test key) holding a
# 600 KB incompressible file, so that a download can be cut and resumed.
big_release() {
	rm -rf "$T/tree-$1"
	test_tree "$T/tree-$1" "$1"
	head -c 600000 /dev/urandom >"$T/tree-$1/app/blob.bin"
	python3 "$MAKE_RELEASE" --tree "$T/tree-$1" --app testapp --version "$1" --serial "$2" \
		--out "$T/rel-$1.tar.zst" --sign "$T/test.key" >/dev/null ||
		fail "make_release.py failed for $1"
}

# index_field FILE FIELD: a field of the index's payload (latest.sha256, serial, ...).
index_field() {
	python3 -c 'import json,base64,sys
p = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
for k in sys.argv[2].split("."): p = p[k]
print(p)' "$1" "$2"
}

# resign_index IN OUT KEY PYEXPR: the index IN with its payload rewritten by PYEXPR (on the
# dict p) and signed again by stock minisign with KEY (canonical JSON: sorted, compact).
resign_index() {
	local d=$T/resign.$$
	rm -rf "$d" && mkdir -p "$d"
	python3 "$REPO/tests/e2e/envelope_tool.py" split "$1" "$d" || fail "split $1"
	python3 -c 'import json,sys
p = json.load(open(sys.argv[1]))
exec(sys.argv[2])
open(sys.argv[1], "w").write(json.dumps(p, sort_keys=True, separators=(",", ":")))' \
		"$d/payload" "$4" || fail "rewrite payload"
	python3 "$REPO/tests/e2e/envelope_tool.py" pae application/vnd.slipway.channel+json \
		"$d/payload" "$d/pae" || fail "pae"
	minisign -S -s "$3" -m "$d/pae" -x "$d/pae.minisig" -t "TEST index" >/dev/null 2>&1 ||
		fail "minisign -S"
	python3 "$REPO/tests/e2e/envelope_tool.py" make application/vnd.slipway.channel+json \
		"$d/payload" "$2" "$d/pae.minisig" || fail "make envelope"
}
