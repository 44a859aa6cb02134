# For the benchmarks that drive `slipway run` with the end-to-end helpers (sourced after
# `set -u`): $REPO, $T (the benchmark's work directory, the cwd), tests/e2e/lib.sh and
# run_helpers.sh, then this folder's lib.sh.
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
T=$(pwd)
export T REPO
source "$REPO/tests/e2e/lib.sh"
source "$REPO/tests/e2e/run_helpers.sh"
source "$REPO/tests/bench/lib.sh"
