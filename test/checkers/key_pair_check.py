#!/usr/bin/env python3
"""Independent check that data key pairs match: each private key yields its public key.

Usage: key_pair_check.py < PAIRS.json
Reads a JSON list of {"name", "publicKey", "privateKey"} (base64 DER SubjectPublicKeyInfo and
PKCS#8). For each pair it loads the private key with Python's `cryptography`, derives its public
key and compares the DER with the one given; a key `cryptography` cannot load (SM2) goes to the
openssl CLI instead (`openssl pkey -pubout`). Prints a JSON object: name -> {"kind", "checker",
"matches"} where kind names the algorithm and size the private key turned out to be, so the
caller can tell an RSA_2048 pair from an RSA_4096 one. ML-KEM-512 is not in `cryptography` 48:
its kind is "unsupported" and the caller checks it another way.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mlkem, rsa

DER = serialization.Encoding.DER
SPKI = serialization.PublicFormat.SubjectPublicKeyInfo


def kind_of(private_key) -> str:
    if isinstance(private_key, rsa.RSAPrivateKey):
        return f"rsa-{private_key.key_size}"
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return f"ec-{private_key.curve.name}"
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(private_key, mlkem.MLKEM768PrivateKey):
        return "ml-kem-768"
    if isinstance(private_key, mlkem.MLKEM1024PrivateKey):
        return "ml-kem-1024"
    return type(private_key).__name__


def with_openssl(private_der: bytes, public_der: bytes) -> dict:
    """Derives the public key with the openssl CLI; its text form names the curve."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "private.der")
        with open(path, "wb") as file:
            file.write(private_der)
        derived = subprocess.run(
            ["openssl", "pkey", "-inform", "DER", "-in", path, "-pubout", "-outform", "DER"],
            capture_output=True, check=True,
        ).stdout
        text = subprocess.run(
            ["openssl", "pkey", "-inform", "DER", "-in", path, "-noout", "-text"],
            capture_output=True, check=True, text=True,
        ).stdout
    curve = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.strip().startswith("ASN1 OID:")), "?")
    return {"kind": f"ec-{curve}", "checker": "openssl", "matches": derived == public_der}


def check(pair: dict) -> dict:
    public_der = base64.b64decode(pair["publicKey"])
    private_der = base64.b64decode(pair["privateKey"])
    try:
        private_key = serialization.load_der_private_key(private_der, password=None)
    except (UnsupportedAlgorithm, ValueError) as error:
        try:
            return with_openssl(private_der, public_der)
        except subprocess.CalledProcessError:
            return {"kind": "unsupported", "checker": "none", "matches": False, "reason": str(error)}
    derived = private_key.public_key().public_bytes(DER, SPKI)
    return {"kind": kind_of(private_key), "checker": "cryptography", "matches": derived == public_der}


def main() -> None:
    pairs = json.load(sys.stdin)
    print(json.dumps({pair["name"]: check(pair) for pair in pairs}))


if __name__ == "__main__":
    main()
