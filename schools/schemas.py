"""API schemas for organisations."""

from typing import Annotated, Any

from ninja import Schema
from pydantic import WithJsonSchema


class OrgOut(Schema):
    code: str
    kind: str
    name_th: str
    name_en: str
    parent_code: str | None
    lao_type: str
    affiliation: str
    is_active: bool

    @staticmethod
    def resolve_parent_code(obj):
        parent_code = getattr(obj, "parent_code", None)
        if parent_code is not None:
            return parent_code
        path = obj.path
        return path.rsplit("/", 1)[0].rsplit("/", 1)[-1] if "/" in path else None


# Counts are validated by schools.services (Thai digits, whole numbers ≥ 0, one message per cell in the user's
# language), so the schema accepts any JSON value there and only documents the integer it expects.
_Count = Annotated[Any, WithJsonSchema({"type": "integer", "minimum": 0, "default": 0})]


class MeOut(Schema):
    username: str
    organisation: OrgOut | None
    permissions: list[str]


class CountIn(Schema):
    class_level: Annotated[
        Any, WithJsonSchema({"type": "string", "description": "a school class level code"})
    ]
    male: _Count = 0
    female: _Count = 0


class EntryIn(Schema):
    # both required: `{}` used to replace a school's entry with zeros (issue 12)
    closed: bool
    counts: list[CountIn]


class CountOut(Schema):
    class_level: str
    male: int
    female: int


class EntryOut(Schema):
    entered: bool
    closed: bool
    counts: list[CountOut]
