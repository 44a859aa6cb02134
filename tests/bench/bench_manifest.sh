#!/usr/bin/env bash
# Benchmark: peak memory (RSS, by wait4(2)) and time of `slipway inspect` on a worst-case
# manifest at the 64 MiB limit: 1,000,000 entries (the most the format allows), symlinks so
# that every entry carries two strings, padded to 64 MiB with longer targets. inspect refuses
# it only after parsing (more entries than --max-entries allows by default), so the figure is
# the parser's. The peer is the archive's own size: memory is printed as a multiple of the
# manifest's bytes. Never fails on memory, only when something it runs breaks.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${SLIPWAY:?set SLIPWAY}"
python3 - manifest.tar.zst <<'PY'
import io, json, subprocess, sys, tarfile
n, limit = 1000000, 64 << 20
head = {"format": 1, "app": "bench", "version": "1.0.0", "serial": 1, "commit": "",
        "dirty": False, "build_time": "2026-11-25T06:00:00Z", "slipway_version": "0.1.0",
        "secrets": {"required": [], "optional": []}, "services": []}
prefix = json.dumps(head)[:-1] + ', "files": ['
entry = '{"path":"l%07d","type":"symlink","mode":"0777","target":"t%s"}'
pad = (limit - len(prefix) - 4 - n * (len(entry % (0, "")) + 1)) // n
target = "t" * pad
text = (prefix + ",".join(entry % (i, target) for i in range(n)) + "]}").encode()
assert len(text) <= limit, len(text)
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
    ti = tarfile.TarInfo("slipway-manifest.json")
    ti.size = len(text)
    tf.addfile(ti, io.BytesIO(text))
open(sys.argv[1], "wb").write(subprocess.run(["zstd", "-q", "-c", "-3"], input=buf.getvalue(),
                                             check=True, stdout=subprocess.PIPE).stdout)
print("manifest: %d bytes, %d entries, targets of %d bytes" % (len(text), n, pad + 1))
PY
python3 - "$SLIPWAY" manifest.tar.zst <<'PY'
import os, subprocess, sys, time
t = time.monotonic()
p = subprocess.Popen([sys.argv[1], "inspect", sys.argv[2]], stdout=subprocess.DEVNULL,
                     stderr=subprocess.PIPE)
err = p.stderr.read().decode(errors="replace").strip()
_, status, ru = os.wait4(p.pid, 0)
wall = time.monotonic() - t
rc = os.waitstatus_to_exitcode(status)
if rc not in (0, 1) or "entries" not in err:
    sys.exit("inspect failed (exit %d): %s" % (rc, err))
mb = ru.ru_maxrss / 1024
print("%-40s %7.2f s  peak RSS %6.0f MiB" % ("slipway inspect (64 MiB manifest)", wall, mb))
print("ratio memory  peak RSS / manifest size:  %.2f" % (mb / 64))
PY
