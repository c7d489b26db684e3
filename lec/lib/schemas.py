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
