#!/usr/bin/env python3
"""Drives a KMS endpoint with boto3 and prints what came back, for a test to judge.

Usage: boto3_kms.py ENDPOINT_URL SUFFIX < SPECS.json
Runs the key life cycle, both data key pair operations for every spec given (with the private
key of each decrypted), a multi-Region key across two Regions, and the error paths. Every call is recorded under a label as
{"ok": response} or {"error": {"code", "message", "status", "modeled"}}, where "modeled" says
whether boto3 raised the error as the model's own exception class (kms.exceptions.X). Bytes are
printed as base64 and datetimes as ISO 8601, so the test sees what boto3 parsed. The caller runs
this with credentials and a region in the environment, as a user would.
"""
import base64
import datetime
import json
import sys

import boto3
import botocore.exceptions

ENDPOINT, SUFFIX = sys.argv[1], sys.argv[2]
SPECS = json.load(sys.stdin)
clients = {}
results = {}


def kms(region="us-east-1"):
    if region not in clients:
        clients[region] = boto3.client("kms", endpoint_url=ENDPOINT, region_name=region)
    return clients[region]


def plain(value):
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def call(label, operation, region="us-east-1", **params):
    client = kms(region)
    try:
        response = getattr(client, operation)(**params)
        results[label] = {"ok": plain(response)}
        return response
    except botocore.exceptions.ClientError as error:
        code = error.response["Error"]["Code"]
        modeled = getattr(client.exceptions, code, None)
        results[label] = {"error": {
            "code": code,
            "message": error.response["Error"]["Message"],
            "status": error.response["ResponseMetadata"]["HTTPStatusCode"],
            "modeled": modeled is not None and isinstance(error, modeled),
        }}
        return None


def life_cycle():
    key = call("create", "create_key", Description="made by boto3", Tags=[{"TagKey": "team", "TagValue": "infra"}])["KeyMetadata"]
    key_id, alias = key["KeyId"], f"alias/boto3-{SUFFIX}"
    listed = [k for page in kms().get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 5}) for k in page["Keys"]]
    results["list-keys (paginated)"] = {"ok": {"Keys": [k for k in listed if k["KeyId"] == key_id]}}
    call("create-alias", "create_alias", AliasName=alias, TargetKeyId=key_id)
    call("list-aliases", "list_aliases", KeyId=key_id)
    call("describe by alias", "describe_key", KeyId=alias)
    call("disable", "disable_key", KeyId=key["Arn"])
    call("describe disabled", "describe_key", KeyId=key_id)
    call("encrypt while disabled", "encrypt", KeyId=alias, Plaintext=b"x")
    call("enable", "enable_key", KeyId=key_id)
    call("schedule deletion", "schedule_key_deletion", KeyId=key_id, PendingWindowInDays=7)
    call("describe pending deletion", "describe_key", KeyId=key_id)
    call("cancel deletion", "cancel_key_deletion", KeyId=key_id)
    call("describe cancelled", "describe_key", KeyId=key_id)
    call("delete-alias", "delete_alias", AliasName=alias)
    call("describe deleted alias", "describe_key", KeyId=alias)


def pairs():
    keys = {}
    for spec in SPECS:
        region = "cn-north-1" if spec == "SM2" else "us-east-1"
        if region not in keys:
            keys[region] = call(f"pair key {region}", "create_key", region=region)["KeyMetadata"]["Arn"]
        context = {"purpose": "boto3-test", "spec": spec}
        made = call(f"{spec} GenerateDataKeyPair", "generate_data_key_pair", region=region, KeyId=keys[region], KeyPairSpec=spec, EncryptionContext=context)
        call(f"{spec} GenerateDataKeyPair decrypt", "decrypt", region=region, CiphertextBlob=made["PrivateKeyCiphertextBlob"], EncryptionContext=context)
        made = call(f"{spec} GenerateDataKeyPairWithoutPlaintext", "generate_data_key_pair_without_plaintext", region=region, KeyId=keys[region], KeyPairSpec=spec, EncryptionContext=context)
        call(f"{spec} GenerateDataKeyPairWithoutPlaintext decrypt", "decrypt", region=region, CiphertextBlob=made["PrivateKeyCiphertextBlob"], EncryptionContext=context)
        call(f"{spec} decrypt with another context", "decrypt", region=region, CiphertextBlob=made["PrivateKeyCiphertextBlob"], EncryptionContext={"purpose": "other"})


def multi_region():
    key = call("mrk create", "create_key", MultiRegion=True)["KeyMetadata"]
    key_id = key["KeyId"]
    blob = call("mrk encrypt", "encrypt", KeyId=key_id, Plaintext=b"from us-east-1", EncryptionContext={"via": "boto3"})["CiphertextBlob"]
    call("mrk replicate", "replicate_key", KeyId=key_id, ReplicaRegion="eu-west-1", Description="boto3 replica")
    call("mrk decrypt in eu-west-1", "decrypt", region="eu-west-1", CiphertextBlob=blob, EncryptionContext={"via": "boto3"})
    call("mrk replicate again", "replicate_key", KeyId=key_id, ReplicaRegion="eu-west-1")
    call("mrk replicate a replica", "replicate_key", region="eu-west-1", KeyId=key_id, ReplicaRegion="ap-south-1")
    call("mrk update primary region", "update_primary_region", KeyId=key_id, PrimaryRegion="eu-west-1")
    call("mrk describe in us-east-1", "describe_key", KeyId=key_id)


def errors():
    key_id = call("error key", "create_key")["KeyMetadata"]["KeyId"]
    call("describe unknown alias", "describe_key", KeyId="alias/no-such-alias")
    call("bad key pair spec", "generate_data_key_pair", KeyId=key_id, KeyPairSpec="RSA_1024")
    call("dry run", "generate_data_key_pair_without_plaintext", KeyId=key_id, KeyPairSpec="ECC_NIST_P256", DryRun=True)
    call("SM2 outside China", "generate_data_key_pair", KeyId=key_id, KeyPairSpec="SM2")


life_cycle()
pairs()
multi_region()
errors()
print(json.dumps(results))
