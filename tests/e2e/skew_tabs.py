"""Browser tabs across a switch, for switch_load.py --tabs (bench_skew.sh): what a tab keeps
of the example app's /notes page (its hidden form fields, its chunk URLs with ?dpl=, the
release's action id and the release the page shows), and what it does after the switch: the form post without
JavaScript, the Server Action call, a navigation fetch, every chunk, and a stream (SSE)
started before the switch. Each note carries a tag of its own, so notes.log (the app writes
one line per action run, in ROOT/shared/) tells whether each ran exactly once.

Blocking code (http.client): switch_load.py runs it in threads.
"""
import html.parser
import http.client
import json
import os
import re
import threading
import uuid

ASSET = re.compile(r'(/_next/static/[^"\'\s<>\\]+)')


class Fields(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden":
            self.fields.append((a["name"], a.get("value") or ""))


def request(port, method, path, headers=None, body=None, timeout=10):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def release_file(root, version, rel):
    return os.path.join(root, "releases", version, ".next", "standalone", ".next", rel)


class Tab:
    """/notes as release `version` of the store at `root` served it just now."""

    def __init__(self, port, root, version):
        self.port, self.root, self.version = port, root, version
        status, _, body = request(port, "GET", "/notes")
        if status != 200:
            raise RuntimeError(f"/notes answered {status}")
        page = body.decode()
        p = Fields()
        p.feed(page)
        self.fields = p.fields
        self.assets = sorted(set(a.replace("&amp;", "&") for a in ASSET.findall(page)))
        with open(release_file(root, version, "server/server-reference-manifest.json")) as f:
            m = json.load(f)
        self.action = [k for k, v in m["node"].items() if v["exportedName"] == "saveNoteText"][0]
        with open(release_file(root, version, "required-server-files.json")) as f:
            self.deployment = json.load(f)["config"].get("deploymentId") or ""
        self.stream = None
        m = re.search(r'id="release">([^<]*)<', page)  # the page's release (APP_RELEASE)
        self.release = m.group(1) if m else ""

    def start_stream(self, events=20, gap_ms=100):
        """An SSE answer of events * gap_ms, read in a thread; stream_result() joins it."""
        out = {}

        def read():
            try:
                _, _, body = request(self.port, "GET", f"/api/stream?n={events}&ms={gap_ms}",
                                     timeout=events * gap_ms / 1000 + 30)
                out["body"] = body.decode(errors="replace")
            except Exception as e:  # noqa: BLE001: any failure is a cut stream
                out["error"] = f"{type(e).__name__}: {e}"

        t = threading.Thread(target=read, daemon=True)
        t.start()
        self.stream = (t, out, events)

    def stream_result(self):
        """None when the stream arrived whole, else what went wrong."""
        t, out, events = self.stream
        t.join()
        if "error" in out:
            return out["error"]
        body = out["body"]
        got = len(re.findall(r"^data: \d+ ", body, re.M))
        if got != events or "event: end" not in body:
            return f"{got} of {events} events, end {'event: end' in body}"
        return None

    def act(self, tag):
        """Everything the tab does after the switch. Returns (failures, tags of the notes
        that must be in notes.log exactly once)."""
        bad = []
        for a in self.assets:
            try:
                status, _, body = request(self.port, "GET", a)
            except OSError as e:
                bad.append(f"asset {a}: {e}")
                continue
            path = a.split("?")[0][len("/_next/static/"):]
            if status != 200:
                bad.append(f"asset {a}: {status}")
            else:
                with open(release_file(self.root, self.version, "static/" + path), "rb") as f:
                    if f.read() != body:
                        bad.append(f"asset {a}: other bytes")
        form_tag, call_tag = f"{tag}-form-{uuid.uuid4().hex[:8]}", f"{tag}-call-{uuid.uuid4().hex[:8]}"
        boundary = uuid.uuid4().hex
        parts = self.fields + [("note", form_tag)]
        body = "".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{n}\"\r\n\r\n{v}\r\n"
                       for n, v in parts) + f"--{boundary}--\r\n"
        status, _, out = request(self.port, "POST", "/notes",
                                 {"Content-Type": f"multipart/form-data; boundary={boundary}"},
                                 body.encode())
        if status != 200:
            bad.append(f"form post: {status} {out[:120]!r}")
        headers = {"Next-Action": self.action, "Accept": "text/x-component",
                   "Content-Type": "text/plain;charset=UTF-8"}
        if self.deployment:
            headers["x-deployment-id"] = self.deployment
        status, _, out = request(self.port, "POST", "/notes", headers, json.dumps([call_tag]).encode())
        if status != 200 or b"saved by" not in out:
            bad.append(f"action call: {status} {out[:120]!r}")
        headers = {"RSC": "1"}
        if self.deployment:
            headers["x-deployment-id"] = self.deployment
        status, h, out = request(self.port, "GET", "/notes?_rsc=tab", headers)
        if status in (307, 308) and h.get("location", "").startswith("/"):
            # Next 16: a _rsc that is not the hash of the router headers; fetch follows it.
            status, h, out = request(self.port, "GET", h["location"], headers)
        if (status != 200 or not h.get("content-type", "").startswith("text/x-component")
                or f'"id":"release","children":"{self.release}"'.encode() not in out):
            bad.append(f"navigation: {status} {h.get('content-type')}, not {self.version}'s build")
        return bad, [form_tag, call_tag]


def count_notes(notes_log, tags):
    """{tag: times it is in notes.log}."""
    counts = {t: 0 for t in tags}
    try:
        with open(notes_log) as f:
            for line in f:
                words = line.split()
                if len(words) >= 3 and words[2] in counts:
                    counts[words[2]] += 1
    except FileNotFoundError:
        pass
    return counts
