# Helpers for the t_oci_* tests (sourced after lib.sh): a small base image made with umoci
# from this machine's own node and the libraries it links (no registry is needed), and a
# container run with runc from an umoci runtime bundle. Stock tools judge what slipway wrote.

for tool in skopeo umoci runc; do
	command -v "$tool" >/dev/null || fail "$tool is missing (make deps installs it)"
done

source "$REPO/tests/e2e/fixture.sh"

# _oci_fill_base DIR: DIR/layout, an OCI image layout holding DIR/layout:node, one layer with
# node at /usr/bin/node plus every library ldd lists for it (and, for Debian's node, the
# files it loads from /usr/share/nodejs), and PATH in its config.
_oci_fill_base() {
	local d=$1 root="$1/rootfs" node lib libs f
	node=$(readlink -f "$(command -v node)") || return 1
	find "$d" -mindepth 1 -delete # the fixture cache hands over the example's sources
	mkdir -p "$root/usr/bin" "$root/tmp" && chmod 1777 "$root/tmp" &&
		cp "$node" "$root/usr/bin/node" || return 1
	libs=$(ldd "$node" | grep -o '/[^ ]*')
	for lib in $libs; do
		mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib" || return 1
	done
	# Debian's node loads some of its internals at start from /usr/share/nodejs (externalized
	# builtins, whose paths libnode names): the base image needs them too.
	for f in $(cat "$node" $libs | grep -a -o '/usr/share/nodejs/[A-Za-z0-9_./@-]*\.js' | sort -u); do
		[ ! -e "$f" ] || { mkdir -p "$root$(dirname "$f")" && cp -L "$f" "$root$f"; } || return 1
	done
	{
		umoci init --layout "$d/layout" &&
			umoci new --image "$d/layout:node" &&
			umoci insert --image "$d/layout:node" "$root" / &&
			umoci config --image "$d/layout:node" --config.env PATH=/usr/local/bin:/usr/bin:/bin
	} >"$d/umoci.log" 2>&1 || { cat "$d/umoci.log" >&2; return 1; }
	rm -rf "$root"
}

# oci_base_node LAYOUT: a copy of the base image (tag "node") made by _oci_fill_base, built
# once per node binary and shared through the fixture cache (tests/e2e/fixture.sh).
oci_base_node() {
	local node key
	node=$(readlink -f "$(command -v node)") || fail "no node on PATH"
	key=$({ echo oci-base-2; ldd "$node" | grep -o '/[^ ]*'; sha256sum "$node"; } | _fixture_hash)
	_fixture_fill oci-base "$key" _oci_fill_base || fail "umoci could not build the base image"
	cp -a "$(_fixture_cache)/oci-base-$key/layout" "$1" || fail "cp base image"
}

# oci_host_bundle BUNDLE PORT: makes an umoci runtime bundle runnable here and reachable by
# curl on loopback: no terminal, the host's network namespace, no sysfs or cgroup mounts,
# and PORT/HOSTNAME=127.0.0.1 in place of the image's (a free port, not the app's).
oci_host_bundle() {
	python3 - "$1/config.json" "$2" <<'PY' || fail "cannot edit $1/config.json"
import json, sys
path, port = sys.argv[1], sys.argv[2]
c = json.load(open(path))
p = c["process"]
p["terminal"] = False
p["env"] = [e for e in p["env"] if not e.startswith(("PORT=", "HOSTNAME="))]
p["env"] += ["PORT=" + port, "HOSTNAME=127.0.0.1"]
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
c["mounts"] = [m for m in c["mounts"] if m["type"] not in ("sysfs", "cgroup")]
json.dump(c, open(path, "w"))
PY
}

# oci_runc COMMAND ARGS...: runc, also in a bare chroot (shared/freshbox) where / is no
# mount point (runc first makes / rslave, which needs one) or no cgroup is mounted: there
# runc runs in a private mount namespace of its own, chrooted into the same tree bound
# recursively onto a directory of the test's (so / is a mount point), with cgroup2 mounted
# when none is; `run` gets --no-pivot (pivot_root wants the namespace's own root).
oci_runc() {
	local sub=$1 flags=() root
	shift
	if awk '$5 == "/" { f = 1 } END { exit !f }' /proc/self/mountinfo &&
		grep -q ' - cgroup2\? ' /proc/self/mountinfo; then
		runc "$sub" "$@"
		return
	fi
	[ "$sub" = run ] && flags=(--no-pivot)
	root=$(mktemp -d "$T/.runc-root.XXXXXX") || return 1
	# shellcheck disable=SC2016 # expanded by the inner shells
	unshare -m --propagation unchanged sh -c '
		root=$1 dir=$2
		shift 2
		mount --rbind / "$root" && mount --make-rprivate "$root" || exit 1
		grep -q " - cgroup2\\? " /proc/self/mountinfo ||
			mount -t cgroup2 cgroup2 "$root/sys/fs/cgroup" || exit 1
		exec chroot "$root" sh -c "cd \"\$1\" && shift && exec runc \"\$@\"" - "$dir" "$@"' \
		- "$root" "$PWD" "$sub" "${flags[@]}" "$@"
}

OCI_RUNC_IDS=()
# oci_runc_start ID BUNDLE LOG: `runc run` in the background (killed by oci_cleanup).
oci_runc_start() {
	OCI_RUNC_IDS+=("$1")
	oci_runc run --bundle "$2" "$1" >"$3" 2>&1 </dev/null &
}

# oci_cleanup: kill and delete every container this test started (trap on EXIT).
oci_cleanup() {
	local id
	for id in "${OCI_RUNC_IDS[@]}"; do
		oci_runc kill "$id" KILL >/dev/null 2>&1
		oci_runc delete --force "$id" >/dev/null 2>&1
	done
	[ -z "${OCI_REGISTRY_PID:-}" ] || { kill "$OCI_REGISTRY_PID" && wait "$OCI_REGISTRY_PID"; } 2>/dev/null
	return 0
}

# oci_digest LAYOUT TAG: the image manifest digest skopeo reports.
oci_digest() {
	skopeo inspect --format '{{.Digest}}' "oci:$1:$2"
}

# oci_registry_start DIR: Debian's docker-registry (the CNCF distribution registry) serving
# on a free loopback port from DIR/data, plain HTTP, no auth; sets OCI_REGISTRY=127.0.0.1:PORT
# once /v2/ answers (killed by oci_cleanup).
OCI_REGISTRY_PID=
oci_registry_start() {
	local d=$1 port
	command -v docker-registry >/dev/null || fail "docker-registry is missing (make deps installs it)"
	port=$(free_port)
	mkdir -p "$d/data"
	cat >"$d/config.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $d/data
http:
  addr: 127.0.0.1:$port
YML
	docker-registry serve "$d/config.yml" >"$d/registry.log" 2>&1 </dev/null &
	OCI_REGISTRY_PID=$!
	OCI_REGISTRY=127.0.0.1:$port
	poll_for 30 curl -fsS "http://$OCI_REGISTRY/v2/" ||
		fail "docker-registry did not answer on $OCI_REGISTRY: $(cat "$d/registry.log")"
}
