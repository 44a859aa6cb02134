# `make install` with DESTDIR and PREFIX: the binary, the man page, the bash completion and the
# systemd unit land where packagers expect them, the installed binary runs, the man page renders cleanly
# and documents every command and long option that `--help` shows, the completion offers
# the binary's commands and flags, and `make uninstall` removes what was installed.

build_dir=$(dirname "$SLIPWAY")
case $build_dir in "$REPO"/*) build_dir=${build_dir#"$REPO"/} ;; esac # as the .d files name it
d="$T/d"
expect_rc 0 make -s -C "$REPO" install DESTDIR="$d" PREFIX=/usr BUILD="$build_dir"
bin="$d/usr/bin/slipway"
man1="$d/usr/share/man/man1/slipway.1"
comp="$d/usr/share/bash-completion/completions/slipway"
unit="$d/usr/lib/systemd/system/slipway.service"
assert_file "$bin"
assert_file "$man1"
assert_file "$comp"
assert_eq "$(stat -c %a "$bin")" 755 "mode of the installed binary"
assert_eq "$(stat -c %a "$man1")" 644 "mode of the man page"
assert_no_file "$d/usr/local"
# The systemd unit runs the binary where PREFIX put it.
assert_file "$unit"
assert_contains "$(cat "$unit")" "ExecStart=/usr/bin/slipway run"
assert_not_contains "$(cat "$unit")" "/usr/local/" "unit installed with PREFIX=/usr"

want=$(sed -n 's/^VERSION *:= *//p' "$REPO/Makefile")
expect_rc 0 "$bin" --version
assert_eq "$out" "slipway $want" "installed slipway --version"

# The page renders without a single warning, with whichever renderer is installed.
if command -v groff >/dev/null; then
	groff -man -Tutf8 -ww -z "$man1" 2>groff.err || fail "groff failed: $(cat groff.err)"
	[ ! -s groff.err ] || fail "groff warnings: $(cat groff.err)"
	page=$(groff -man -Tutf8 -P-c -P-b -P-u "$man1" 2>/dev/null)
elif command -v mandoc >/dev/null; then
	mandoc -T lint -W warning "$man1" >lint.out 2>&1 || fail "mandoc: $(cat lint.out)"
	page=$(mandoc -T utf8 "$man1" | col -b)
else
	echo "no groff or mandoc: rendering not checked"
	page=$(cat "$man1")
fi
# roff escapes dashes; compare on the rendered text, hyphenation off.
page=$(printf '%s\n' "$page" | sed 's/‐/-/g; s/−/-/g')
assert_contains "$page" "SYNOPSIS" "rendered man page"

# Every command `slipway --help` lists has a section, and every long option a command's
# --help shows is documented in it.
"$bin" --help >help.txt
commands=$(awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }' help.txt)
[ "$(echo "$commands" | wc -w)" -ge 14 ] || fail "too few commands in --help: $commands"
raw=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$man1")
for c in $commands; do
	assert_contains "$raw" ".SS \"slipway $c" "man page section for $c"
	"$bin" "$c" --help >cmdhelp.txt 2>&1 || fail "slipway $c --help exited non-zero: $(cat cmdhelp.txt)"
	section=$(printf '%s\n' "$raw" | awk -v c="slipway $c" 'index($0, ".SS \"" c) == 1 { on = 1; print; next } on && /^\.S[SH] / { exit } on')
	for flag in $(grep -oE -- '--[a-z][-a-z0-9]*' cmdhelp.txt | sort -u); do
		[ "$flag" = --help ] && continue
		assert_contains "$section" "$flag" "man page section for $c (from \`slipway $c --help\`)"
	done
done

# The completion offers what the installed binary knows.
complete_words() { # WORDS...: the completions for the last word, one per line
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1));
		_slipway; printf "%s\n" "${COMPREPLY[@]}"' _ "$comp" "$@"
}
got=$(complete_words "$bin" "")
for c in $commands; do assert_contains "$got" "$c" "completion of subcommands"; done
got=$(complete_words "$bin" "ro")
assert_eq "$got" "rollback" "completion of 'ro'"
for c in $commands; do
	"$bin" "$c" --help >cmdhelp.txt 2>&1
	for flag in $(grep -oE -- '--[a-z][-a-z0-9]*' cmdhelp.txt | sort -u | head -3); do
		got=$(complete_words "$bin" "$c" "${flag:0:4}")
		assert_contains "$got" "$flag" "completion of '$c ${flag:0:4}'"
	done
done
mkdir -p store/releases/v1.0.0 store/releases/v1.1.0 store/releases/.staging-x
got=$(complete_words "$bin" rollback --root "$T/store" "v1.1")
assert_eq "$got" "v1.1.0" "completion of a release version"
got=$(SLIPWAY_ROOT="$T/store" complete_words "$bin" activate "")
assert_eq "$(echo $got)" "v1.0.0 v1.1.0" "completion of versions from \$SLIPWAY_ROOT"

expect_rc 0 make -s -C "$REPO" uninstall DESTDIR="$d" PREFIX=/usr BUILD="$build_dir"
assert_no_file "$bin"
assert_no_file "$man1"
assert_no_file "$comp"
assert_no_file "$unit"
