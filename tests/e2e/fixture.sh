# The example app (examples/mediai) as a test fixture. Source this file; it needs $REPO
# (set by lib.sh, or by the caller).
#
#   fixture_mediai DEST        copy the example's sources to DEST (created if missing) with a
#                              ready node_modules, hard-linked (copied across filesystems)
#                              from a cache filled by `npm ci`
#   fixture_mediai_built DEST  the same plus .next from `npm run build` of the unmodified
#                              sources as release v1 (the page's "release"), shared
#   fixture_mediai_built_v2 DEST  the same with fixture_mediai_v2_change, built as release
#                              v2: its content-hashed /_next/static assets differ from v1's
#   fixture_mediai_v2_change DIR  the change examples/demo.sh makes for v2: a new greeting,
#                              a new stylesheet rule, new text in the client component
#
# Both builds are the ones `slipway pack` makes of a fixture_mediai copy tagged v1 (v2 after
# fixture_mediai_v2_change), as the demo does, so a run builds each of them once.
#   fixture_template NAME DEST a copy of tests/e2e/fixtures/NAME (another project's shape)
#                              with node_modules, cached the same way
#   example_build DIR          in a copy of the example or of a template, what
#                              `npm run build` leaves, shared: built once per key, copied
#                              afterwards (see below)
#
# Inside tests/e2e/run.sh, `npm` is tests/e2e/shim/npm: `npm run build` in such a copy (its
# package.json unchanged) is example_build, so `slipway pack` of a fixture_mediai or
# fixture_template copy shares the build too, whoever packs it (tests, examples/demo.sh, the
# sanitizer pass).
#
# The caches live in ${FIXTURE_CACHE:-$REPO/build/fixture-cache}, keyed by a hash of what
# they depend on, so a changed lockfile, source or release gives a fresh entry. They are
# filled once, under flock, so concurrent tests wait for one `npm ci` or build instead of
# racing. Entries are published by rename and never modified afterwards.
#
# Treat the copies as yours, with one caveat: node_modules files are hard links into the
# cache, so never modify a file inside node_modules in place (deleting or replacing is fine).
# .next is a real copy (Next writes into it at run time). Progress goes to stderr; the
# functions return non-zero with a message when npm fails.

_fixture_src() { echo "${_FIXTURE_SRC:-$REPO/examples/mediai}"; }
_fixture_cache() { echo "${FIXTURE_CACHE:-$REPO/build/fixture-cache}"; }

# The example's sources (or those of $_FIXTURE_SRC) without build output, as a tar stream.
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

# Templates are made for pnpm, which only warns when a peer range is not met; npm refuses.
_fixture_npm_ci_lenient() {
	(cd "$1" && npm ci --no-audit --no-fund --loglevel=error --legacy-peer-deps >&2)
}

# fixture_template NAME DEST: tests/e2e/fixtures/NAME, a third-party project's shape (its
# README says where from), copied to DEST with node_modules as fixture_mediai does.
fixture_template() {
	local name=${1:?fixture_template: NAME missing} dest=${2:?fixture_template: DEST missing}
	local _FIXTURE_SRC="$REPO/tests/e2e/fixtures/$1" key
	[ -f "$_FIXTURE_SRC/package-lock.json" ] || { echo "fixture: no template $name" >&2; return 1; }
	key=$({ node --version; cat "$_FIXTURE_SRC/package-lock.json"; } | _fixture_hash)
	_fixture_fill "tpl-$name" "$key" _fixture_npm_ci_lenient || return 1
	mkdir -p "$dest" && _fixture_tar_sources | tar -C "$dest" -xf - || return 1
	rm -rf "$dest/node_modules" "$dest/README.md"
	_fixture_link_tree "$(_fixture_cache)/tpl-$name-$key/node_modules" "$dest/node_modules"
}

_fixture_modules_key() {
	{ node --version; cat "$(_fixture_src)/package-lock.json"; } | _fixture_hash
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
	local dest=${1:?fixture_mediai_built: DEST missing}
	fixture_mediai "$dest" || return 1
	(cd "$dest" && unset APP_RELEASE && SLIPWAY_VERSION=v1 NEXT_DEPLOYMENT_ID=v1 NEXT_TELEMETRY_DISABLED=1 example_build .) >&2 ||
		return 1
	rm -rf "$dest/.next/cache"
}

# New text in the page, a new rule in the stylesheet and new text in the client component
# (so new CSS and JS chunk hashes); fails when the sources no longer have what it changes.
fixture_mediai_v2_change() {
	local dir=${1:?fixture_mediai_v2_change: DIR missing}
	grep -q "^const GREETING = " "$dir/app/page.js" && grep -q "'not checked'" "$dir/app/health-check.js" ||
		{ echo "fixture: the example's page changed; update fixture_mediai_v2_change" >&2; return 1; }
	sed -i "s/^const GREETING = .*/const GREETING = 'Welcome to MediAI, now in version 2';/" "$dir/app/page.js" &&
		printf '\nh1 {\n\tletter-spacing: 0.01em;\n}\n' >>"$dir/app/globals.css" &&
		sed -i "s/'not checked'/'not checked yet'/" "$dir/app/health-check.js"
}

fixture_mediai_built_v2() {
	local dest=${1:?fixture_mediai_built_v2: DEST missing}
	fixture_mediai "$dest" && fixture_mediai_v2_change "$dest" || return 1
	(cd "$dest" && unset APP_RELEASE && SLIPWAY_VERSION=v2 NEXT_DEPLOYMENT_ID=v2 NEXT_TELEMETRY_DISABLED=1 example_build .) >&2 ||
		return 1
	rm -rf "$dest/.next/cache"
}

# The example app's `next build` (20 to 40 s here) is the largest cost of the suite, so a run
# makes each distinct build once. A build is keyed by what it reads: the node version, the
# project's files except node_modules, .next, .git and those Next never reads (slipway.ini,
# .gitignore, shared-env.example, agent/), and the variables its next.config.js bakes in
# (APP_RELEASE, SLIPWAY_VERSION, NEXT_PUBLIC_*, NODE_ENV) and NEXT_DEPLOYMENT_ID (pack sets it
# to the release version: Next stamps it into the client and the server's config).
_example_build_key() {
	{
		node --version
		printf 'APP_RELEASE=%s\nSLIPWAY_VERSION=%s\nNODE_ENV=%s\nNEXT_DEPLOYMENT_ID=%s\n' \
			"${APP_RELEASE-(unset)}" "${SLIPWAY_VERSION-(unset)}" "${NODE_ENV-(unset)}" \
			"${NEXT_DEPLOYMENT_ID-(unset)}"
		env | grep '^NEXT_PUBLIC_' | LC_ALL=C sort
		(cd "$1" && find . \( -path ./node_modules -o -path ./.next -o -path ./.git -o -path ./agent \) -prune \
			-o -type f ! -path ./slipway.ini ! -path ./.gitignore ! -path ./shared-env.example -print0 |
			LC_ALL=C sort -z | xargs -0 -r sha256sum)
	} | _fixture_hash
}

# $PATH without tests/e2e/shim, for the real npm.
_path_without_shim() { printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$REPO/tests/e2e/shim" | paste -sd:; }

# example_build DIR: leaves in DIR/.next what `npm run build` would, for DIR a copy of the
# example with node_modules (fixture_mediai). The first build of a key runs the real
# `npm run build` in DIR, under a lock, and keeps a copy of its .next (without .next/cache);
# later ones copy that .next into DIR. The build's output goes to stdout and stderr as npm's.
example_build() {
	local dir=${1:?example_build: DIR missing} key cache entry
	key=$(_example_build_key "$dir") || return 1
	cache=$(_fixture_cache)
	entry="$cache/next-$key"
	mkdir -p "$cache" || return 1
	(
		flock 9 || exit 1
		if [ -d "$entry" ]; then
			echo "example_build: same sources and release as an earlier build; its output: $entry" >&2
			rm -rf "$dir/.next" && cp -a "$entry/.next" "$dir/.next" || exit 1
		else
			echo "example_build: building the example app (kept for later builds of the same key in $entry)" >&2
			# From scratch: a .next/cache left by an earlier build in DIR would lend this build
			# that build's Server Actions key, hence its action ids (which tests tell apart).
			rm -rf "$dir/.next" || exit 1
			(cd "$dir" && PATH=$(_path_without_shim) exec npm run build) || exit 1
			tmp=$(mktemp -d "$cache/.tmp-next.XXXXXX") || exit 1
			if ! cp -a "$dir/.next" "$tmp/.next" || ! rm -rf "$tmp/.next/cache" || ! mv "$tmp" "$entry"; then
				rm -rf "$tmp"
				exit 1
			fi
			find "$cache" -maxdepth 1 -name 'next-*' -mtime +7 -exec rm -rf {} + 2>/dev/null
		fi
		touch "$entry"
	) 9>"$cache/.lock-next"
}
