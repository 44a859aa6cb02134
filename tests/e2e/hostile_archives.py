#!/usr/bin/env python3
"""Builds the hostile-archive corpus for t_hostile_archives.sh.

    hostile_archives.py OUTDIR SECKEY

writes OUTDIR/<case>.tar.{zst,gz,...} (each signed with SECKEY by stock minisign, with a
trusted comment that agrees with its manifest unless the case is about that) and
OUTDIR/cases.txt, one line per case: name<TAB>archive<TAB>expected stderr text<TAB>extra
install flags. Every case must be refused by `slipway install` with exit status 1.
"""
import hashlib
import io
import os
import subprocess
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_release as mr  # noqa: E402

E = mr.Entry
APP, VERSION, SERIAL = "testapp", "6.6.6", 66


def base_entries():
    return [E("app", "dir"), E("app/index.txt", "file", b"hello\n"),
            E("bin", "dir"), E("bin/start.sh", "file", b"#!/bin/sh\n", mode=0o755)]


def manifest_entry(entries, **kw):
    m = mr.manifest_for(entries, kw.get("app", APP), kw.get("version", VERSION),
                        kw.get("serial", SERIAL))
    return E(mr.MANIFEST_NAME, "file", mr.manifest_json(m))


class Corpus:
    def __init__(self, out, key):
        self.out, self.key, self.lines = out, key, []

    def add(self, name, members, expect, how="zstd", flags="", raw=None, sign=True,
            version=VERSION, serial=SERIAL, fmt=tarfile.PAX_FORMAT, trusted=None, sig_junk=0):
        ext = {"zstd": ".tar.zst", "gzip": ".tar.gz", "none": ".tar", "xz": ".tar.xz"}[how]
        path = os.path.join(self.out, name + ext)
        if raw is not None:
            with open(path, "wb") as f:
                f.write(raw)
        elif how == "xz":
            data = mr.tar_bytes(members, fmt)
            with open(path, "wb") as f:
                f.write(subprocess.run(["xz", "-c"], input=data, check=True,
                                       stdout=subprocess.PIPE).stdout)
        else:
            mr.write_archive(path, members, how, fmt)
        if sign:
            mr.sign(path, self.key, APP, version, serial, trusted)
        if sig_junk:
            with open(path + ".minisig", "ab") as f:
                f.write(b"\n" * sig_junk)
        self.lines.append("\t".join([name, path, expect, flags]))
        return path

    def good(self, extra=(), drop=(), manifest_extra=(), **kw):
        """The base release plus `extra` archive members not in the manifest (or listed via
        manifest_extra), minus members named in `drop`."""
        listed = [e for e in base_entries()] + list(manifest_extra)
        members = [manifest_entry(listed, **kw)] + [e for e in listed if e.path not in drop]
        return members + list(extra)


def sparse_tar(members, path, how):
    """Tar bytes in which the regular file `path` is a GNU sparse entry whose single data block
    covers the whole file (so nothing is really sparse). how: pax0.0, pax0.1, pax1.0, oldgnu."""
    fmt = tarfile.GNU_FORMAT if how == "oldgnu" else tarfile.PAX_FORMAT
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for e in members:
            ti = mr._tarinfo(e)
            if e.path != path:
                tf.addfile(ti, io.BytesIO(e.data) if e.kind == "file" else None)
                continue
            n, data = len(e.data), e.data
            if how == "pax0.0":
                ti.pax_headers = {"GNU.sparse.size": str(n), "GNU.sparse.numblocks": "1",
                                  "GNU.sparse.offset": "0", "GNU.sparse.numbytes": str(n)}
            elif how == "pax0.1":
                ti.pax_headers = {"GNU.sparse.size": str(n), "GNU.sparse.numblocks": "1",
                                  "GNU.sparse.map": "0,%d" % n}
            elif how == "pax1.0":
                d, b = os.path.split(path)
                ti.name = os.path.join(d, "GNUSparseFile.0", b)
                ti.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0",
                                  "GNU.sparse.name": path, "GNU.sparse.realsize": str(n)}
                smap = b"1\n0\n%d\n" % n
                data = smap + b"\0" * (-len(smap) % 512) + data
                ti.size = len(data)
            if how != "oldgnu":
                tf.addfile(ti, io.BytesIO(data))
                continue
            hdr = bytearray(ti.tobuf(fmt, tf.encoding, tf.errors))
            assert len(hdr) == 512
            hdr[156:157] = b"S"
            hdr[386:398] = b"%011o\0" % 0   # sparse[0].offset
            hdr[398:410] = b"%011o\0" % n   # sparse[0].numbytes
            hdr[483:495] = b"%011o\0" % n   # realsize
            hdr[148:156] = b" " * 8
            hdr[148:156] = b"%06o\0 " % sum(hdr)
            pad = b"\0" * (-n % 512)
            tf.fileobj.write(bytes(hdr) + data + pad)
            tf.offset += 512 + n + len(pad)
    return buf.getvalue()


def raw_manifest(text):
    """Archive members: a manifest entry with exactly `text` (bytes), then the base entries."""
    return [E(mr.MANIFEST_NAME, "file", text)] + base_entries()


def manifest_with(**overrides):
    """The base manifest's JSON with top-level values replaced by raw JSON text."""
    m = mr.manifest_for(base_entries(), APP, VERSION, SERIAL)
    parts = []
    for k, v in m.items():
        parts.append('"%s": %s' % (k, overrides.pop(k) if k in overrides else
                                    mr.json.dumps(v)))
    parts += ['"%s": %s' % kv for kv in overrides.items()]
    return ("{" + ", ".join(parts) + "}\n").encode()


def main():
    out, key = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    c = Corpus(out, key)
    g = c.good

    # Paths that escape.
    c.add("absolute_path", g(extra=[E("/tmp/slipway-hostile-abs", "file", b"x")]),
          "absolute path")
    c.add("dotdot_path", g(extra=[E("../slipway-hostile-up", "file", b"x")]), "'..'")
    c.add("dotdot_inner", g(extra=[E("app/../../slipway-hostile-up2", "file", b"x")]), "'..'")
    # Links that escape, listed in the manifest (the manifest itself is refused) ...
    c.add("symlink_absolute_listed",
          g(manifest_extra=[E("app/passwd", "symlink", target="/etc/passwd", mode=0o777)]),
          "absolute target")
    c.add("symlink_relative_listed",
          g(manifest_extra=[E("app/up", "symlink", target="../../..", mode=0o777)]),
          "points outside the release")
    # ... and archive links that differ from an innocent manifest entry.
    lst = base_entries() + [E("app/link", "symlink", target="index.txt", mode=0o777)]
    c.add("symlink_target_swapped",
          [manifest_entry(lst)] + base_entries() +
          [E("app/link", "symlink", target="/etc/shadow", mode=0o777)],
          "differs from the manifest")
    c.add("hardlink", g(extra=[E("app/hl", "hardlink", target="/etc/passwd")]),
          "hardlinks are not allowed")
    c.add("char_device", g(extra=[E("app/null", "chr")]), "character device entries")
    c.add("block_device", g(extra=[E("app/sda", "blk")]), "block device entries")
    c.add("fifo", g(extra=[E("app/fifo", "fifo")]), "FIFO entries")
    setuid = base_entries()
    setuid[3] = E("bin/start.sh", "file", b"#!/bin/sh\n", mode=0o4755)
    c.add("setuid_file", [manifest_entry(base_entries())] + setuid, "setuid")
    c.add("duplicate_file", g(extra=[E("app/index.txt", "file", b"hello\n")]),
          "duplicate entry app/index.txt")
    # A directory replaced by a symlink and then written through.
    c.add("dir_then_symlink",
          g(extra=[E("app", "symlink", target="/tmp", mode=0o777),
                   E("app/slipway-hostile-through", "file", b"x")]),
          "duplicate entry app")
    lst = base_entries() + [E("app/sub", "dir"), E("app/sub/f", "file", b"x")]
    c.add("symlink_instead_of_dir",
          [manifest_entry(lst)] + base_entries() +
          [E("app/sub", "symlink", target="/tmp", mode=0o777), E("app/sub/f", "file", b"x")],
          "is a symlink in the archive but a directory in the manifest")
    # Sizes: a header that claims far more data than follows (the manifest agrees with it).
    big = base_entries() + [E("app/big.bin", "file", b"")]
    m = mr.manifest_for(big, APP, VERSION, SERIAL)
    for f in m["files"]:
        if f["path"] == "app/big.bin":
            f["size"] = 1 << 30
    c.add("size_beyond_data",
          [E(mr.MANIFEST_NAME, "file", mr.manifest_json(m))] + base_entries() +
          [E("app/big.bin", "file", b"A" * 1000, size=1 << 30)],
          "truncated")
    # Compression bombs: 64 MiB of zeros, zstd and gzip.
    zeros = b"\0" * (64 << 20)
    bomb = base_entries() + [E("app/zeros", "file", b"")]
    m = mr.manifest_for(bomb, APP, VERSION, SERIAL)
    for f in m["files"]:
        if f["path"] == "app/zeros":
            f["size"], f["sha256"] = len(zeros), hashlib.sha256(zeros).hexdigest()
    bomb_members = [E(mr.MANIFEST_NAME, "file", mr.manifest_json(m))] + base_entries() + \
        [E("app/zeros", "file", zeros)]
    c.add("compression_bomb_zstd", bomb_members, "compression ratio above 200:1")
    c.add("compression_bomb_gzip", bomb_members, "compression ratio above 200:1", how="gzip")
    del zeros, bomb_members
    # Limits, adjustable: entries and bytes.
    many = base_entries() + [E("app/f%03d" % i, "file", b"x") for i in range(60)]
    c.add("too_many_entries", [manifest_entry(many)] + many, "lists 64 entries, more than the limit 50",
          flags="--max-entries 50")
    c.add("too_many_bytes", g(), "more than the limit 4", flags="--max-bytes 4")
    # Names.
    long_name = "app/" + "x" * 250 + "/" + "y" * 250 + "/" + "z" * 4000
    c.add("overlong_name", g(extra=[E(long_name, "file", b"x")]), "longer than 4096 bytes")
    c.add("overlong_component", g(extra=[E("app/" + "c" * 300, "file", b"x")]),
          "component longer than 255")
    # Content against the manifest.
    altered = base_entries()
    altered[1] = E("app/index.txt", "file", b"HELLO\n")
    c.add("file_altered", [manifest_entry(base_entries())] + altered,
          "content does not match the manifest's SHA-256")
    c.add("unlisted_file", g(extra=[E("app/extra.js", "file", b"evil()")]),
          "app/extra.js is not listed in the manifest")
    c.add("missing_listed_file", g(drop=["app/index.txt"]),
          "app/index.txt is listed in the manifest but missing")
    c.add("missing_manifest", base_entries(),
          "first entry is app, not the regular file slipway-manifest.json")
    c.add("misplaced_manifest", base_entries()[:1] + [manifest_entry(base_entries())] +
          base_entries()[1:], "missing or misplaced manifest")
    c.add("manifest_not_json", [E(mr.MANIFEST_NAME, "file", b"{\"format\": 1,")] +
          base_entries(), "invalid JSON")
    c.add("entry_before_its_dir",
          [manifest_entry(base_entries())] + [base_entries()[1], base_entries()[0]] +
          base_entries()[2:], "comes before its directory")
    c.add("type_mismatch",
          [manifest_entry(base_entries())] + base_entries()[:3] + [E("bin/start.sh", "dir")],
          "is a directory in the archive but a regular file in the manifest")
    # Stream damage.
    full = mr.compress(mr.tar_bytes(g()), "zstd")
    c.add("truncated_archive", None, "", raw=full[: len(full) // 2])
    c.add("trailing_garbage_zstd", None, "", raw=full + b"GARBAGE" * 10)
    c.add("trailing_garbage_gzip", None, "trailing data after the compressed stream",
          how="gzip", raw=mr.compress(mr.tar_bytes(g()), "gzip") + b"GARBAGE" * 10)
    c.add("trailing_garbage_in_tar", None, "trailing data after the tar end-of-archive marker",
          raw=mr.compress(mr.tar_bytes(g()) + b"not zero padding", "zstd"))
    c.add("xz_not_allowed", g(), "", how="xz")
    c.add("not_an_archive", None, "", raw=b"\x7fELF" + os.urandom(4096))
    # The signed comment and the manifest must agree.
    c.add("manifest_version_differs", g(version="6.6.7"),
          "the manifest says version 6.6.7, the signature says 6.6.6")
    c.add("manifest_serial_differs", g(serial=65),
          "the manifest says serial 65, the signature says 66")
    # A GNU sparse file, made by GNU tar itself.
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "app"))
        with open(os.path.join(d, "app", "sparse"), "wb") as f:
            f.write(b"start")
            f.seek(8 << 20)
            f.write(b"end")
        data = open(os.path.join(d, "app", "sparse"), "rb").read()
        lst = [E("app", "dir"), E("app/sparse", "file", data)]
        with open(os.path.join(d, mr.MANIFEST_NAME), "wb") as f:
            f.write(manifest_entry(lst).data)
        tar = subprocess.run(["tar", "--sparse", "--format=gnu", "--owner=0", "--group=0",
                              "-C", d, "-cf", "-", "--no-recursion", mr.MANIFEST_NAME, "app",
                              "app/sparse"], check=True, stdout=subprocess.PIPE).stdout
        c.add("sparse_file", None, "sparse", raw=mr.compress(tar, "zstd"))
    # Nested compression (specs/store.md: "a compressed stream inside the compressed stream").
    plain = mr.tar_bytes(g())
    for outer, inner in (("gzip", "gzip"), ("zstd", "zstd"), ("zstd", "gzip"), ("gzip", "zstd")):
        c.add("nested_%s_in_%s" % (inner, outer), None,
              "not a tar archive (slipway reads tar, tar.zst, tar.gz)", how=outer,
              raw=mr.compress(mr.compress(plain, inner), outer))
    # Zeros after the tar end-of-archive marker: more than a tar record is refused (a signed
    # 656 KB archive once made install decompress 20 GiB of them, holding the store lock).
    c.add("zero_padding_beyond_a_record", None, "zero padding",
          raw=mr.compress(plain + bytes(2 << 20), "zstd"))
    c.add("zero_padding_beyond_a_record_gzip", None, "zero padding", how="gzip",
          raw=mr.compress(plain + bytes(2 << 20), "gzip"))
    # Sparse entries whose single block covers the whole file: still sparse entries.
    for how in ("pax0.0", "pax0.1", "pax1.0", "oldgnu"):
        c.add("sparse_whole_file_" + how.replace(".", ""), None, "sparse entries are not allowed",
              raw=mr.compress(sparse_tar(g(), "app/index.txt", how), "zstd"))
    # Manifests built to make the JSON reader allocate: refused before a tree is built.
    # (With --max-ratio raised, so that the ratio limit does not stop them first.)
    c.add("manifest_object_flood", raw_manifest(manifest_with(files="[" + "{}," * 300000 + "{}]")),
          'missing key "path"', flags="--max-ratio 1000000")
    c.add("manifest_array_flood", raw_manifest(manifest_with(zzz="[" + "[]," * 300000 + "[]]")),
          'unknown key "zzz"', flags="--max-ratio 1000000")
    c.add("manifest_deep_nesting", raw_manifest(b'{"format": 1, "app": ' + b"[" * 200000 +
                                                b"]" * 200000 + b"}"), "nest")
    wide = {"name": "w", "argv": ["x"], "cwd": "", "env": {"K%d" % i: "" for i in range(300)},
            "port": 0, "ready": "none", "ready_timeout_ms": 0, "stop_timeout_ms": 0}
    c.add("manifest_wide_object", raw_manifest(manifest_with(services=mr.json.dumps([wide]))),
          "more than 256 keys")
    c.add("manifest_service_flood", raw_manifest(manifest_with(services=mr.json.dumps(
        [dict(wide, env={}, name="s%d" % i) for i in range(5000)]))),
          '"services" has more than 32 elements', flags="--max-ratio 1000000")
    c.add("manifest_string_flood", raw_manifest(manifest_with(
        secrets='{"required": [' + '"",' * 300000 + '""], "optional": []}')),
          '"required" has more than 256 elements', flags="--max-ratio 1000000")
    # The compression-ratio limit applies to the manifest from its first byte (JSON allows
    # whitespace after the document; 8 MiB of it compress to almost nothing).
    c.add("manifest_ratio", raw_manifest(manifest_with() + b" " * (8 << 20)),
          "compression ratio above 200:1")
    # The manifest's byte total wraps around 2^64 (to 100) unless summed with checked arithmetic.
    huge = (1 << 53) - 1
    wrap = [E("app", "dir")] + [E("app/f%04d" % i, "file", b"") for i in range(2049)]
    m = mr.manifest_for(wrap, APP, VERSION, SERIAL)
    for i, f in enumerate(m["files"][1:]):
        f["size"] = huge if i < 2048 else 2048 + 100
    c.add("manifest_size_sum_wraps",
          [E(mr.MANIFEST_NAME, "file", mr.manifest_json(m)), E("app", "dir"),
           E("app/f0000", "file", b"", size=huge)], "bytes of files, more than the limit")
    # Attacker bytes in messages: names with terminal escapes, newlines, invalid UTF-8, and a
    # signed app: value with an escape sequence. They must reach the terminal escaped.
    c.add("name_with_escape", g(extra=[E("app/\x1b]0;owned\x07\x1b[2J", "file", b"x")]),
          "control character in path")
    c.add("name_with_newline", g(extra=[E("app/x\nslipway: install: installed 6.6.6", "file",
                                          b"x")]), "control character in path")
    c.add("name_with_c1_and_bad_utf8", g(extra=[E("app/\u009b31m\udcff", "file", b"x")]),
          "is not listed in the manifest")
    c.add("app_with_escape", g(), "this store holds app testapp",
          trusted="app:\x1b[31mevil version:%s serial:%d" % (VERSION, SERIAL))
    # A signature file over the size limit is a refused signature (exit 1), not a system error.
    c.add("signature_oversized", g(), "signature", sig_junk=20000)
    # Signatures.
    c.add("unsigned", g(), "signature", sign=False)
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("\n".join(c.lines) + "\n")


if __name__ == "__main__":
    main()
