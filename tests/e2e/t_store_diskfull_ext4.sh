# A full disk during the `current` swap and during the history append, on a real filesystem:
# a small ext4 image, loop-mounted (tmpfs did not reach these paths). BRIEF: "A full disk fails
# cleanly"; specs/store.md "Activate": the rename is atomic, "every reader sees the old or the
# new release"; "History": an append writes one line "with a single pwrite", and a failed one
# leaves the history as it was. Checked here:
#  - no inode left: `activate` cannot make its temporary link: exit 3 "No space left on
#    device", `current` and the history unchanged, no temporary name left;
#  - no block left, and the history ending on a block boundary: `activate` swaps `current`
#    (its commit point needs no block), the append fails: exit 3, "is active but the history
#    was not written", the history byte for byte as before (no torn line);
#  - space back: the next switch appends normally (seq continues; the missed switch is
#    reconciled from `current`, specs/store.md "Rollback target").
# The image is created and removed here; without loop devices (a container) the test skips.
source "$REPO/tests/e2e/store_lib.sh"
test_key
img="$T/disk.img" mnt="$T/mnt"
mkdir "$mnt"
truncate -s 24M "$img"
mkfs.ext4 -q -F -b 1024 -N 128 -m 0 "$img" >/dev/null 2>&1 || fail "mkfs.ext4 failed"
if ! mount -o loop "$img" "$mnt" 2>"$T/mount.err"; then
	echo "skipping: cannot loop-mount an ext4 image here: $(cat "$T/mount.err")"
	exit 0
fi
cleanup() { umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null; rm -f "$img"; }
trap cleanup EXIT

S="$mnt/store"
new_store "$S"
release 1.0.0 1
release 2.0.0 2
expect_rc 0 "$SLIPWAY" deploy "$T/rel-1.0.0.tar.zst" --root "$S"
expect_rc 0 "$SLIPWAY" install "$T/rel-2.0.0.tar.zst" --root "$S"
mkdir "$mnt/fill"

# 1. No inode left: the temporary link of the swap cannot be made.
i=0
while { : >"$mnt/fill/i$i"; } 2>/dev/null; do i=$((i + 1)); done
[ $i -gt 0 ] || fail "no inode could be taken"
history=$(sha256sum <"$S/history.jsonl")
expect_rc 3 "$SLIPWAY" activate 2.0.0 --root "$S"
assert_contains "$errout" "No space left on device"
assert_eq "$(current_of "$S")" "releases/1.0.0" "current after ENOSPC on the swap"
assert_eq "$(sha256sum <"$S/history.jsonl")" "$history" "history after ENOSPC on the swap"
assert_eq "$(cd "$S" && ls -A | grep '^\.current\.' || true)" "" "temporary links left"
rm -rf "$mnt/fill"
mkdir "$mnt/fill"

# 2. No block left, and the history's last line padded (JSON whitespace, same event) so that
# the file ends on a 1 KiB block boundary: the next line needs a new block.
python3 - "$S/history.jsonl" <<'PY' || fail "padding the history"
import sys
p = sys.argv[1]
data = open(p, "rb").read()
head, last = data[:-1].rsplit(b"\n", 1) if data[:-1].count(b"\n") else (None, data[:-1])
pad = (-len(data)) % 1024
last = last[:-1] + b" " * pad + b"}"
out = (head + b"\n" if head is not None else b"") + last + b"\n"
assert len(out) % 1024 == 0
open(p, "wb").write(out)
PY
expect_rc 0 "$SLIPWAY" list --root "$S" --json # the padded history still reads
dd if=/dev/zero of="$mnt/fill/blocks" bs=64k 2>/dev/null
dd if=/dev/zero of="$mnt/fill/rest" bs=1k 2>/dev/null
sync
history=$(sha256sum <"$S/history.jsonl")
size=$(stat -c %s "$S/history.jsonl")
expect_rc 3 "$SLIPWAY" activate 2.0.0 --root "$S"
assert_contains "$errout" "2.0.0 is active but the history was not written"
assert_contains "$errout" "No space left on device"
assert_eq "$(current_of "$S")" "releases/2.0.0" "current: the swap is the commit point"
assert_eq "$(stat -c %s "$S/history.jsonl")" "$size" "history size after ENOSPC on the append"
assert_eq "$(sha256sum <"$S/history.jsonl")" "$history" "history after ENOSPC on the append"
expect_rc 0 "$SLIPWAY" status --root "$S"

# 3. Space back: the history goes on; the switch it missed is reconciled from `current`.
rm -rf "$mnt/fill"
expect_rc 0 "$SLIPWAY" rollback --root "$S"
assert_eq "$(current_of "$S")" "releases/1.0.0" "current after the rollback"
python3 - "$S/history.jsonl" <<'PY' || fail "history after the space came back: $(tail -2 "$S/history.jsonl")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert [e["seq"] for e in ev] == list(range(1, len(ev) + 1)), [e["seq"] for e in ev]
assert ev[-1]["action"] == "rollback" and ev[-1]["from"] == "2.0.0" and ev[-1]["to"] == "1.0.0", ev[-1]
PY
