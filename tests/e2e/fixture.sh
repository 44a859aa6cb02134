# The example app (examples/mediai) as a test fixture. Source this file; it needs $REPO
# (set by lib.sh, or by the caller).
#
#   fixture_mediai DEST        copy the example's sources to DEST (created if missing) with a
#                              ready node_modules, hard-linked (copied across filesystems)
#                              from a cache filled by `npm ci`
#   fixture_mediai_built DEST  the same plus .next from a cached `npm run build` of the
#                              unmodified sources (release shown: package.json's version)
#   fixture_mediai_built_v2 DEST  the same, built from sources with a changed page,
#                              stylesheet and client component: a second release whose
#                              content-hashed /_next/static assets differ from the first's
#
# The caches live in ${FIXTURE_CACHE:-$REPO/build/fixture-cache}, keyed by a hash of what
# they depend on, so a changed lockfile or source gives a fresh entry. They are filled once,
# under flock, so concurrent tests wait for one `npm ci` instead of racing. Entries are
# published by rename and never modified afterwards.
#
# Treat the copies as yours, with one caveat: node_modules files are hard links into the
# cache, so never modify a file inside node_modules in place (deleting or replacing is fine).
# .next is a real copy (Next writes into it at run time). Progress goes to stderr; both
# functions return non-zero with a message when npm fails.

_fixture_src() { echo "$REPO/examples/mediai"; }
_fixture_cache() { echo "${FIXTURE_CACHE:-$REPO/build/fixture-cache}"; }

# The example's sources without build output, as a tar stream on stdout.
_fixture_tar_sources() {
	tar -C "$(_fixture_src)" --exclude=./node_modules --exclude=./.next --exclude=./release.txt \
		--sort=name -cf - .
}

_fixture_hash() { sha256sum | cut -c1-16; }

# Hard links when the cache and DST share a filesystem, a plain copy otherwise.
_fixture_link_tree() {
	cp -al "$1" "$2" 2>/dev/null && return 0
	rm -rf "$2"
	cp -a "$1" "$2"
}

# _fixture_fill KIND KEY FILLER: make sure cache entry KIND/KEY exists, running FILLER DIR
# (in a fresh directory holding the sources) under the lock when it does not.
_fixture_fill() {
	local kind=$1 key=$2 filler=$3 cache entry tmp rc
	cache=$(_fixture_cache)
	entry="$cache/$kind-$key"
	[ -d "$entry" ] && return 0
	mkdir -p "$cache" || return 1
	(
		flock 9 || exit 1
		[ -d "$entry" ] && exit 0
		tmp=$(mktemp -d "$cache/.tmp-$kind.XXXXXX") || exit 1
		_fixture_tar_sources | tar -C "$tmp" -xf - || exit 1
		echo "fixture: preparing $kind (once, cached in $entry)" >&2
		if ! "$filler" "$tmp"; then
			rm -rf "$tmp"
			exit 1
		fi
		# Older entries of the same kind are stale now; nothing refers to them.
		find "$cache" -maxdepth 1 -name "$kind-*" -exec rm -rf {} + 2>/dev/null
		mv "$tmp" "$entry"
	) 9>"$cache/.lock"
	rc=$?
	[ $rc -eq 0 ] || echo "fixture: could not prepare $kind" >&2
	return $rc
}

_fixture_npm_ci() {
	(cd "$1" && npm ci --no-audit --no-fund --loglevel=error >&2)
}

_fixture_npm_build() {
	local modules
	modules="$(_fixture_cache)/modules-$(_fixture_modules_key)/node_modules"
	_fixture_link_tree "$modules" "$1/node_modules" || return 1
	(cd "$1" && unset APP_RELEASE SLIPWAY_VERSION && NEXT_TELEMETRY_DISABLED=1 npm run build >&2) || return 1
	rm -rf "$1/.next/cache"
}

_fixture_modules_key() {
	{ node --version; cat "$(_fixture_src)/package-lock.json"; } | _fixture_hash
}

_fixture_build_key() {
	{ node --version; _fixture_tar_sources; } | _fixture_hash
}

fixture_mediai() {
	local dest=${1:?fixture_mediai: DEST missing} key
	key=$(_fixture_modules_key)
	_fixture_fill modules "$key" _fixture_npm_ci || return 1
	mkdir -p "$dest" && _fixture_tar_sources | tar -C "$dest" -xf - || return 1
	rm -rf "$dest/node_modules"
	_fixture_link_tree "$(_fixture_cache)/modules-$key/node_modules" "$dest/node_modules"
}

fixture_mediai_built() {
	local dest=${1:?fixture_mediai_built: DEST missing} key
	fixture_mediai "$dest" || return 1
	key=$(_fixture_build_key)
	_fixture_fill build "$key" _fixture_npm_build || return 1
	rm -rf "$dest/.next"
	cp -a "$(_fixture_cache)/build-$key/.next" "$dest/.next"
}

# The change that makes the second build: new text in the page, a new rule in the
# stylesheet and new text in the client component (so new CSS and JS chunk hashes).
_fixture_v2_patch() {
	sed -i 's/Welcome to MediAI/Welcome to MediAI (v2)/' "$1/app/page.js" &&
		printf '\n.v2 {\n\tcolor: #123456;\n}\n' >>"$1/app/globals.css" &&
		sed -i "s/'not checked'/'not checked yet'/" "$1/app/health-check.js"
}

_fixture_npm_build_v2() {
	_fixture_v2_patch "$1" && _fixture_npm_build "$1"
}

fixture_mediai_built_v2() {
	local dest=${1:?fixture_mediai_built_v2: DEST missing} key
	fixture_mediai "$dest" || return 1
	key=$({ _fixture_build_key; declare -f _fixture_v2_patch; } | _fixture_hash)
	_fixture_fill build2 "$key" _fixture_npm_build_v2 || return 1
	rm -rf "$dest/.next"
	cp -a "$(_fixture_cache)/build2-$key/.next" "$dest/.next"
	_fixture_v2_patch "$dest"
}
