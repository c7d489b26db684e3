"""Schemas shared by every router: the error bodies of api.md."""

from ninja import Schema


class Error(Schema):
    detail: str
    code: str


class ValidationErrorOut(Error):
    errors: dict[str, list[str]]


class Holder(Schema):
    code: str
    name_th: str


class Conflict(Error):
    blockers: list[str] | None = None
    holder: Holder | None = None


# The highest page a paginated list accepts (api.md "Lists"): 100,000 pages of 500 rows is far beyond any subtree;
# a bigger number was a 500 (bigint out of range in the OFFSET).
MAX_PAGE = 100_000

ERRORS = {400: ValidationErrorOut, 401: Error, 403: Error, 404: Error}
ERRORS_409 = {**ERRORS, 409: Conflict}


# ---------------------------------------------------------------------------------------------------------
# Answering a large list without ninja's per-attribute getter (issue 16)

_MIRRORS: dict[type, type] = {}
_ADAPTERS: dict[type, object] = {}


def _mirror_annotation(annotation):
    """`annotation` with every ninja Schema in it replaced by its plain pydantic mirror."""
    import functools
    import operator
    import types
    import typing

    if isinstance(annotation, type) and issubclass(annotation, Schema):
        return _mirror(annotation)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is None or not args or origin is typing.Literal:
        return annotation
    mirrored = tuple(_mirror_annotation(a) for a in args)
    if mirrored == args:
        return annotation
    if origin in (typing.Union, types.UnionType):
        return functools.reduce(operator.or_, mirrored)
    return origin[mirrored if len(mirrored) > 1 else mirrored[0]]


def _mirror(schema: type) -> type:
    """A plain pydantic model with the schema's fields (names, types, defaults, constraints): validating plain
    dicts with it is pydantic's own compiled code, where ninja's Schema wraps every object in a Python getter."""
    import copy

    from pydantic import ConfigDict, create_model

    if schema not in _MIRRORS:
        fields = {}
        for name, info in schema.model_fields.items():
            info = copy.copy(info)
            info.annotation = _mirror_annotation(info.annotation)
            fields[name] = (info.annotation, info)
        config = ConfigDict(populate_by_name=True)  # as ninja's Schema accepts a field by name or alias
        _MIRRORS[schema] = create_model(f"{schema.__name__}Plain", __config__=config, **fields)
    return _MIRRORS[schema]


def validated_json(schema: type, data, status: int = 200):
    """`data` (plain dicts, lists, dates) validated against the response schema `schema` and answered as JSON:
    byte for byte the body ninja sends for it (same validation, same dump, ninja's own encoder), at a tenth of
    the CPU for a page of learners. The operation still declares `schema`, so the OpenAPI document and the
    fuzzer check the same contract; an answer that does not fit the schema is an error here as it is in ninja."""
    import json

    from django.http import HttpResponse
    from ninja.responses import NinjaJSONEncoder
    from pydantic import TypeAdapter

    if schema not in _ADAPTERS:
        _ADAPTERS[schema] = TypeAdapter(_mirror(schema))
    adapter = _ADAPTERS[schema]
    body = json.dumps(adapter.dump_python(adapter.validate_python(data)), cls=NinjaJSONEncoder)
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
