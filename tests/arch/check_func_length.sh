#!/usr/bin/env bash
# No function in runtime/ is longer than LIMIT lines (default 80), counted from its opening
# brace to its closing brace. The tree is clang-formatted (.clang-format), so a function body
# is the text between a line holding only `{` in column 0 and the next line that starts with
# `}` in column 0; the last line before it that starts in column 0 names the function.
# Usage: check_func_length.sh [LIMIT]   (run from the top of the tree)
# Exit 0 when every function fits, 1 with the offenders otherwise.
set -euo pipefail

limit=${1:-80}
files=$(find runtime -name '*.c' | sort)
[ -n "$files" ] || { echo "check_func_length: no runtime/*.c (run from the top of the tree)" >&2; exit 1; }

# shellcheck disable=SC2086 # one file name per word
long=$(awk -v limit="$limit" '
	FNR == 1 { start = 0 }
	/^[A-Za-z_]/ { sig = $0 }
	/^\{$/ { start = FNR; name = sig }
	/^\}/ && start {
		n = FNR - start + 1
		if (n > limit) printf "%s:%d: %s: %d lines (limit %d)\n", FILENAME, start, name, n, limit
		start = 0
	}' $files)
if [ -n "$long" ]; then
	echo "functions too long:" >&2
	echo "$long" >&2
	exit 1
fi
echo "function length: ok ($(wc -l <<<"$files") files in runtime/, none over $limit lines)"
