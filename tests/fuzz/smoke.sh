#!/usr/bin/env bash
# `make fuzz-smoke`: each fuzz target (the arguments) for FUZZ_SECONDS from its seed corpus
# (tests/fuzz/corpus/NAME), FUZZ_JOBS (default 2, the machine's cores) at once. Every target
# gets the same time as when they ran one by one; a crash prints the end of its log, exit 1.
# Inputs libFuzzer keeps (a crash, a slow unit) go to $FUZZ_ARTIFACTS (default: artifacts/
# beside the targets' directory, build-fuzz/artifacts), named after the target.
set -u
secs=${FUZZ_SECONDS:-15} jobs=${FUZZ_JOBS:-2}
status=0
declare -A name_of=() work_of=()
reap() {
	local pid rc
	wait -n -p pid
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "== fuzz: ${name_of[$pid]} FAILED"
		tail -40 "${work_of[$pid]}.log"
		status=1
	else
		echo "== fuzz: ${name_of[$pid]}: $(tail -1 "${work_of[$pid]}.log")"
	fi
	rm -rf "${work_of[$pid]}" "${work_of[$pid]}.log"
	unset "name_of[$pid]" "work_of[$pid]"
}
artifacts=${FUZZ_ARTIFACTS:-$(dirname "${1:-.}")/../artifacts} # crash-, slow-unit-, ... inputs
mkdir -p "$artifacts"
for f in "$@"; do
	name=$(basename "$f") work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-$name.XXXXXX")
	corpus=$(dirname "$0")/corpus/$name
	[ -d "$corpus" ] && cp -r "$corpus/." "$work/"
	while [ ${#name_of[@]} -ge "$jobs" ]; do reap; done
	echo "== fuzz: $name for ${secs}s"
	"$f" -max_total_time="$secs" -max_len=65536 -artifact_prefix="$artifacts/$name-" "$work" \
		>"$work.log" 2>&1 &
	name_of[$!]=$name work_of[$!]=$work
done
while [ ${#name_of[@]} -gt 0 ]; do reap; done
exit $status
