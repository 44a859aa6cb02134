# `run` reads `current` through the store's API: the same rule as status and activate. A link
# the store refuses (a trailing slash, a name version_check refuses) is refused by run too,
# before anything starts.
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

run_store store
mkdir -p tree
echo data >tree/file
run_install store 1.0 tree --service "$(svc worker '["sleep", "600"]')"
run_activate store 1.0

for bad in releases/1.0/ releases/1.0/. "releases/..1"; do
	ln -sfn "$bad" store/current
	expect_rc 3 "$SLIPWAY" status --root store
	assert_contains "$errout" "points at $bad, not at releases/<version>"
	expect_rc 3 timeout 20 "$SLIPWAY" run --root store
	assert_contains "$errout" "points at $bad, not at releases/<version>" "run's refusal of $bad"
	assert_no_file store/run/supervisor.pid
done

# No `current` at all: both say so.
rm store/current
expect_rc 3 timeout 20 "$SLIPWAY" run --root store
assert_contains "$errout" "no release is active"
