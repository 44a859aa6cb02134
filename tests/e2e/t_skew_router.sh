# e2e: not under sanitizers: it runs the skew router (runtime/preload_skew.js) in Node alone, no slipway
# The skew router (runtime/preload_skew.js, specs/runtime.md "Skew protection") on its own:
# fake release trees and plain HTTP servers as the app and its peers, every routing rule
# including those the example app cannot show (basePath, the pages router's /_next/data, a
# peer that is gone or answers for another release, a 1 MiB form given back whole, paths out
# of a release). The checks are tests/e2e/skew_router_test.js (Node's assert).
out=$(timeout 60 node "$REPO/tests/e2e/skew_router_test.js" "$REPO" "$T" 2>&1) || fail "$out"
assert_contains "$out" "skew router: all checks passed"
