#!/usr/bin/env python3
"""Independent verification of KMS signatures with Python's `cryptography` (OpenSSL 4).

Usage: signature_check.py < cases.json
Reads a JSON list of cases {"spki", "algorithm", "messageType", "message", "signature"} (blobs in
base64; for EXTERNAL_MU, "message" is the message whose mu was signed) and prints a JSON list of
booleans: whether each signature verifies against the public key, as AWS KMS defines the
algorithm. RSASSA-PSS: MGF1 with the message hash, salt as long as the digest. ECDSA: DER.
Ed25519ph (ED25519_PH_SHA_512 over a DIGEST, which KMS hashes again) is checked with the
reference verification of RFC 8032 §6, written out below since `cryptography` has no Ed25519ph;
its own self-test against RFC 8032 §7.3 runs first. ML-DSA: pure ML-DSA with an empty context
(FIPS 204); an EXTERNAL_MU signature is checked as the pure signature of the original message.
"""
import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

HASHES = {"SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384, "SHA_512": hashes.SHA512}

# ---- RFC 8032 §6 reference code (Ed25519), with the dom2 prefix of Ed25519ph (§5.1) ----------
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def point_add(a, b):
    A = (a[1] - a[0]) * (b[1] - b[0]) % P
    B = (a[1] + a[0]) * (b[1] + b[0]) % P
    C = 2 * a[3] * b[3] * D % P
    Dd = 2 * a[2] * b[2] % P
    E, F, G, H = B - A, Dd - C, Dd + C, B + A
    return (E * F % P, G * H % P, F * G % P, E * H % P)


def point_mul(s, p):
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = point_add(q, p)
        p = point_add(p, p)
        s >>= 1
    return q


def point_equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P)
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


G_Y = 4 * pow(5, P - 2, P) % P
G = (recover_x(G_Y, 0), G_Y, 1, recover_x(G_Y, 0) * G_Y % P)


def point_decompress(s):
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


def ed25519ph_verify(public, message, signature):
    """RFC 8032 §5.1.7 with PH = SHA-512 and dom2(1, "")."""
    if len(public) != 32 or len(signature) != 64:
        return False
    A = point_decompress(public)
    R = point_decompress(signature[:32])
    if A is None or R is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    dom2 = b"SigEd25519 no Ed25519 collisions" + bytes([1, 0])
    ph = hashlib.sha512(message).digest()
    h = int.from_bytes(hashlib.sha512(dom2 + signature[:32] + public + ph).digest(), "little") % L
    return point_equal(point_mul(s, G), point_add(R, point_mul(h, A)))


def self_test():
    # RFC 8032 §7.3, test 1 (Ed25519ph, message "abc").
    public = bytes.fromhex("ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf")
    signature = bytes.fromhex(
        "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41"
        "31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406"
    )
    assert ed25519ph_verify(public, b"abc", signature), "RFC 8032 7.3 vector"
    assert not ed25519ph_verify(public, b"abd", signature), "RFC 8032 7.3 vector, altered"


# ---- the KMS algorithms ---------------------------------------------------------------------
def check(case):
    key = serialization.load_der_public_key(base64.b64decode(case["spki"]))
    algorithm = case["algorithm"]
    digest = case["messageType"] == "DIGEST"
    message = base64.b64decode(case["message"])
    signature = base64.b64decode(case["signature"])
    try:
        if algorithm.startswith("RSASSA_PSS_") or algorithm.startswith("RSASSA_PKCS1_V1_5_"):
            h = HASHES[algorithm[-7:]]()
            pad = (
                padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size)
                if algorithm.startswith("RSASSA_PSS_")
                else padding.PKCS1v15()
            )
            key.verify(signature, message, pad, utils.Prehashed(h) if digest else h)
        elif algorithm.startswith("ECDSA_"):
            h = HASHES[algorithm[-7:]]()
            key.verify(signature, message, ec.ECDSA(utils.Prehashed(h) if digest else h))
        elif algorithm == "ED25519_SHA_512":
            key.verify(signature, message)
        elif algorithm == "ED25519_PH_SHA_512":
            raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return ed25519ph_verify(raw, message, signature)
        elif algorithm == "ML_DSA_SHAKE_256":
            key.verify(signature, message)
        else:
            raise ValueError(f"unknown algorithm {algorithm}")
        return True
    except InvalidSignature:
        return False


def main():
    self_test()
    print(json.dumps([check(case) for case in json.load(sys.stdin)]))


if __name__ == "__main__":
    main()
