#!/usr/bin/env python3
"""Generate Trent's view of AWS KMS from botocore's KMS service model.

The botocore model is the authoritative shape of every KMS operation (members, required,
lengths, enums, patterns, sensitivity). Two files come out of it:

- src/protocol/kms-model.generated.ts: the data request validation and the operation registry
  run on: each operation's input and output shape, and every shape they reach (type, required,
  min, max, enum, pattern, sensitive). Documentation strings are dropped.
- src/kms-types.generated.ts: a TypeScript type per shape, and `KmsOperations`, the input and
  output type of every operation by name, so handlers are typed from the same model that
  validates their input. Blobs are Buffers, timestamps numbers (epoch seconds on the wire).

The newest AWS API has grown values that botocore 1.43 does not list yet (the post-quantum
ML-KEM specs of @aws-sdk/client-kms); they are added from the OVERLAY tables below, each with
its source.

Run: python3 scripts/gen-model.py   (then commit the generated files)
"""
import json
import os

import botocore.session

# Enum values present in the newest @aws-sdk/client-kms (models_0 and enums: DataKeyPairSpec,
# KeySpec, KeyUsageType) but not yet in botocore's model.
OVERLAY_ENUMS = {
    "DataKeyPairSpec": ["ML_KEM_512", "ML_KEM_768", "ML_KEM_1024"],
    "KeySpec": ["ML_KEM_512", "ML_KEM_768", "ML_KEM_1024"],
    "KeyUsageType": ["ENCAPSULATE_DECAPSULATE"],
    # Grants for ML-KEM keys (GrantOperation in @aws-sdk/client-kms's enums).
    "GrantOperation": ["Encapsulate", "Decapsulate"],
}

# Shapes and members of the newest @aws-sdk/client-kms that botocore lacks: ML-KEM keys list
# their EncapsulationAlgorithms in KeyMetadata and GetPublicKeyResponse.
OVERLAY_SHAPES = {
    "EncapsulationAlgorithmSpec": {"type": "string", "enum": ["ML_KEM"]},
    "EncapsulationAlgorithmSpecList": {"type": "list", "member": {"shape": "EncapsulationAlgorithmSpec"}},
}
# Service-principal grants and the SourceArn grant constraint (@aws-sdk/client-kms models_0 and
# schemas_0: CreateGrantRequest, GrantListEntry, GrantConstraints, ListGrantsRequest,
# ListRetirableGrantsRequest). The SDK carries no length or pattern for them: service principals
# take the shape of the principals beside them, SourceArn that of the model's other ARNs.
OVERLAY_MEMBERS = {
    "KeyMetadata": {"EncapsulationAlgorithms": "EncapsulationAlgorithmSpecList"},
    "GetPublicKeyResponse": {"EncapsulationAlgorithms": "EncapsulationAlgorithmSpecList"},
    "CreateGrantRequest": {"GranteeServicePrincipal": "PrincipalIdType", "RetiringServicePrincipal": "PrincipalIdType"},
    "GrantListEntry": {"GranteeServicePrincipal": "PrincipalIdType", "RetiringServicePrincipal": "PrincipalIdType"},
    "GrantConstraints": {"SourceArn": "ArnType"},
    "ListGrantsRequest": {"GranteeServicePrincipal": "PrincipalIdType"},
    "ListRetirableGrantsRequest": {"RetiringServicePrincipal": "PrincipalIdType"},
}
# Members the newest API no longer requires (one of them or its service-principal sibling is).
OVERLAY_OPTIONAL = {
    "CreateGrantRequest": ["GranteePrincipal"],
    "ListRetirableGrantsRequest": ["RetiringPrincipal"],
}

# Operations of the newest @aws-sdk/client-kms (EncapsulateCommand, DecapsulateCommand) that
# botocore does not model yet, with their shapes from the SDK (models_0.d.ts and schemas_0.js:
# EncapsulateRequest/Response, DecapsulateRequest/Response). The SDK gives members, required and
# sensitivity but no lengths: SharedSecret takes PlaintextType (sensitive, as the SDK marks it),
# SharedSecretCiphertextBlob CiphertextType (1568 bytes at most, for ML_KEM_1024), and the rest
# the shapes the same members have in the operations botocore knows.
OVERLAY_OPERATIONS = {
    "Encapsulate": {"input": "EncapsulateRequest", "output": "EncapsulateResponse"},
    "Decapsulate": {"input": "DecapsulateRequest", "output": "DecapsulateResponse"},
}
OVERLAY_OPERATION_SHAPES = {
    "EncapsulateRequest": {
        "type": "structure",
        "required": ["KeyId", "EncapsulationAlgorithm"],
        "members": {
            "KeyId": {"shape": "KeyIdType"},
            "EncapsulationAlgorithm": {"shape": "EncapsulationAlgorithmSpec"},
            "GrantTokens": {"shape": "GrantTokenList"},
            "DryRun": {"shape": "NullableBooleanType"},
        },
    },
    "EncapsulateResponse": {
        "type": "structure",
        "members": {
            "KeyId": {"shape": "KeyIdType"},
            "SharedSecret": {"shape": "PlaintextType"},
            "SharedSecretCiphertextBlob": {"shape": "CiphertextType"},
            "EncapsulationAlgorithm": {"shape": "EncapsulationAlgorithmSpec"},
        },
    },
    "DecapsulateRequest": {
        "type": "structure",
        "required": ["KeyId", "SharedSecretCiphertextBlob", "EncapsulationAlgorithm"],
        "members": {
            "KeyId": {"shape": "KeyIdType"},
            "SharedSecretCiphertextBlob": {"shape": "CiphertextType"},
            "EncapsulationAlgorithm": {"shape": "EncapsulationAlgorithmSpec"},
            "GrantTokens": {"shape": "GrantTokenList"},
            "DryRun": {"shape": "NullableBooleanType"},
        },
    },
    "DecapsulateResponse": {
        "type": "structure",
        "members": {
            "KeyId": {"shape": "KeyIdType"},
            "SharedSecret": {"shape": "PlaintextType"},
            "EncapsulationAlgorithm": {"shape": "EncapsulationAlgorithmSpec"},
        },
    },
}
NOT_MODELLED = "OperationNotModelledYet"

KEEP = ("type", "required", "min", "max", "enum", "pattern", "sensitive")
ROOT = os.path.join(os.path.dirname(__file__), "..")


def load_model() -> dict:
    loader = botocore.session.get_session().get_component("data_loader")
    model = loader.load_service_model("kms", "service-2")
    shapes = model["shapes"]
    for name, shape in {**OVERLAY_SHAPES, **OVERLAY_OPERATION_SHAPES}.items():
        shapes.setdefault(name, shape)
    for name, io in OVERLAY_OPERATIONS.items():
        model["operations"].setdefault(name, {"name": name, "input": {"shape": io["input"]}, "output": {"shape": io["output"]}})
    for name, values in OVERLAY_ENUMS.items():
        shapes[name]["enum"] = list(shapes[name]["enum"]) + [v for v in values if v not in shapes[name]["enum"]]
    for name, members in OVERLAY_MEMBERS.items():
        for member, shape in members.items():
            shapes[name]["members"].setdefault(member, {"shape": shape})
    for name, members in OVERLAY_OPTIONAL.items():
        shapes[name]["required"] = [m for m in shapes[name].get("required", []) if m not in members]
    return model


def reachable(model: dict) -> tuple[dict, dict]:
    """The operations (input and output shape names) and every shape they reach."""
    shapes = model["shapes"]
    out_shapes: dict = {}

    def visit(name: str) -> None:
        if name in out_shapes:
            return
        src = shapes[name]
        shape = {k: src[k] for k in KEEP if k in src}
        out_shapes[name] = shape
        if src["type"] == "structure":
            shape["members"] = {m: spec["shape"] for m, spec in src["members"].items()}
            for spec in src["members"].values():
                visit(spec["shape"])
        elif src["type"] == "list":
            shape["member"] = src["member"]["shape"]
            visit(src["member"]["shape"])
        elif src["type"] == "map":
            shape["key"] = src["key"]["shape"]
            shape["value"] = src["value"]["shape"]
            visit(src["key"]["shape"])
            visit(src["value"]["shape"])

    operations = {}
    for op_name in sorted(model["operations"]):
        op = model["operations"][op_name]
        entry = {"input": op["input"]["shape"] if "input" in op else NOT_MODELLED}
        if "output" in op:
            entry["output"] = op["output"]["shape"]
        operations[op_name] = entry
        for role in ("input", "output"):
            if role in op:
                visit(op[role]["shape"])
    out_shapes[NOT_MODELLED] = {"type": "structure", "members": {}}
    return operations, dict(sorted(out_shapes.items()))


def ts_type(name: str, shapes: dict) -> str:
    """The TypeScript type of a member whose shape is `name`."""
    shape = shapes[name]
    kind = shape["type"]
    if kind == "structure":
        return name
    if kind == "list":
        return f"{ts_type(shape['member'], shapes)}[]"
    if kind == "map":
        return f"Record<string, {ts_type(shape['value'], shapes)}>"
    if kind == "string":
        return name if "enum" in shape else "string"
    if kind == "blob":
        return "Buffer"
    if kind in ("integer", "long", "timestamp"):
        return "number"
    if kind == "boolean":
        return "boolean"
    raise ValueError(f"unknown shape type {kind}")


def write_types(operations: dict, shapes: dict, api_version: str) -> None:
    lines = [
        f"// Generated by scripts/gen-model.py from botocore's KMS service model (apiVersion {api_version}). Do not edit.",
        "//",
        "// The input and output of every KMS operation as TypeScript types. Inputs are what request",
        "// validation (src/protocol/validate.ts) guarantees: required members present, enums and lengths",
        "// checked, blobs decoded to Buffers. Timestamps are epoch seconds, as on the wire.",
        "",
    ]
    for name, shape in shapes.items():
        if shape["type"] == "string" and "enum" in shape:
            values = " | ".join(json.dumps(v) for v in shape["enum"])
            lines.append(f"export type {name} = {values};")
        elif shape["type"] == "structure":
            if not shape["members"]:
                lines.append(f"export type {name} = Record<string, never>;")
                continue
            required = set(shape.get("required", []))
            lines.append(f"export interface {name} {{")
            for member, member_shape in shape["members"].items():
                optional = "" if member in required else "?"
                lines.append(f"  {member}{optional}: {ts_type(member_shape, shapes)};")
            lines.append("}")
    lines.append("")
    lines.append("/** The output of an operation that answers with an empty JSON object. */")
    lines.append("export type NoOutput = Record<string, never>;")
    lines.append("")
    lines.append("/** Each operation's input and output type, by operation name. */")
    lines.append("export interface KmsOperations {")
    for op_name, entry in operations.items():
        output = entry.get("output", "NoOutput" if entry["input"] != NOT_MODELLED else NOT_MODELLED)
        lines.append(f"  {op_name}: {{ input: {entry['input']}; output: {output} }};")
    lines.append("}")
    lines.append("")
    lines.append("export type OperationName = keyof KmsOperations;")
    with open(os.path.join(ROOT, "src", "kms-types.generated.ts"), "w") as f:
        f.write("\n".join(lines) + "\n")


def write_model(operations: dict, shapes: dict, api_version: str) -> None:
    with open(os.path.join(ROOT, "src", "protocol", "kms-model.generated.ts"), "w") as f:
        f.write(f"// Generated by scripts/gen-model.py from botocore's KMS service model (apiVersion {api_version}). Do not edit.\n")
        f.write("import type { ServiceModel } from './shapes.js';\n\n")
        body = json.dumps({"operations": operations, "shapes": shapes}, indent=2)
        f.write(f"export const kmsModel: ServiceModel = {body};\n")


def main() -> None:
    model = load_model()
    operations, shapes = reachable(model)
    api_version = model["metadata"]["apiVersion"]
    write_model(operations, shapes, api_version)
    write_types(operations, shapes, api_version)


if __name__ == "__main__":
    main()
