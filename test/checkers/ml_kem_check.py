#!/usr/bin/env python3
"""Independent check of an ML-KEM key pair with Python's `cryptography` (OpenSSL 4).

Usage: ml_kem_check.py PUBLIC.der PRIVATE.der
Loads the DER SubjectPublicKeyInfo and PKCS#8 (seed form), encapsulates to the public key,
decapsulates with the private key, and prints a JSON report. Exits non-zero on any failure.
"""
import json
import sys

from cryptography.hazmat.primitives import serialization


def main() -> None:
    public_der = open(sys.argv[1], "rb").read()
    private_der = open(sys.argv[2], "rb").read()
    public_key = serialization.load_der_public_key(public_der)
    private_key = serialization.load_der_private_key(private_der, password=None)
    secret, ciphertext = public_key.encapsulate()
    recovered = private_key.decapsulate(ciphertext)
    report = {
        "publicType": type(public_key).__name__,
        "privateType": type(private_key).__name__,
        "sharedSecretsMatch": secret == recovered,
        "sharedSecretLength": len(secret),
        "derivedPublicKeyMatches": private_key.public_key().public_bytes_raw() == public_key.public_bytes_raw(),
        # Re-encoding by OpenSSL must give back the same DER (seed form, no parameters).
        "publicDerRoundTrips": public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ) == public_der,
    }
    print(json.dumps(report))
    if not (report["sharedSecretsMatch"] and report["derivedPublicKeyMatches"]):
        sys.exit(1)


if __name__ == "__main__":
    main()
