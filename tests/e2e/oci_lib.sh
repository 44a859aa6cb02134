# Helpers for the t_oci_* tests (sourced after lib.sh): a small base image made with umoci
# from this machine's own node and the libraries it links (no registry is needed), and a
# container run with runc from an umoci runtime bundle. Stock tools judge what slipway wrote.

for tool in skopeo umoci runc; do
	command -v "$tool" >/dev/null || fail "$tool is missing (make deps installs it)"
done

# oci_base_node LAYOUT TAG: an OCI image layout holding LAYOUT:TAG, one layer with node at
# /usr/bin/node plus every library ldd lists for it, and PATH in its config.
oci_base_node() {
	local layout=$1 tag=$2 root="$T/.base-rootfs" node lib
	node=$(readlink -f "$(command -v node)") || fail "no node on PATH"
	rm -rf "$root"
	mkdir -p "$root/usr/bin" "$root/tmp" || fail "mkdir"
	chmod 1777 "$root/tmp"
	cp "$node" "$root/usr/bin/node" || fail "cp node"
	for lib in $(ldd "$node" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib" || fail "cp $lib"
	done
	{
		umoci init --layout "$layout" &&
			umoci new --image "$layout:$tag" &&
			umoci insert --image "$layout:$tag" "$root" / &&
			umoci config --image "$layout:$tag" --config.env PATH=/usr/local/bin:/usr/bin:/bin
	} >"$T/.umoci.log" 2>&1 || fail "umoci could not build the base image: $(cat "$T/.umoci.log")"
	rm -rf "$root"
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

OCI_RUNC_IDS=()
# oci_runc_start ID BUNDLE LOG: `runc run` in the background (killed by oci_cleanup).
oci_runc_start() {
	OCI_RUNC_IDS+=("$1")
	runc run --bundle "$2" "$1" >"$3" 2>&1 </dev/null &
}

# oci_cleanup: kill and delete every container this test started (trap on EXIT).
oci_cleanup() {
	local id
	for id in "${OCI_RUNC_IDS[@]}"; do
		runc kill "$id" KILL >/dev/null 2>&1
		runc delete --force "$id" >/dev/null 2>&1
	done
	return 0
}

# oci_digest LAYOUT TAG: the image manifest digest skopeo reports.
oci_digest() {
	skopeo inspect --format '{{.Digest}}' "oci:$1:$2"
}
