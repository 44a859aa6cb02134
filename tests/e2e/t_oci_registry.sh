# export-oci through a real registry: Debian's docker-registry (the CNCF distribution registry)
# on a loopback port with a throwaway storage directory. The exported image is pushed with
# `skopeo copy --preserve-digests` (the flow specs/oci.md and the README give), the registry
# itself reports and serves the manifest under the digest export-oci printed (curl, sha256sum),
# and the image pulled back by that digest is byte for byte the one exported: same manifest
# digest, same config and layer blobs. A tag moved to a second release resolves to its digest.
source "$REPO/tests/e2e/oci_lib.sh"
source "$REPO/tests/e2e/run_helpers.sh"
trap oci_cleanup EXIT

test_key
mkdir -p tree/www
echo "require('http').createServer((q, r) => r.end('v1')).listen(process.env.PORT)" >tree/www/server.js
web='{"name": "web", "argv": ["node", "server.js"], "cwd": "www", "env": {}, "port": 8080,
  "ready": "http", "ready_path": "/", "ready_timeout_ms": 10000, "stop_timeout_ms": 15000}'
"$PY" "$REPO/tests/e2e/make_release.py" --tree tree --app demo --version 1.0.0 --serial 1 \
	--out demo1.tar.zst --sign test.key --service "$web" >/dev/null || fail "make_release.py"
sed -i 's/v1/v2/' tree/www/server.js
"$PY" "$REPO/tests/e2e/make_release.py" --tree tree --app demo --version 2.0.0 --serial 2 \
	--out demo2.tar.zst --sign test.key --service "$web" >/dev/null || fail "make_release.py"
oci_base_node base

expect_rc 0 "$SLIPWAY" export-oci demo1.tar.zst -p test.pub --base base:node -o out \
	--k8s k8s.yaml --k8s-image registry.example/demo
digest=$(echo "$out" | sed -n 's/^digest: //p')
[[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || fail "no digest printed: $out"
grep -q "image: \"registry.example/demo:1.0.0@$digest\"" k8s.yaml || fail "the YAML does not pin $digest"

oci_registry_start "$T/registry"
reg=$OCI_REGISTRY
expect_rc 0 skopeo copy --preserve-digests --dest-tls-verify=false oci:out:1.0.0 "docker://$reg/demo:1.0.0"

# The registry's own word: the tag resolves to export-oci's digest, and the manifest it
# serves under that digest hashes to it.
accept='Accept: application/vnd.oci.image.manifest.v1+json'
curl -fsS -I -H "$accept" "http://$reg/v2/demo/manifests/1.0.0" >head.txt || fail "HEAD manifest"
assert_eq "$(tr -d '\r' <head.txt | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')" "$digest" "the registry's digest for demo:1.0.0"
curl -fsS -H "$accept" "http://$reg/v2/demo/manifests/$digest" >served.json || fail "GET manifest by digest"
assert_eq "sha256:$(sha256sum <served.json | cut -d' ' -f1)" "$digest" "sha256 of the served manifest"
cmp served.json "out/blobs/sha256/${digest#sha256:}" || fail "the registry serves another manifest"

# Pulled back by digest: the same image, blob for blob.
expect_rc 0 skopeo copy --src-tls-verify=false "docker://$reg/demo@$digest" oci:pulled:back
assert_eq "$(oci_digest pulled back)" "$digest" "digest of the image pulled by digest"
n=0
for blob in $(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))
print(m["config"]["digest"][7:]); [print(l["digest"][7:]) for l in m["layers"]]' served.json); do
	cmp "out/blobs/sha256/$blob" "pulled/blobs/sha256/$blob" || fail "blob $blob differs after the round trip"
	n=$((n + 1))
done
assert_eq "$n" 3 "config and layers compared"
assert_eq "$(skopeo inspect --tls-verify=false --format '{{.Digest}} {{index .Labels "org.opencontainers.image.version"}}' \
	"docker://$reg/demo:1.0.0")" "$digest 1.0.0" "skopeo inspect docker://"

# A second release under the same registry name: the tag moves, v1 stays pullable by digest.
expect_rc 0 "$SLIPWAY" export-oci demo2.tar.zst -p test.pub --base base:node -o out
digest2=$(echo "$out" | sed -n 's/^digest: //p')
[ "$digest2" != "$digest" ] || fail "two releases, one digest"
expect_rc 0 skopeo copy --preserve-digests --dest-tls-verify=false oci:out:2.0.0 "docker://$reg/demo:2.0.0"
expect_rc 0 skopeo copy --preserve-digests --dest-tls-verify=false oci:out:2.0.0 "docker://$reg/demo:latest"
assert_eq "$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$reg/demo:latest")" "$digest2" "demo:latest"
expect_rc 0 skopeo inspect --tls-verify=false "docker://$reg/demo@$digest"
