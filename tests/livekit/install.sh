# lk_install DIR VERSION: @livekit/agents@VERSION from the npm registry in DIR/node_modules,
# installed once (about 285 MB) and kept. Sourced by check.sh and tests/matrix/node.sh.
lk_install() {
	local dir=$1 version=$2 have
	mkdir -p "$dir" || return 1
	have=$(node -p "require('$dir/node_modules/@livekit/agents/package.json').version" 2>/dev/null)
	[ "$have" = "$version" ] && return 0
	echo "installing @livekit/agents@$version into $dir (once; about 285 MB)"
	[ -f "$dir/package.json" ] || echo '{"name": "slipway-check-livekit", "private": true}' >"$dir/package.json"
	npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "@livekit/agents@$version" ||
		{ echo "npm install of @livekit/agents@$version failed" >&2; return 1; }
}
