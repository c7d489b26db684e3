"""/api/v1/budget and /api/v1/budget/export (api.md "Budget estimates"). Thin: parse, authorise, call, shape."""

from typing import Literal

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from accounts import policy
from lec.lib.errors import NotFound, invalid
from lec.lib.net import client_ip
from lec.lib.schemas import ERRORS
from schools.models import Round

from . import selectors
from .engine import money_text
from .exporting import budget_export

router = Router(tags=["budget"])


class ItemRow(Schema):
    item: Literal["lunch", "milk", "per_head"]
    pupils: int
    amount: str


class ChildRow(Schema):
    code: str
    name_th: str
    amount: str


class LevelRow(Schema):
    class_level: str
    pupils: int
    amount: str


class UncoveredRow(Schema):
    applies_to: Literal["school", "cdc", "other_school"]
    class_level: str
    item: Literal["lunch", "milk", "per_head"] | None
    pupils: int


class BudgetOut(Schema):
    organisation: str
    round: int
    fiscal_year: int
    source: Literal["confirmed"]
    rows: list[ItemRow] | list[ChildRow] | list[LevelRow]
    total: str
    missing: list[str]
    uncovered: list[UncoveredRow]


def resolve(round_id: int | None, fiscal_year: int | None):
    """(round, rate book): the round asked for (or the open one) and the rates of the fiscal year asked for (or the
    round's: fiscal_year_of); 404 for an unknown round, 400 when that year has no rates loaded."""
    if round_id is None:
        round_ = Round.objects.filter(state=Round.State.OPEN).first()
        if round_ is None:
            raise invalid("round", _("Name a round: no round is open."))
    else:
        round_ = Round.objects.filter(pk=round_id).first()
        if round_ is None:
            raise NotFound(_("There is no such round."))
    year = fiscal_year or selectors.fiscal_year_of(round_)
    book = selectors.rate_book(year)
    if not book:
        raise invalid(
            "fiscal_year", _("No budget rates are loaded for fiscal year %(year)s.") % {"year": year}
        )
    return round_, book


def shaped(data: dict) -> dict:
    """api.md's body: amounts as decimal strings with 2 places, each rounded once from its exact value."""
    keys = {
        "item": ("item", "pupils"),
        "child": ("code", "name_th"),
        "class_level": ("class_level", "pupils"),
    }
    rows = []
    for row in data["rows"]:
        kind = "item" if "item" in row else "child" if "code" in row else "class_level"
        rows.append({**{k: row[k] for k in keys[kind]}, "amount": money_text(row["amount"])})
    body = {k: data[k] for k in ("organisation", "round", "fiscal_year", "source", "missing", "uncovered")}
    return {**body, "rows": rows, "total": money_text(data["total"])}


@router.get(
    "/budget", response={200: BudgetOut, **ERRORS}, summary="Budget estimate from the confirmed headcounts"
)
def budget(
    request,
    organisation: str = Query(...),
    round_id: int | None = Query(None, alias="round"),
    fiscal_year: int | None = Query(None, ge=2500, le=2700),
    by: Literal["item", "child", "class_level"] = Query("item"),
):
    org = policy.access_organisation(request.user, organisation)
    round_, book = resolve(round_id, fiscal_year)
    return shaped(selectors.budget(round_, org, book, by=by))


@router.get(
    "/budget/export",
    response={200: None, **ERRORS},
    summary="Budget estimate per organisation at one level (amount per item, total) as CSV or xlsx",
)
def export(
    request,
    organisation: str = Query(...),
    round_id: int | None = Query(None, alias="round"),
    fmt: str = Query("csv", alias="format"),
    level: str = Query("institution"),
    fiscal_year: int | None = Query(None, ge=2500, le=2700),
):
    org = policy.access_organisation(request.user, organisation)
    round_, book = resolve(round_id, fiscal_year)
    return budget_export(user=request.user, round_=round_, organisation=org, book=book, fmt=fmt, level=level,
                         ip=client_ip(request))  # fmt: skip
