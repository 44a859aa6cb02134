#!/usr/bin/env bash
# The dependency arrows of STYLE.md, checked at two levels:
#   includes: every `#include "dir/..."` of a source file names a layer its own layer may use;
#   links:    every symbol an object file needs from the tree is defined in such a layer.
# Layers and what each may use (itself included):
#   cmd -> pack, runtime, release/*     pack -> release/*     runtime -> release/*
#   release/oci -> release/store, release/sig, release/manifest, release/base
#   release/store -> release/sig, release/manifest, release/base
#   release/sig -> release/base         release/manifest -> release/base
# Usage: check_arrows.sh BUILD_DIR   (run from the top of the tree, after the objects are built)
# Exit 0 when every arrow points the right way, 1 with the offending lines otherwise.
set -euo pipefail

build=${1:?usage: check_arrows.sh BUILD_DIR}

allowed() {
	case $1 in
	cmd) echo "cmd pack runtime release/base release/sig release/manifest release/store release/oci" ;;
	pack) echo "pack release/base release/sig release/manifest release/store" ;;
	runtime) echo "runtime release/base release/sig release/manifest release/store" ;;
	release/oci) echo "release/oci release/store release/sig release/manifest release/base" ;;
	release/store) echo "release/store release/sig release/manifest release/base" ;;
	release/sig) echo "release/sig release/base" ;;
	release/manifest) echo "release/manifest release/base" ;;
	release/base) echo "release/base" ;;
	*) return 1 ;;
	esac
}

# The layer of a tree path: release/<sub> inside release/, else the top folder.
layer_of() {
	case $1 in
	release/*/*) local rest=${1#release/}; echo "release/${rest%%/*}" ;;
	release/*) echo "release" ;;
	*/*) echo "${1%%/*}" ;;
	*) echo "" ;;
	esac
}

bad=0
complain() {
	echo "dependency arrow points the wrong way: $*" >&2
	bad=1
}

sources=$(find cmd pack runtime release -name '*.[ch]' | sort)
[ -n "$sources" ] || { echo "check_arrows: no sources found (run from the top of the tree)" >&2; exit 1; }

for f in $sources; do
	from=$(layer_of "$f")
	ok=$(allowed "$from") || { complain "$f is in no known layer ($from)"; continue; }
	while IFS=: read -r line inc; do
		target=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/' <<<"$inc")
		[ -e "$target" ] || { complain "$f:$line includes \"$target\", which is not a path in the tree"; continue; }
		to=$(layer_of "$target")
		case " $ok " in *" $to "*) ;; *) complain "$f:$line: $from includes $target ($to)" ;; esac
	done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" || true)
done

# Link level: which layer defines each global symbol, then what every object needs.
defs=$(mktemp) needs=$(mktemp)
trap 'rm -f "$defs" "$needs"' EXIT
for src in $(grep -E '\.c$' <<<"$sources"); do
	obj="$build/${src%.c}.o"
	[ -f "$obj" ] || { complain "$obj is missing: build the objects before checking the arrows"; continue; }
	layer=$(layer_of "$src")
	nm --defined-only -g "$obj" | awk -v l="$layer" 'NF == 3 { print $3, l }' >>"$defs"
done
for src in $(grep -E '\.c$' <<<"$sources"); do
	obj="$build/${src%.c}.o"
	[ -f "$obj" ] || continue
	from=$(layer_of "$src")
	nm -u "$obj" | awk -v s="$src" -v l="$from" -v ok="$(allowed "$from")" '{ print s, l, $NF, ok }' >>"$needs"
done
wrong=$(awk 'NR == FNR { def[$1] = $2; next }
	($3 in def) {
		fine = 0
		for (i = 4; i <= NF; i++) if ($i == def[$3]) fine = 1
		if (!fine) print $1 " needs " $3 ", defined in " def[$3]
	}' "$defs" "$needs")
[ -z "$wrong" ] || complain "$wrong"
[ $bad = 0 ] && echo "dependency arrows: ok ($(wc -l <<<"$sources") files, $(wc -l <"$defs") symbols)"
exit $bad
