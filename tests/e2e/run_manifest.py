#!/usr/bin/env python3
"""Test helper for the t_run_* tests: writes slipway-manifest.json for a release directory
that a test built by hand, listing every file under it (format: specs/manifest.md).

    run_manifest.py DIR VERSION SERVICES_JSON [REQUIRED_SECRET...]

SERVICES_JSON is a JSON array of service objects; missing keys get defaults
(cwd "", env {}, port 0, ready "none", ready_timeout_ms 10000, stop_timeout_ms 5000).
"""
import hashlib
import json
import os
import sys


def main():
    root, version, services = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    required = sys.argv[4:]
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            if rel == "slipway-manifest.json":
                continue
            if os.path.islink(full):
                files.append({"path": rel, "type": "symlink", "mode": "0777",
                              "target": os.readlink(full)})
            elif os.path.isdir(full):
                files.append({"path": rel, "type": "dir", "mode": "0755"})
            else:
                data = open(full, "rb").read()
                mode = "0755" if os.stat(full).st_mode & 0o100 else "0644"
                files.append({"path": rel, "type": "file", "mode": mode, "size": len(data),
                              "sha256": hashlib.sha256(data).hexdigest()})
    files.sort(key=lambda f: f["path"].encode())
    for s in services:
        s.setdefault("cwd", "")
        s.setdefault("env", {})
        s.setdefault("port", 0)
        s.setdefault("ready", "none")
        if s["ready"] == "http":
            s.setdefault("ready_path", "/")
        s.setdefault("ready_timeout_ms", 10000)
        s.setdefault("stop_timeout_ms", 5000)
    manifest = {
        "format": 1, "app": "testapp", "version": version, "serial": 1, "commit": "",
        "dirty": False, "build_time": "2026-11-25T06:00:00Z", "slipway_version": "0.1.0",
        "secrets": {"required": required, "optional": []},
        "services": services, "files": files,
    }
    with open(os.path.join(root, "slipway-manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)


main()
