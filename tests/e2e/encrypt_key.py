#!/usr/bin/env python3
"""Re-encrypts an unencrypted minisign secret key (kdf = two zero bytes) with scrypt under
chosen opslimit/memlimit, using only Python's standard library (hashlib.scrypt,
hashlib.blake2b): an implementation independent of slipway's OpenSSL/libsodium code.

usage: encrypt_key.py IN.key OUT.key PASSWORD OPSLIMIT MEMLIMIT
N, r, p follow libsodium's pickparams() (specs/signature.md); stock minisign, which uses
libsodium itself, is the judge of whether that mapping is right.
"""
import base64
import hashlib
import os
import struct
import sys


def pickparams(ops, mem):
    ops = max(ops, 32768)
    r = 8
    if ops < mem // 32:
        p = 1
        maxn = ops // (r * 4)
    else:
        maxn = mem // (r * 128)
    n_log2 = 1
    while n_log2 < 63 and not (1 << n_log2) > maxn // 2:
        n_log2 += 1
    if not ops < mem // 32:
        maxrp = min((ops // 4) // (1 << n_log2), 0x3FFFFFFF)
        p = maxrp // r
    return 1 << n_log2, r, p


src, dst, password, ops, mem = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
lines = open(src).read().splitlines()
raw = bytearray(base64.b64decode(lines[1], validate=True))
assert len(raw) == 158 and raw[0:2] == b"Ed" and raw[2:4] == b"\0\0" and raw[4:6] == b"B2"
keyid, sk = raw[54:62], raw[62:126]
chk = hashlib.blake2b(b"Ed" + keyid + sk, digest_size=32).digest()
salt = os.urandom(32)
n, r, p = pickparams(ops, mem)
stream = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 << 20, dklen=104)
keynum = bytes(a ^ b for a, b in zip(keyid + sk + chk, stream))
out = b"Ed" + b"Sc" + b"B2" + salt + struct.pack("<QQ", ops, mem) + keynum
with open(dst, "w") as f:
    f.write("untrusted comment: TEST KEY (N=%d r=%d p=%d)\n%s\n" % (n, r, p, base64.b64encode(out).decode()))
print("N=%d r=%d p=%d" % (n, r, p))
