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

bad=0
complain() {
	echo "dependency arrow points the wrong way: $*" >&2
	bad=1
}

# Layers and the layers each may use, one line each, read by awk below.
layers='cmd cmd pack runtime release/base release/sig release/manifest release/store release/oci
pack pack release/base release/sig release/manifest release/store
runtime runtime release/base release/sig release/manifest release/store
release/oci release/oci release/store release/sig release/manifest release/base
release/store release/store release/sig release/manifest release/base
release/sig release/sig release/base
release/manifest release/manifest release/base
release/base release/base'

# Shared by the awk programs below: layer_of (a tree path's layer: release/<sub> inside
# release/, else the top folder) and may_use. Each level is one awk program over all the
# files (a process per include made the check take 45 s; it takes under a second).
awk_lib='
function layer_of(p,  r) {
	if (p ~ /^release\/[^\/]+\//) { r = substr(p, 9); sub(/\/.*/, "", r); return "release/" r }
	if (p ~ /^release\//) return "release"
	if (p ~ /\//) { r = p; sub(/\/.*/, "", r); return r }
	return ""
}
function may_use(from, to) { return index(" " uses[from] " ", " " to " ") > 0 }
function read_layers(  n, i, w, k) {
	n = split(ENVIRON["LAYERS"], w, "\n")
	for (i = 1; i <= n; i++) { split(w[i], k, " "); uses[k[1]] = substr(w[i], length(k[1]) + 2) }
}'

sources=$(find cmd pack runtime release -name '*.[ch]' | sort)
[ -n "$sources" ] || { echo "check_arrows: no sources found (run from the top of the tree)" >&2; exit 1; }
export LAYERS=$layers

# Include level: FILE:LINE:TEXT of every quoted include, after the list of tree files.
wrong_includes=$({
	echo "$sources"
	echo "--"
	xargs grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' <<<"$sources" || true
} | awk "$awk_lib"'
	BEGIN { read_layers() }
	!listed && $0 == "--" { listed = 1; for (f in tree) if (!(layer_of(f) in uses)) print f " is in no known layer (" layer_of(f) ")"; next }
	!listed { tree[$0] = 1; next }
	{
		f = $0; sub(/:.*/, "", f)
		rest = substr($0, length(f) + 2); line = rest; sub(/:.*/, "", line)
		target = rest; sub(/^[^"]*"/, "", target); sub(/".*/, "", target)
		if (!(target in tree)) { print f ":" line " includes \"" target "\", which is not a path in the tree"; next }
		from = layer_of(f); to = layer_of(target)
		if ((from in uses) && !may_use(from, to)) print f ":" line ": " from " includes " target " (" to ")"
	}')
[ -z "$wrong_includes" ] || complain "$wrong_includes"

# Link level: which layer defines each global symbol, then what every object needs.
objs=()
for src in $(grep -E '\.c$' <<<"$sources"); do
	obj="$build/${src%.c}.o"
	[ -f "$obj" ] || { complain "$obj is missing: build the objects before checking the arrows"; continue; }
	objs+=("$obj")
done
[ ${#objs[@]} -gt 0 ] || exit 1
defs=$(nm -A --defined-only -g "${objs[@]}" | awk -v b="$build/" "$awk_lib"'
	BEGIN { read_layers() }
	NF == 3 { o = $1; sub(/:[^:]*$/, "", o); print $3, layer_of(substr(o, length(b) + 1)) }')
wrong=$( {
	echo "$defs"
	echo "--"
	nm -A -u "${objs[@]}"
} | awk -v b="$build/" "$awk_lib"'
	BEGIN { read_layers() }
	!listed && $0 == "--" { listed = 1; next }
	!listed { def[$1] = $2; next }
	{
		o = $1; sub(/:$/, "", o); src = substr(o, length(b) + 1); sub(/\.o$/, ".c", src)
		sym = $NF
		if ((sym in def) && !may_use(layer_of(src), def[sym])) print src " needs " sym ", defined in " def[sym]
	}')
[ -z "$wrong" ] || complain "$wrong"
[ $bad = 0 ] && echo "dependency arrows: ok ($(wc -l <<<"$sources") files, $(wc -l <<<"$defs") symbols)"
exit $bad
