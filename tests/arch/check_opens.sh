#!/usr/bin/env bash
# One way to open a file that slipway reads (release/base/fileio.h, open_regular and the
# functions built on it): a regular file, no symlink where the caller says so, and an open
# that never blocks (a FIFO or a device in an input's place would hang the command, holding
# the store lock). This check finds every other open(2) family call in cmd/, pack/, runtime/
# and release/ and fails unless the call
#   - opens a directory (O_DIRECTORY: a FIFO or a device is refused before any wait), or
#   - creates a new file (O_CREAT with O_EXCL: slipway's own output, nothing is read), or
#   - is on the allow-list below, each entry with the reason it may stay.
# Usage: check_opens.sh   (run from the top of the tree; exit 0 when clean, 1 with the calls)
set -euo pipefail

# file|text the call contains|why it may stay
allow=(
	"release/sig/password.c|\"/dev/tty\"|the controlling terminal a password is read from, never a path given"
	"runtime/spawn.c|\"/dev/null\"|the services' stdin"
	"runtime/spawn.c|fopen(path|/proc/PID/stat: the kernel's, read to find children"
	"runtime/portowner.c|fopen(table|/proc/net/tcp{,6}: the kernel's listening sockets"
	"runtime/portowner.c|open(path|/proc/PID/stat: the kernel's, read to name a port's holder"
	"release/base/lockfile.c|O_RDWR | O_CREAT|a lock file: O_RDWR never waits on a FIFO (fifo(7)), nothing is read, and anything but a private regular file is replaced"
	"release/store/action_key.c|O_TMPFILE|an unnamed new file (the store's Server Actions key, written, then linked in): nothing is read"
	"pack/hash.c|open(e->src|the project's files while packing: the same non-blocking, no-follow open with the regular-file check (pack/'s to move onto open_regular)"
)

[ -d release/base ] || { echo "check_opens: run from the top of the tree" >&2; exit 1; }
bad=0
while IFS=$'\t' read -r file line call; do
	case $call in *O_DIRECTORY*) continue ;; esac
	case $call in *O_CREAT*O_EXCL* | *O_EXCL*O_CREAT*) continue ;; esac
	ok=
	for a in "${allow[@]}"; do
		IFS='|' read -r afile atext _ <<<"$a"
		[ "$afile" = "$file" ] && [[ $call == *"$atext"* ]] && ok=1 && break
	done
	[ -n "$ok" ] && continue
	echo "$file:$line: opens an input outside release/base/fileio.c (use open_regular, open_regular_at, open_regular_beneath or read_file_at): $call" >&2
	bad=1
done < <(find cmd pack runtime release -name '*.c' ! -path release/base/fileio.c | sort |
	xargs awk '
	# Every call of open, openat, open_beneath, fopen, freopen or creat, joined over lines
	# until its parentheses close; printed as FILE<TAB>LINE<TAB>CALL.
	FNR == 1 { depth = 0; text = "" }
	{
		line = $0
		sub(/\/\/.*/, "", line)
		if (depth == 0) {
			if (!match(line, /(^|[^A-Za-z0-9_.>])(open|openat|open_beneath|fopen|freopen|creat)[ \t]*\(/))
				next
			text = ""; start = FNR; line = substr(line, RSTART)
		}
		for (i = 1; i <= length(line); i++) {
			c = substr(line, i, 1)
			if (c == "(") depth++
			else if (c == ")" && --depth == 0) { text = text substr(line, 1, i); break }
		}
		if (depth > 0) { text = text line " "; next }
		gsub(/[ \t]+/, " ", text)
		print FILENAME "\t" start "\t" text
	}')
[ $bad = 0 ] && echo "opens of inputs: ok (only through release/base/fileio.c, $((${#allow[@]})) allowed exceptions)"
exit $bad
