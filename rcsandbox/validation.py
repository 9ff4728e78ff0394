"""A tiny stand-in for the Ajv body schemas of Rocket.Chat 8's router.

Flat objects only: required keys, a type per key, `minLength`, and `additionalProperties: false`. Messages
use Ajv's wording, joined the way RC's router joins them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Field", "validate"]

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


@dataclass(frozen=True)
class Field:
    type: str
    required: bool = False
    min_length: int | None = None


def validate(body: dict[str, Any], schema: dict[str, Field]) -> str | None:
    """None when `body` fits, else the error text RC's router would put in `error`."""
    errors: list[str] = []
    for name, spec in schema.items():
        if name not in body:
            if spec.required:
                errors.append(f"must have required property '{name}'")
            continue
        value = body[name]
        if not isinstance(value, _TYPES[spec.type]) or (spec.type != "boolean" and isinstance(value, bool)):
            errors.append("must be " + spec.type)
        elif spec.min_length is not None and len(value) < spec.min_length:
            errors.append(f"must NOT have fewer than {spec.min_length} characters")
    if set(body) - set(schema):
        errors.append("must NOT have additional properties")
    return "\n ".join(errors) if errors else None
