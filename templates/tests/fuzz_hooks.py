"""schemathesis hooks for test_fuzz.py: what JSON Schema cannot say about a V2 infer request.

Loaded by schemathesis (SCHEMATHESIS_HOOKS=tests.fuzz_hooks), never by pytest.
"""

from __future__ import annotations

from typing import Any, cast

import schemathesis
from schemathesis.generation import GenerationMode

Case = schemathesis.Case[Any]


@schemathesis.hook
def map_case(context: schemathesis.HookContext, case: Case) -> Case:
    """Give every input of a schema-valid infer request the same batch size n and shape [n].

    The document states that rule in prose; JSON Schema cannot relate one input's
    length to another's. Without this, nearly every generated "valid" request would
    be one the protocol refuses, and the fuzzer could not check that valid ones pass.
    Schema-invalid (negative) requests are sent as generated.
    """
    meta = case.meta
    body = case.body
    if meta is None or meta.generation.mode != GenerationMode.POSITIVE:
        return case
    if not case.path.endswith("/infer") or not isinstance(body, dict):
        return case
    inputs = cast(list[dict[str, Any]], body["inputs"])
    rows = min(len(tensor["data"]) for tensor in inputs)
    for tensor in inputs:
        tensor["data"] = tensor["data"][:rows]
        tensor["shape"] = [rows]
    return case
