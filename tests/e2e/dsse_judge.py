#!/usr/bin/env python3
"""Judges a DSSE envelope line with Debian's python3-securesystemslib (Ed25519), not slipway.

    dsse_judge.py verify ENVELOPE PUBFILE      exit 0 when a signature by PUBFILE's key verifies
    dsse_judge.py sign PAYLOAD_FILE SECFILE OUT [TYPE]
                                               writes an envelope of PAYLOAD signed by SECFILE
                                               (an unencrypted minisign secret key: TEST KEYS)

Debian 12's securesystemslib 0.26 has no DSSE envelope class, so PAE is computed here as the
DSSE specification defines it; the signature itself is judged (or made) by securesystemslib's
Ed25519 code (securesystemslib.signer.SSlibKey). `sign` crafts hostile test input with
pyca/cryptography, the library that verifier itself uses.
"""
import base64
import json
import sys

sys.path.insert(0, "/usr/lib/python3/dist-packages")  # Debian's package, whatever python runs
from securesystemslib.signer import Signature, SSlibKey  # noqa: E402

TYPE = "application/vnd.in-toto+json"


def pae(ptype, payload):
    t = ptype.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def minisign_pub(path):
    raw = base64.b64decode(open(path).read().splitlines()[1])
    return "%016X" % int.from_bytes(raw[2:10], "little"), raw[10:42]


def main():
    if sys.argv[1] == "verify":
        env = json.loads(open(sys.argv[2]).read())
        keyid, pub = minisign_pub(sys.argv[3])
        key = SSlibKey(keyid, "ed25519", "ed25519", {"public": pub.hex()})
        data = pae(env["payloadType"], base64.b64decode(env["payload"]))
        for s in env["signatures"]:
            if s["keyid"] != keyid:
                continue
            try:
                key.verify_signature(Signature(keyid, base64.b64decode(s["sig"]).hex()), data)
                print("verified by securesystemslib")
                return 0
            except Exception as e:  # the library's own verdict
                print("refused:", e)
        return 1
    if sys.argv[1] == "sign":
        payload = open(sys.argv[2], "rb").read()
        raw = base64.b64decode(open(sys.argv[3]).read().splitlines()[1])
        keyid = "%016X" % int.from_bytes(raw[54:62], "little")
        seed = raw[62:94]
        ptype = sys.argv[5] if len(sys.argv) > 5 else TYPE
        # Crafting test input only (securesystemslib signs with PyNaCl, not in Debian's
        # dependencies): the same pyca/cryptography its verifier uses.
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        sig = Ed25519PrivateKey.from_private_bytes(seed).sign(pae(ptype, payload))
        env = {"payload": base64.b64encode(payload).decode(), "payloadType": ptype,
               "signatures": [{"keyid": keyid, "sig": base64.b64encode(sig).decode()}]}
        open(sys.argv[4], "w").write(json.dumps(env, separators=(",", ":")) + "\n")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
