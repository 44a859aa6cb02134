#!/usr/bin/env python3
"""Alters one frame of a slipway .tar.zst for the partial-pull tests (tests/e2e/t_pull_frames.sh).

frames_tool.py flip ARCHIVE TEXT           flips a byte in the middle of every frame (but frame 0)
                                           whose decompressed bytes contain TEXT; same size.
frames_tool.py rewrite ARCHIVE OLD NEW     replaces OLD by NEW (same length) in the frames
                                           holding it, recompresses them with zstd -3, and
                                           writes a seek table to match.
frames_tool.py shift ARCHIVE N             moves N bytes of decompressed size from frame 1's
                                           seek-table entry to frame 0's: the sizes still sum
                                           to the tar stream, but frame 0 is not one frame of
                                           its entry's size. Frames untouched; same size.
Frames and the seek table are read as specs/archive.md describes them; zstd does the rest."""
import struct
import subprocess
import sys


def frames(b):
    n, desc, magic = struct.unpack("<IBI", b[-9:])
    assert magic == 0x8F92EAB1 and desc == 0, "no seek table"
    table = b[-(17 + 8 * n):]
    entries = [struct.unpack("<II", table[8 + 8 * i:16 + 8 * i]) for i in range(n)]
    out, off = [], 0
    for c, _ in entries:
        out.append(b[off:off + c])
        off += c
    return out


def seek_table(frames_, sizes):
    body = b"".join(struct.pack("<II", len(f), d) for f, d in zip(frames_, sizes))
    body += struct.pack("<IBI", len(frames_), 0, 0x8F92EAB1)
    return struct.pack("<II", 0x184D2A5E, len(body)) + body


def zstd(args, data):
    return subprocess.run(["zstd", "-q", "-c"] + args, input=data, check=True,
                          stdout=subprocess.PIPE).stdout


def main():
    mode, path = sys.argv[1], sys.argv[2]
    b = open(path, "rb").read()
    fs = frames(b)
    plain = [zstd(["-d"], f) for f in fs]
    hit = 0
    if mode == "shift":
        n = int(sys.argv[3])
        sizes = [len(p) for p in plain]
        if len(fs) < 2 or sizes[1] <= n:
            sys.exit("frame 1 has no %d bytes to give" % n)
        assert b.endswith(seek_table(fs, sizes)), "an unexpected seek table"
        sizes[0] += n
        sizes[1] -= n
        table = seek_table(fs, sizes)
        open(path, "wb").write(b[:len(b) - len(table)] + table)
        hit = 1
    elif mode == "flip":
        old = sys.argv[3].encode()
        out = bytearray(b)
        off = 0
        for i, f in enumerate(fs):
            if i and old in plain[i]:
                out[off + len(f) // 2] ^= 0xFF
                hit += 1
            off += len(f)
        open(path, "wb").write(bytes(out))
    else:
        old, new = sys.argv[3].encode(), sys.argv[4].encode()
        assert len(old) == len(new)
        for i in range(1, len(fs)):
            if old in plain[i]:
                plain[i] = plain[i].replace(old, new)
                fs[i] = zstd(["-3", "--no-check", "--stream-size=%d" % len(plain[i])], plain[i])
                hit += 1
        open(path, "wb").write(b"".join(fs) + seek_table(fs, [len(p) for p in plain]))
    if not hit:
        sys.exit("no frame holds the text")


main()
