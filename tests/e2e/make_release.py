#!/usr/bin/env python3
"""Builds slipway release archives directly (no `slipway pack`), for tests and benchmarks.

As a command:
    make_release.py --tree DIR --app A --version V --serial N --out OUT.tar.zst
                    [--compress zstd|gzip|none] [--service JSON]... [--sign SECKEY]
                    [--required NAME...] [--optional NAME...] [--commit HEX40]
writes OUT: a tar whose first entry is slipway-manifest.json (specs/manifest.md) listing every
entry of DIR (sorted; regular files, directories, symlinks), followed by the entries in that
order; with --sign also OUT.minisig made by stock `minisign -S` with slipway's trusted comment
"app:A version:V serial:N file:OUT-basename". The key must be unencrypted (minisign -G -W).

As a module (tests/e2e/hostile_archives.py): Entry, tree_entries, manifest_for, manifest_json,
write_archive, sign.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

MANIFEST_NAME = "slipway-manifest.json"
MTIME = 1700000000


class Entry:
    """One archive member: kind is 'file', 'dir', 'symlink', or anything tarfile knows
    (used by hostile tests: 'hardlink', 'fifo', 'chr', 'blk')."""

    def __init__(self, path, kind="file", data=b"", target="", mode=None, size=None):
        self.path, self.kind, self.data, self.target = path, kind, data, target
        self.mode = mode if mode is not None else (0o755 if kind == "dir" else 0o644)
        self.size = size  # declared size in the tar header (default: len(data))


def tree_entries(root):
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            if os.path.islink(full):
                out.append(Entry(rel, "symlink", target=os.readlink(full), mode=0o777))
            elif os.path.isdir(full):
                out.append(Entry(rel, "dir"))
            else:
                with open(full, "rb") as f:
                    data = f.read()
                out.append(Entry(rel, "file", data, mode=0o755 if st.st_mode & 0o111 else 0o644))
    out.sort(key=lambda e: e.path.encode())
    return out


def manifest_for(entries, app, version, serial, services=None, required=(), optional=(),
                 commit="", build_time="2026-11-25T06:00:00Z"):
    files = []
    for e in sorted(entries, key=lambda e: e.path.encode()):
        if e.kind == "file":
            files.append({"path": e.path, "type": "file", "mode": "%04o" % e.mode,
                          "size": len(e.data), "sha256": hashlib.sha256(e.data).hexdigest()})
        elif e.kind == "dir":
            files.append({"path": e.path, "type": "dir", "mode": "0755"})
        elif e.kind == "symlink":
            files.append({"path": e.path, "type": "symlink", "mode": "0777",
                          "target": e.target})
    return {
        "format": 1, "app": app, "version": version, "serial": serial, "commit": commit,
        "dirty": False, "build_time": build_time, "slipway_version": "0.1.0",
        "secrets": {"required": list(required), "optional": list(optional)},
        "services": services or [], "files": files,
    }


def manifest_json(manifest):
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()


def _tarinfo(e):
    ti = tarfile.TarInfo(e.path)
    ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = MTIME, 0, 0, "", ""
    ti.mode = e.mode
    kinds = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
             "hardlink": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE, "chr": tarfile.CHRTYPE,
             "blk": tarfile.BLKTYPE}
    ti.type = kinds[e.kind]
    if e.kind in ("symlink", "hardlink"):
        ti.linkname = e.target
    if e.kind == "file":
        ti.size = len(e.data) if e.size is None else e.size
    return ti


def tar_bytes(members, fmt=tarfile.PAX_FORMAT):
    """members: Entry list in archive order (the manifest entry included by the caller)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for e in members:
            ti = _tarinfo(e)
            if e.kind == "file" and e.size is not None and e.size != len(e.data):
                # A header that lies about the size: write the header and the short data raw.
                tf.fileobj.write(ti.tobuf(fmt, tf.encoding, tf.errors))
                tf.fileobj.write(e.data)
                tf.offset += tarfile.BLOCKSIZE + len(e.data)
                continue
            tf.addfile(ti, io.BytesIO(e.data) if e.kind == "file" else None)
    return buf.getvalue()


def compress(raw, how):
    if how == "none":
        return raw
    if how == "gzip":
        return gzip.compress(raw, mtime=0)
    if how == "zstd":
        return subprocess.run(["zstd", "-q", "-c", "-3"], input=raw, check=True,
                              stdout=subprocess.PIPE).stdout
    raise ValueError(how)


def write_archive(out, members, how="zstd", fmt=tarfile.PAX_FORMAT):
    with open(out, "wb") as f:
        f.write(compress(tar_bytes(members, fmt), how))


def sign(archive, seckey, app, version, serial, trusted=None):
    tc = trusted or "app:%s version:%s serial:%s file:%s" % (
        app, version, serial, os.path.basename(archive))
    subprocess.run(["minisign", "-S", "-s", seckey, "-m", archive, "-t", tc],
                   check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", required=True)
    ap.add_argument("--app", default="testapp")
    ap.add_argument("--version", required=True)
    ap.add_argument("--serial", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--compress", default="zstd", choices=["zstd", "gzip", "none"])
    ap.add_argument("--service", action="append", default=[], help="a service object as JSON")
    ap.add_argument("--required", nargs="*", default=[])
    ap.add_argument("--optional", nargs="*", default=[])
    ap.add_argument("--commit", default="", help="40 lowercase hex digits")
    ap.add_argument("--build-time", default="2026-11-25T06:00:00Z", help="RFC 3339 UTC")
    ap.add_argument("--sign", metavar="SECKEY")
    a = ap.parse_args()
    entries = tree_entries(a.tree)
    m = manifest_for(entries, a.app, a.version, a.serial, [json.loads(s) for s in a.service],
                     a.required, a.optional, a.commit, a.build_time)
    members = [Entry(MANIFEST_NAME, "file", manifest_json(m))] + entries
    write_archive(a.out, members, a.compress)
    if a.sign:
        sign(a.out, a.sign, a.app, a.version, a.serial)
    print(a.out)


if __name__ == "__main__":
    sys.exit(main())
