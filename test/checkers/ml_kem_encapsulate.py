#!/usr/bin/env python3
"""Encapsulates to an ML-KEM public key with Python's `cryptography` (OpenSSL 4).

Usage: ml_kem_encapsulate.py PUBLIC.der
Loads the DER SubjectPublicKeyInfo (ML-KEM-768 or ML-KEM-1024) and prints a JSON object with
the ciphertext and the shared secret, both base64, for the holder of the private key to match.
"""
import base64
import json
import sys

from cryptography.hazmat.primitives import serialization


def main() -> None:
    public_key = serialization.load_der_public_key(open(sys.argv[1], "rb").read())
    secret, ciphertext = public_key.encapsulate()
    print(json.dumps({
        "type": type(public_key).__name__,
        "ciphertext": base64.b64encode(ciphertext).decode(),
        "sharedSecret": base64.b64encode(secret).decode(),
    }))


if __name__ == "__main__":
    main()
