#!/usr/bin/env python3
"""Independent opener of Trent's format-2 ciphertext blobs, written from the layout documented
at the top of src/crypto/envelope.ts, with Python's `cryptography` (not Trent's code).

Usage: envelope_open.py < REQUEST.json
Reads {"blob": base64, "materials": {name: hex key material}} (empty encryption context) and
prints a JSON object: {"version": the key material version the blob names, "opened": the name
of the material that authenticates and decrypts it, or null, "plaintext": base64 or null}.

  blob = 0x02 || key id (16) || version (u32 BE) || salt (16) || nonce (12) || tag (16) || ciphertext
  DEK  = HKDF-SHA-256(IKM = material, salt = salt, info = "trent envelope v2" || blob[0:21], L = 32)
  AES-256-GCM under DEK, AAD = blob[0:37] || canonical encryption context (u32 count 0 when empty)
"""
import base64
import json
import struct
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

EMPTY_CONTEXT = struct.pack(">I", 0)


def open_with(blob: bytes, material: bytes):
    header, salt, nonce, tag, body = blob[:21], blob[21:37], blob[37:49], blob[49:65], blob[65:]
    dek = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"trent envelope v2" + header).derive(material)
    try:
        return AESGCM(dek).decrypt(nonce, body + tag, blob[:37] + EMPTY_CONTEXT)
    except InvalidTag:
        return None


def main() -> None:
    request = json.load(sys.stdin)
    blob = base64.b64decode(request["blob"])
    if blob[0] != 0x02:
        raise SystemExit(f"not a format-2 blob: {blob[0]}")
    answer = {"version": struct.unpack(">I", blob[17:21])[0], "opened": None, "plaintext": None}
    for name, material in request["materials"].items():
        plaintext = open_with(blob, bytes.fromhex(material))
        if plaintext is not None:
            answer["opened"], answer["plaintext"] = name, base64.b64encode(plaintext).decode()
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
