"""Field types the record schema (`schemas.py`) may use beyond Python's own.

A feature is `float`, `Integer`, `bool`, a closed set of categories (`Literal["a", "b"]`)
or free text (`str`, unseen values go to an "unknown" bucket), each optionally
`| None` for a value that may be missing. `fields.py` reads the schema with these
rules and refuses anything else, naming the field.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator


def _whole(value: object) -> object:
    """JSON has one number type: `3.0` is the integer 3 (and `3.5` is still no integer)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# An integer field of a JSON record, strict about anything but a whole float.
Integer = Annotated[int, BeforeValidator(_whole)]
