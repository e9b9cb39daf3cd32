#!/usr/bin/env python3
"""An independent signer of Nitro-format attestation documents, with Python's `cryptography`.

Usage: nitro_document.py < request.json
Request: {"public_key": base64 DER SPKI or null, "timestamp": ms, "pcrs": {"0": hex, ...},
"kind": "enclave" | "tpm"}. Makes its own P-384 root, intermediate and leaf (X.509 v3, ECDSA
SHA-384, the leaf valid three hours from the timestamp) and prints JSON {"document": base64 of
the untagged COSE_Sign1, "root_pem": the root certificate}. Nothing here comes from Trent: the
CBOR encoder is written out below (RFC 8949 section 3, definite lengths) and the signature is
COSE's ES384 (RFC 9052 section 4.4, RFC 9053 section 2.1: r || s over the Sig_structure).
"""
import base64
import datetime
import json
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.x509.oid import NameOID


def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, "big")
    raise ValueError("too large")


def cbor(value):
    if value is None:
        return b"\xf6"
    if isinstance(value, bool):
        raise TypeError("no booleans here")
    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, bytes):
        return head(2, len(value)) + value
    if isinstance(value, str):
        data = value.encode("utf-8")
        return head(3, len(data)) + data
    if isinstance(value, list):
        return head(4, len(value)) + b"".join(cbor(v) for v in value)
    if isinstance(value, dict):
        return head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(type(value))


def certificate(subject, issuer, public_key, signing_key, not_before, not_after, ca):
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(signing_key, hashes.SHA384())


def main():
    request = json.load(sys.stdin)
    timestamp = int(request["timestamp"])
    when = datetime.datetime.fromtimestamp(timestamp / 1000, datetime.timezone.utc)
    hour = datetime.timedelta(hours=1)
    root_key = ec.generate_private_key(ec.SECP384R1())
    middle_key = ec.generate_private_key(ec.SECP384R1())
    leaf_key = ec.generate_private_key(ec.SECP384R1())
    root = certificate("python test root", "python test root", root_key.public_key(), root_key, when - 24 * hour, when + 24 * 365 * hour, True)
    middle = certificate("python test intermediate", "python test root", middle_key.public_key(), root_key, when - 24 * hour, when + 24 * 30 * hour, True)
    leaf = certificate("python test leaf", "python test intermediate", leaf_key.public_key(), middle_key, when - datetime.timedelta(minutes=1), when + 3 * hour, False)
    der = lambda c: c.public_bytes(serialization.Encoding.DER)  # noqa: E731
    pcrs = {int(k): bytes.fromhex(v) for k, v in request["pcrs"].items()}
    public_key = request.get("public_key")
    payload = {
        "module_id": "i-0123456789abcdef0-" + ("tpm" if request.get("kind") == "tpm" else "enc") + "0123456789abcdef",
        "digest": "SHA384",
        "timestamp": timestamp,
        ("nitrotpm_pcrs" if request.get("kind") == "tpm" else "pcrs"): pcrs,
        "certificate": der(leaf),
        "cabundle": [der(root), der(middle)],
        "public_key": base64.b64decode(public_key) if public_key else None,
        "user_data": None,
        "nonce": None,
    }
    protected = cbor({1: -35})
    encoded_payload = cbor(payload)
    to_sign = cbor(["Signature1", protected, b"", encoded_payload])
    r, s = utils.decode_dss_signature(leaf_key.sign(to_sign, ec.ECDSA(hashes.SHA384())))
    signature = r.to_bytes(48, "big") + s.to_bytes(48, "big")
    document = cbor([protected, {}, encoded_payload, signature])
    json.dump({"document": base64.b64encode(document).decode(), "root_pem": root.public_bytes(serialization.Encoding.PEM).decode()}, sys.stdout)


if __name__ == "__main__":
    main()
