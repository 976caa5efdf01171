"""The OpenAPI document of the HTTP surface, declared once and served by the adapter.

Every route the server answers is documented, with the bodies it accepts and
every status it can answer: the adapter declares its own REST routes with the
helpers here, and the Open Inference Protocol (`v2.py`) is declared here. The
schemas come from the same pydantic records and tensor facts the server
validates with, and are exact where JSON Schema can say it, so a schema-driven
fuzzer may treat the document as the truth (tests/test_fuzz.py). What JSON Schema
cannot say (each V2 input of the same length n) is stated in the description.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core.fields import FEATURES, Field
from ..core.predictor import ModelMetadata
from ..core.schemas import FeatureRecord
from ..settings import Settings
from .contract import PredictResponse
from .http_io import BINARY_MEDIA_TYPE, JSON_MEDIA_TYPE
from .tensors import ACCEPTED, INPUTS, NUMPY_TYPES, OUTPUTS, datatype_of
from .v2 import EXTENSIONS, HEADER_LENGTH

Schema = dict[str, Any]
REF = "#/components/schemas/{model}"
SCALAR: Schema = {"type": ["string", "number", "boolean"]}
_JSON_TYPES = {
    "float": "number",
    "int": "integer",
    "bool": "boolean",
    "category": "string",
    "text": "string",
}
METRICS_MEDIA_TYPE = "text/plain"


def ref(name: str) -> Schema:
    return {"$ref": REF.format(model=name)}


def obj(properties: dict[str, Schema], required: list[str] | None = None) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


def answer(description: str, schema: Schema, media_type: str = JSON_MEDIA_TYPE) -> Schema:
    return {"description": description, "content": {media_type: {"schema": schema}}}


def field_schema(spec: Field) -> Schema:
    """A record field's JSON schema (type, bounds, categories, null), from fields.py.

    Written from the same facts the server validates with, not from pydantic's
    schema, which drops the bounds of a nullable `Integer` on the floor.
    """
    schema: Schema = {"type": _JSON_TYPES[spec.kind]}
    if spec.minimum is not None:
        schema["exclusiveMinimum" if spec.exclusive_minimum else "minimum"] = spec.minimum
    if spec.maximum is not None:
        schema["exclusiveMaximum" if spec.exclusive_maximum else "maximum"] = spec.maximum
    if spec.categories:
        schema["enum"] = list(spec.categories)
    if spec.max_length is not None:
        schema["maxLength"] = spec.max_length
    if spec.nullable:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return {**schema, "description": spec.description} if spec.description else schema


def record_schema() -> Schema:
    """The feature record: every field, the nullable ones optional, nothing else."""
    return {
        "type": "object",
        "description": (FeatureRecord.__doc__ or "").strip(),
        "properties": {name: field_schema(spec) for name, spec in FEATURES.items()},
        "required": [name for name, spec in FEATURES.items() if not spec.nullable],
        "additionalProperties": False,
    }


def _values(spec: Field, datatype: str) -> Schema | None:
    """Values of the field that `datatype` can carry (integer types narrow the range), or None."""
    schema = {k: v for k, v in field_schema(spec).items() if k != "description"}
    if not datatype.startswith(("INT", "UINT")):
        return schema
    info = np.iinfo(np.dtype(NUMPY_TYPES[datatype]))
    low, high = int(info.min), int(info.max)
    if spec.minimum is not None:
        low = max(
            low, math.floor(spec.minimum) + 1 if spec.exclusive_minimum else math.ceil(spec.minimum)
        )
    if spec.maximum is not None:
        high = min(
            high,
            math.ceil(spec.maximum) - 1 if spec.exclusive_maximum else math.floor(spec.maximum),
        )
    if low > high:
        return None
    narrowed: Schema = {"type": "integer", "minimum": low, "maximum": high}
    return {"anyOf": [narrowed, {"type": "null"}]} if spec.nullable else narrowed


def _input_variants(name: str, limit: int) -> list[Schema]:
    """One schema per datatype this input may be sent as (JSON data inline)."""
    variants = []
    for datatype in ACCEPTED[INPUTS[name]]:
        values = _values(FEATURES[name], datatype)
        if values is None:
            continue
        parameters = {
            "type": "object",
            "additionalProperties": SCALAR,
            "not": {"required": ["binary_data_size"]},
        }
        variants.append(
            obj(
                {
                    "name": {"const": name},
                    "shape": {
                        "type": "array",
                        "items": {"type": "integer", "minimum": 1, "maximum": limit},
                        "minItems": 1,
                        "maxItems": 1,
                    },
                    "datatype": {"const": datatype},
                    "parameters": parameters,
                    "data": {"type": "array", "items": values, "minItems": 1, "maxItems": limit},
                },
                required=["name", "shape", "datatype", "data"],
            )
        )
    return variants


def infer_request_schema(limit: int) -> Schema:
    """A V2 infer request with inline JSON data: one input per feature, in metadata order."""
    output_parameters = {
        "type": "object",
        "properties": {"binary_data": {"type": "boolean"}},
        "additionalProperties": SCALAR,
        "not": {"required": ["classification"]},
    }
    return obj(
        {
            "id": {"type": ["string", "null"]},
            "parameters": {
                "type": "object",
                "properties": {"binary_data_output": {"type": "boolean"}},
                "additionalProperties": SCALAR,
            },
            "inputs": {
                "type": "array",
                "prefixItems": [{"oneOf": _input_variants(n, limit)} for n in INPUTS],
                "items": False,
                "minItems": len(INPUTS),
                "maxItems": len(INPUTS),
            },
            "outputs": {
                "type": ["array", "null"],
                "items": obj(
                    {"name": {"enum": list(OUTPUTS)}, "parameters": output_parameters},
                    required=["name"],
                ),
            },
        },
        required=["inputs"],
    )


def _components(limit: int) -> dict[str, Schema]:
    record = record_schema()
    response = PredictResponse.model_json_schema(ref_template=REF)
    definitions = response.pop("$defs", {})
    tensor = obj(
        {
            "name": {"type": "string"},
            "datatype": {"type": "string"},
            "shape": {"type": "array", "items": {"type": "integer"}},
        }
    )
    output = obj(
        {
            "name": {"enum": list(OUTPUTS)},
            "datatype": {"enum": [datatype_of(kind) for kind in OUTPUTS.values()]},
            "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
            "data": {"type": "array", "items": {"type": ["number", "boolean", "string"]}},
            "parameters": {"type": "object", "additionalProperties": SCALAR},
        },
        required=["name", "datatype", "shape"],
    )
    nullable = {"type": ["string", "null"]}
    return {
        **definitions,
        "FeatureRecord": record,
        "PredictRequest": obj(
            {
                "records": {
                    "type": "array",
                    "items": ref("FeatureRecord"),
                    "minItems": 1,
                    "maxItems": limit,
                    "description": "records to score, at most MAX_BATCH_SIZE",
                }
            }
        ),
        "PredictResponse": response,
        "ModelDescription": obj(
            {
                "name": {"type": "string"},
                "version": nullable,
                "alias": nullable,
                "run_id": nullable,
                "task": {"type": "string"},
                "framework": {"type": "string"},
                "threshold": {"type": ["number", "null"]},
                "features": {"type": "array", "items": {"type": "string"}},
                "metrics": {"type": "object", "additionalProperties": {"type": "number"}},
                "feature_schema": {"type": "object"},
            }
        ),
        "Alive": obj({"status": {"const": "alive"}}),
        "Ready": obj({"status": {"const": "ready"}, "model_version": nullable}),
        "Problem": obj({"detail": {"type": "string"}}),
        "InvalidRequest": obj(
            {
                "detail": {
                    "type": "array",
                    "items": obj(
                        {
                            "type": {"type": "string"},
                            "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                            "msg": {"type": "string"},
                        }
                    ),
                }
            }
        ),
        "V2Error": obj({"error": {"type": "string"}}),
        "V2ServerLive": obj({"live": {"type": "boolean"}}),
        "V2ServerReady": obj({"ready": {"type": "boolean"}}),
        "V2ServerMetadata": obj(
            {
                "name": {"type": "string"},
                "version": {"type": "string"},
                "extensions": {"type": "array", "items": {"enum": list(EXTENSIONS)}},
            }
        ),
        "V2ModelReady": obj({"name": {"type": "string"}, "ready": {"type": "boolean"}}),
        "V2ModelMetadata": obj(
            {
                "name": {"type": "string"},
                "versions": {"type": "array", "items": {"type": "string"}},
                "platform": {"type": "string"},
                "inputs": {"type": "array", "items": tensor},
                "outputs": {"type": "array", "items": tensor},
            }
        ),
        "V2InferRequest": infer_request_schema(limit),
        "V2InferResponse": obj(
            {
                "model_name": {"type": "string"},
                "model_version": {"type": "string"},
                "id": {"type": ["string", "null"]},
                "parameters": {"type": "object", "additionalProperties": SCALAR},
                "outputs": {"type": "array", "items": output},
            },
            required=["model_name", "outputs"],
        ),
    }


def v2_paths(model_name: str, version: str | None) -> dict[str, Schema]:
    error = ref("V2Error")
    tags = ["open inference protocol"]
    name_parameter = {
        "name": "model_name",
        "in": "path",
        "required": True,
        "description": "the one model this server holds",
        "schema": {"type": "string", "enum": [model_name]},
    }
    version_parameter = {
        "name": "model_version",
        "in": "path",
        "required": True,
        "description": "the served model version (none when serving a bundle directory)",
        "schema": {"type": "string", **({"enum": [version]} if version else {})},
    }
    not_served = answer("no such model or version here", error)
    not_loaded = answer("no model loaded yet, or it failed to load", error)
    infer_description = (
        "Inputs: one tensor per feature, each of shape [n] with n values, n the same for "
        "all (1 to MAX_BATCH_SIZE); any order. JSON data inline, or the binary tensor "
        f"data extension: the JSON header's length in `{HEADER_LENGTH}`, each input's "
        "`parameters.binary_data_size`, its little-endian bytes after the header. Outputs "
        "come back as binary when `parameters.binary_data_output` or an output's "
        "`binary_data` asks (the response then carries the same header)."
    )
    model_paths: dict[str, Schema] = {}
    for suffix, parameters in (
        ("", [name_parameter]),
        ("/versions/{model_version}", [name_parameter, version_parameter]),
    ):
        base = f"/v2/models/{{model_name}}{suffix}"
        key = "_version" if suffix else ""
        model_paths[base] = {
            "get": {
                "tags": tags,
                "operationId": f"v2_model_metadata{key}",
                "summary": "Model metadata: inputs, outputs, versions",
                "parameters": parameters,
                "responses": {
                    "200": answer("the model", ref("V2ModelMetadata")),
                    "404": not_served,
                    "503": not_loaded,
                },
            }
        }
        model_paths[f"{base}/ready"] = {
            "get": {
                "tags": tags,
                "operationId": f"v2_model_ready{key}",
                "summary": "Model readiness",
                "parameters": parameters,
                "responses": {
                    "200": answer("ready", ref("V2ModelReady")),
                    "404": not_served,
                    "503": not_loaded,
                },
            }
        }
        model_paths[f"{base}/infer"] = {
            "post": {
                "tags": tags,
                "operationId": f"v2_infer{key}",
                "summary": "Inference",
                "description": infer_description,
                "parameters": parameters,
                "requestBody": {
                    "required": True,
                    "content": {JSON_MEDIA_TYPE: {"schema": ref("V2InferRequest")}},
                },
                "responses": {
                    "200": {
                        "description": "the outputs (binary ones after the JSON header)",
                        "content": {
                            JSON_MEDIA_TYPE: {"schema": ref("V2InferResponse")},
                            BINARY_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
                        },
                    },
                    "400": answer("invalid request, the message naming the input", error),
                    "404": not_served,
                    "413": answer("body larger than MAX_REQUEST_BYTES", error),
                    "415": answer("a Content-Type or Content-Encoding not read here", error),
                    "503": not_loaded,
                },
            }
        }
    return {
        "/v2": {
            "get": {
                "tags": tags,
                "operationId": "v2_server_metadata",
                "summary": "Server metadata and the protocol extensions it supports",
                "responses": {"200": answer("the server", ref("V2ServerMetadata"))},
            }
        },
        "/v2/health/live": {
            "get": {
                "tags": tags,
                "operationId": "v2_server_live",
                "summary": "Server liveness",
                "responses": {"200": answer("alive", ref("V2ServerLive"))},
            }
        },
        "/v2/health/ready": {
            "get": {
                "tags": tags,
                "operationId": "v2_server_ready",
                "summary": "Server readiness: the model is loaded",
                "responses": {
                    "200": answer("ready", ref("V2ServerReady")),
                    "503": not_loaded,
                },
            }
        },
        **model_paths,
    }


def document(
    settings: Settings, rest: dict[str, Schema], metadata: ModelMetadata | None, version: str
) -> Schema:
    """The whole OpenAPI 3.1 document: the adapter's own `rest` paths and the V2 paths.

    `metadata` of the loaded model, if any, names the model the V2 paths take.
    """
    name = metadata.name if metadata else settings.model_name
    return {
        "openapi": "3.1.0",
        "info": {
            "title": settings.model_name,
            "version": version,
            "description": (
                "Scores records with the model loaded from MODEL_URI: the project's REST "
                "API and the Open Inference Protocol (KServe V2)."
            ),
        },
        "paths": {**rest, **v2_paths(name, metadata.version if metadata else None)},
        "components": {"schemas": _components(settings.max_batch_size)},
    }


def declared_routes(spec: Schema) -> set[tuple[str, str]]:
    """(METHOD, path) of every operation, for checking that routes and document agree."""
    return {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
    }
