#!/usr/bin/env python3
"""Signed-document envelopes (specs/trust.md) built and taken apart without slipway, so that
stock minisign signs and judges them.

    envelope_tool.py split ENVELOPE_LINE_FILE DIR
        writes DIR/pae (the bytes every signature signs: DSSE's PAE of payloadType and
        payload), DIR/payload, and DIR/sig.N (each signature as a minisign signature file)
    envelope_tool.py pae TYPE PAYLOAD_FILE OUT
        writes PAE(TYPE, payload) to OUT
    envelope_tool.py make TYPE PAYLOAD_FILE OUT [SIGFILE...]
        writes one envelope line: the payload as given (byte for byte) and each minisign
        signature file (made by `minisign -S -m pae`) in the order given
"""
import base64
import json
import re
import sys


def pae(ptype, payload):
    t = ptype.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def keyid_of(sig_text):
    raw = base64.b64decode(sig_text.splitlines()[1])
    return "%016X" % int.from_bytes(raw[2:10], "little")


def main():
    cmd = sys.argv[1]
    if cmd == "split":
        env = json.loads(open(sys.argv[2], "rb").read())
        payload = base64.b64decode(env["payload"])
        d = sys.argv[3]
        open(d + "/payload", "wb").write(payload)
        open(d + "/pae", "wb").write(pae(env["payloadType"], payload))
        for i, s in enumerate(env["signatures"]):
            open("%s/sig.%d" % (d, i), "wb").write(base64.b64decode(s["sig"]))
        print(len(env["signatures"]))
    elif cmd == "pae":
        open(sys.argv[4], "wb").write(pae(sys.argv[2], open(sys.argv[3], "rb").read()))
    elif cmd == "make":
        ptype, payload = sys.argv[2], open(sys.argv[3], "rb").read()
        sigs = []
        for f in sys.argv[5:]:
            text = open(f).read()
            sigs.append('{"keyid":"%s","sig":"%s"}'
                        % (keyid_of(text), base64.b64encode(text.encode()).decode()))
        line = '{"payload":"%s","payloadType":"%s","signatures":[%s]}\n' % (
            base64.b64encode(payload).decode(), ptype, ",".join(sigs))
        open(sys.argv[4], "w").write(line)
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
