#!/usr/bin/env python3
"""Deterministic tree generator for benchmarks: something shaped like a large app's
node_modules. By default about 300 MB in about 10,000 files of mixed sizes and
compressibility, about eleven files per directory; the same arguments always give the same
bytes, paths and modes.

usage: gen_tree.py DEST [--mb MB] [--files N] [--seed S] [--change PCT]
Defaults come from $GEN_TREE_MB (300), $GEN_TREE_FILES (10000), $GEN_TREE_SEED (1), so a
quick run is e.g. GEN_TREE_MB=30 GEN_TREE_FILES=1000.

--change PCT gives the next release of the same tree: the same paths, sizes and modes, but
the content of PCT percent of the files (a deterministic choice, made by a generator of its
own so that the other files stay byte for byte the same) is different.

Mix (by file count): 88% source-like text (small, compresses about 4-6x), 10% mixed
text and random bytes (three quarters text, medium), 2% random binary (larger, incompressible: images, wasm,
native addons). Sizes are log-normal per kind, then scaled so the total hits the target.
About 1 in 20 files is executable (mode 0755). Mtimes are fixed (2020-01-01).
"""
import argparse
import os
import random
import sys

WORDS = (
    "function return const let var if else for while import export default from require "
    "module exports this new class extends super async await yield try catch finally throw "
    "null undefined true false typeof instanceof object string number boolean Array Object "
    "Promise Map Set JSON parse stringify length push pop slice splice map filter reduce "
    "forEach keys values entries prototype call apply bind props state children render "
    "useState useEffect useMemo React createElement component handler event target value "
    "options config callback error result data buffer stream request response headers "
    "status body path join resolve dirname filename process env node_modules dist lib src"
).split()
PUNCT = ["(", ")", "{", "}", ";", ",", ".", " = ", " => ", "\n", "\n  ", "\n    ", " + ", "[", "]"]
MTIME = 1577836800  # 2020-01-01T00:00:00Z


def text_pool(rng, size):
    """A pool of source-like text; files take windows of it at random offsets. Code repeats
    itself (imports, boilerplate), so the pool is drawn from a fixed set of lines."""
    lines = []
    for _ in range(30000):
        line = []
        for _ in range(rng.randint(3, 12)):
            w = rng.choice(WORDS)
            if rng.random() < 0.04:
                w += str(rng.randint(0, 9999))
            line.append(w)
            line.append(rng.choice(PUNCT))
        lines.append("".join(line))
    out, n = [], 0
    while n < size:
        s = rng.choice(lines)
        out.append(s)
        n += len(s)
    return "".join(out).encode()[:size]


def change(rng, data):
    """The same length, different bytes: a release that edited this file."""
    if not data:
        return b"x"
    n = max(1, len(data) // 8)
    off = rng.randrange(0, len(data) - n + 1)
    return data[:off] + rng.randbytes(n) + data[off + n:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dest")
    ap.add_argument("--mb", type=float, default=float(os.environ.get("GEN_TREE_MB", 300)))
    ap.add_argument("--files", type=int, default=int(os.environ.get("GEN_TREE_FILES", 10000)))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("GEN_TREE_SEED", 1)))
    ap.add_argument("--change", type=float, default=0.0, metavar="PCT")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    crng = random.Random(a.seed * 7919 + 1)  # which files change, and their new bytes
    target = int(a.mb * 1_000_000)
    pool = text_pool(rng, 24 << 20)

    kinds, sizes = [], []
    for _ in range(a.files):
        r = rng.random()
        if r < 0.88:
            kinds.append("text")
            sizes.append(rng.lognormvariate(8.9, 1.3))  # median ~7 KB
        elif r < 0.98:
            kinds.append("mixed")
            sizes.append(rng.lognormvariate(9.9, 1.0))  # median ~20 KB
        else:
            kinds.append("binary")
            sizes.append(rng.lognormvariate(10.6, 1.0))  # median ~40 KB
    scale = target / max(1.0, sum(sizes))
    sizes = [max(1, int(s * scale)) for s in sizes]

    # About eleven files per directory, as in a real node_modules (a Next.js 15 app's:
    # 8,904 files in 805 directories, 328 MB): packages of ~80 files, two levels of
    # subdirectories out of two names each.
    n_pkgs = max(1, a.files // 80)
    written = changed = 0
    for i, (kind, size) in enumerate(zip(kinds, sizes)):
        pkg = f"pkg-{rng.randrange(n_pkgs):04d}"
        depth = rng.randint(0, 2)
        parts = [a.dest, "node_modules", pkg] + [rng.choice(("lib", "dist")) for _ in range(depth)]
        ext = {"text": ".js", "mixed": ".map", "binary": ".bin"}[kind]
        path = os.path.join(*parts, f"f{i:05d}{ext}")
        if kind == "text":
            off = rng.randrange(0, len(pool) - min(size, len(pool) - 1))
            data = pool[off:off + size]
            if len(data) < size:
                data += pool[: size - len(data)]
        elif kind == "mixed":
            half = size * 3 // 4
            off = rng.randrange(0, len(pool) - half - 1)
            data = pool[off:off + half] + rng.randbytes(size - half)
        else:
            data = rng.randbytes(size)
        if a.change > 0 and crng.random() * 100 < a.change:
            data = change(crng, data)
            changed += 1
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o755 if rng.random() < 0.05 else 0o644)
        os.utime(path, (MTIME, MTIME))
        written += len(data)
    print(f"gen_tree: {a.files} files ({changed} changed), {written / 1e6:.1f} MB in {a.dest}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
