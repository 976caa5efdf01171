"""Whether the stubs on disk were generated from the schema in core/schemas.py.

The stubs are build output: after an edit of schemas.py they stay stale until
`make proto` runs again. A server started with them would report SERVING and then
refuse every record (`records.0.<new field>: Extra inputs are not permitted`), so
the server and the client check first and stop, naming each field that differs.
"""

from __future__ import annotations

from google.protobuf.descriptor import Descriptor
from google.protobuf.descriptor_pb2 import FieldDescriptorProto

from . import schemas_pb2
from .generate import MESSAGES, WireField

STUBS: dict[str, Descriptor] = {
    "FeatureRecord": schemas_pb2.FeatureRecord.DESCRIPTOR,
    "Prediction": schemas_pb2.Prediction.DESCRIPTOR,
}


class StaleStubsError(RuntimeError):
    """The stubs were generated from another schema: `make proto` regenerates them."""


def on_the_wire(message: Descriptor) -> list[WireField]:
    """A generated message's fields, in the terms generate.py writes them."""
    return [
        WireField(field.name, field.number, _type_name(field.type), field.has_presence)
        for field in message.fields
    ]


def _type_name(number: int) -> str:
    """`double` for TYPE_DOUBLE: the name a .proto gives the type."""
    name = FieldDescriptorProto.Type.Name(FieldDescriptorProto.Type.ValueType(number))
    return name.removeprefix("TYPE_").lower()


def differences(message: str, stub: list[WireField], schema: list[WireField]) -> list[str]:
    """One line per field that the stub and the schema do not declare alike.

    Fields added, removed or retyped; renumbered ones (the schema's order changed)
    only when nothing else differs, since removing a field renumbers all after it.
    """
    found = {field.name: field for field in stub}
    expected = {field.name: field for field in schema}
    problems: list[str] = []
    for name, field in expected.items():
        if name not in found:
            problems.append(f"{message}.{name} is in schemas.py but not in the stubs")
        elif (found[name].type, found[name].optional) != (field.type, field.optional):
            problems.append(
                f"{message}.{name} is `{field.declaration}` in schemas.py "
                f"but `{found[name].declaration}` in the stubs"
            )
    problems += [
        f"{message}.{name} is in the stubs but no longer in schemas.py"
        for name in found
        if name not in expected
    ]
    return problems or [
        f"{message}.{name} is field {field.number} in schemas.py "
        f"but {found[name].number} in the stubs"
        for name, field in expected.items()
        if found[name].number != field.number
    ]


def check_stubs() -> None:
    """Raise StaleStubsError unless every message matches the schema, field by field."""
    problems = [
        problem
        for message, (_, schema) in MESSAGES.items()
        for problem in differences(message, on_the_wire(STUBS[message]), schema)
    ]
    if problems:
        raise StaleStubsError(
            "the gRPC stubs were generated from another core/schemas.py: "
            + "; ".join(problems)
            + ". Run `make proto` to regenerate them."
        )
