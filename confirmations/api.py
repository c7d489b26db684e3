"""/api/v1 for rounds, confirmations, unlock requests, events and headcounts (api.md). Thin: parse, call, shape."""

import datetime
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import AwareDatetime

from accounts import policy
from lec.lib.errors import NotFound, invalid
from lec.lib.net import client_ip
from lec.lib.schemas import ERRORS, ERRORS_409, MAX_PAGE, validated_json
from schools.models import Round

from . import rounds as round_services
from . import selectors, services
from .models import Confirmation, UnlockRequest

router = Router(tags=["confirmations"])

ScopeName = Literal["learners", "other_schools"]


# ---------------------------------------------------------------------------------------------- schemas


class RoundOut(Schema):
    id: int
    academic_year: int
    term: int
    census_date: datetime.date
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    state: Literal["planned", "open", "closed"]


class RoundIn(Schema):
    academic_year: int
    term: Literal[1, 2]
    census_date: datetime.date
    opens_at: AwareDatetime
    closes_at: AwareDatetime


class ConfOut(Schema):
    state: Literal["open", "confirmed"]
    confirmed_at: datetime.datetime | None
    confirmed_by: str | None


class ChildOut(Schema):
    code: str
    kind: str
    name_th: str
    learners: Literal["open", "confirmed"] | None
    other_schools: Literal["open", "confirmed", "entered", "missing"] | None


class ScopesOut(Schema):
    learners: ConfOut | None
    other_schools: ConfOut | None


class ConfirmationOut(Schema):
    organisation: str
    round: int
    scopes: ScopesOut
    children: list[ChildOut]
    blockers: list[str]


class ConfirmIn(Schema):
    round: int
    scope: ScopeName


class UnlockIn(Schema):
    round: int
    scope: ScopeName
    reason: str = Field("", max_length=1000)


class RejectIn(Schema):
    reason: str = Field("", max_length=1000)


class UnlockRequestOut(Schema):
    id: int
    organisation: str
    round: int
    scope: ScopeName
    reason: str
    state: Literal["pending", "approved", "rejected"]
    requested_by: str
    requested_at: datetime.datetime
    decided_by: str | None
    decided_at: datetime.datetime | None
    decision_reason: str


class UnlockRequestPage(Schema):
    count: int
    results: list[UnlockRequestOut]


class EventOut(Schema):
    id: int
    organisation: str
    round: int
    scope: ScopeName
    action: Literal["confirm", "unlock", "request_unlock", "approve_request", "reject_request"]
    actor: str
    reason: str
    at: datetime.datetime


class EventPage(Schema):
    count: int
    results: list[EventOut]


class LevelRow(Schema):
    class_level: str
    male: int
    female: int
    total: int


class ChildCountRow(Schema):
    code: str
    name_th: str
    male: int
    female: int
    total: int


class HeadcountsOut(Schema):
    organisation: str
    round: int
    source: Literal["confirmed", "live"]
    scope: Literal["learners", "other_schools", "all"]
    rows: list[LevelRow] | list[ChildCountRow]  # by=class_level | by=child
    total: int


class BulkUnlockIn(Schema):
    round: int
    codes: list[str]
    reason: str = ""


class BulkItemOut(Schema):
    code: str
    scope: str
    ok: bool
    error_code: str
    detail: str


# ---------------------------------------------------------------------------------------------- helpers


def _conf_out(conf) -> dict | None:
    if conf is None:
        return {"state": Confirmation.State.OPEN, "confirmed_at": None, "confirmed_by": None}
    return {
        "state": conf.state,
        "confirmed_at": conf.confirmed_at,
        "confirmed_by": conf.confirmed_by.username if conf.confirmed_by_id else None,
    }


def _request_out(req: UnlockRequest) -> dict:
    return {
        "id": req.pk,
        "organisation": req.organisation.code,
        "round": req.round_id,
        "scope": req.scope,
        "reason": req.reason,
        "state": req.state,
        "requested_by": req.requested_by.username,
        "requested_at": req.requested_at,
        "decided_by": req.decided_by.username if req.decided_by_id else None,
        "decided_at": req.decided_at,
        "decision_reason": req.decision_reason,
    }


def _round(round_id: int | None) -> Round:
    if round_id is None:
        found = selectors.open_round()
        if found is None:
            raise invalid("round", _("Name a round: no round is open."))
        return found
    found = selectors.round_by_id(round_id)
    if found is None:
        raise NotFound(_("There is no such round."))
    return found


def _page(qs, page: int, page_size: int):
    if page < 1:
        raise invalid("page", _("Pages start at 1."))
    if not 1 <= page_size <= 500:
        raise invalid("page_size", _("Ask for 1 to 500 rows per page."))
    start = (page - 1) * page_size
    return qs.count(), list(qs[start : start + page_size])


def _request(user, request_id: int) -> UnlockRequest:
    req = selectors.unlock_requests_for(user).filter(pk=request_id).first()
    if req is None:
        raise NotFound()
    return req


# ---------------------------------------------------------------------------------------------- rounds


@router.get("/rounds", response={200: list[RoundOut], **ERRORS})
def rounds_list(request):
    return list(selectors.rounds())


@router.post("/rounds", response={201: RoundOut, **ERRORS_409})
def round_create(request, payload: RoundIn):
    return Status(201, round_services.round_create(acting_user=request.user, **payload.dict()))


@router.post("/rounds/{round_id}/open", response={200: RoundOut, **ERRORS_409})
def round_open(request, round_id: int):
    _round(round_id)
    return round_services.round_open(acting_user=request.user, round_id=round_id)


@router.post("/rounds/{round_id}/close", response={200: RoundOut, **ERRORS_409})
def round_close(request, round_id: int):
    _round(round_id)
    return round_services.round_close(acting_user=request.user, round_id=round_id)


# ---------------------------------------------------------------------------------------- confirmations


@router.get("/organisations/{code}/confirmation", response={200: ConfirmationOut, **ERRORS})
def confirmation_get(request, code: str, round_id: int | None = Query(None, alias="round")):
    org = policy.access_organisation(request.user, code)
    detail = selectors.confirmation_detail(_round(round_id), org)
    detail["scopes"] = {
        s: (_conf_out(c) if s in detail["applicable"] else None) for s, c in detail["scopes"].items()
    }
    return validated_json(ConfirmationOut, detail)


@router.post("/organisations/{code}/confirm", response={200: ConfOut, **ERRORS_409})
def confirmation_confirm(request, code: str, payload: ConfirmIn):
    org = policy.access_organisation(request.user, code)
    round_ = _round(payload.round)
    conf = services.confirmation_confirm(
        acting_user=request.user,
        round_id=round_.pk,
        organisation=org,
        scope=payload.scope,
        ip=client_ip(request),
    )
    return _conf_out(conf)


@router.post("/organisations/{code}/unlock", response={200: ConfOut, **ERRORS_409})
def confirmation_unlock(request, code: str, payload: UnlockIn):
    org = policy.access_organisation(request.user, code)
    round_ = _round(payload.round)
    conf = services.confirmation_unlock(
        acting_user=request.user,
        round_id=round_.pk,
        organisation=org,
        scope=payload.scope,
        reason=payload.reason,
        ip=client_ip(request),
    )
    return _conf_out(conf)


@router.post("/organisations/{code}/unlock-children", response={200: list[BulkItemOut], **ERRORS_409})
def confirmation_bulk_unlock(request, code: str, payload: BulkUnlockIn):
    """Bulk unlock (an addition to api.md): a province's LAOs or the department's provinces, a result per item."""
    org = policy.access_organisation(request.user, code)
    round_ = _round(payload.round)
    results = services.confirmation_bulk_unlock(
        acting_user=request.user, round_id=round_.pk, parent=org, codes=payload.codes, reason=payload.reason,
        ip=client_ip(request),
    )  # fmt: skip
    return [
        {"code": r.code, "scope": r.scope, "ok": r.ok, "error_code": r.error_code, "detail": r.detail}
        for r in results
    ]


# -------------------------------------------------------------------------------------- unlock requests


@router.post("/organisations/{code}/unlock-requests", response={201: UnlockRequestOut, **ERRORS_409})
def unlock_request_create(request, code: str, payload: UnlockIn):
    org = policy.access_organisation(request.user, code)
    round_ = _round(payload.round)
    req = services.unlock_request_create(
        acting_user=request.user,
        round_id=round_.pk,
        organisation=org,
        scope=payload.scope,
        reason=payload.reason,
        ip=client_ip(request),
    )
    return Status(201, _request_out(req))


@router.get("/unlock-requests", response={200: UnlockRequestPage, **ERRORS})
def unlock_requests_list(
    request,
    state: Literal["pending", "approved", "rejected"] | None = Query(None),
    round_id: int | None = Query(None, alias="round"),
    page: int = Query(1, ge=1, le=MAX_PAGE, description="From 1."),
    page_size: int = Query(50, ge=1, le=500),
):
    round_ = _round(round_id) if round_id is not None else None
    count, items = _page(selectors.unlock_requests_for(request.user, state, round_), page, page_size)
    return {"count": count, "results": [_request_out(r) for r in items]}


@router.post("/unlock-requests/{request_id}/approve", response={200: UnlockRequestOut, **ERRORS_409})
def unlock_request_approve(request, request_id: int):
    req = services.unlock_request_decide(
        acting_user=request.user,
        request=_request(request.user, request_id),
        approve=True,
        ip=client_ip(request),
    )
    return _request_out(req)


@router.post("/unlock-requests/{request_id}/reject", response={200: UnlockRequestOut, **ERRORS_409})
def unlock_request_reject(request, request_id: int, payload: RejectIn):
    req = services.unlock_request_decide(
        acting_user=request.user,
        request=_request(request.user, request_id),
        approve=False,
        reason=payload.reason,
        ip=client_ip(request),
    )
    return _request_out(req)


# ------------------------------------------------------------------------------------- events, counts


@router.get("/organisations/{code}/events", response={200: EventPage, **ERRORS})
def events_list(
    request,
    code: str,
    round_id: int | None = Query(None, alias="round"),
    page: int = Query(1, ge=1, le=MAX_PAGE, description="From 1."),
    page_size: int = Query(50, ge=1, le=500),
):
    org = policy.access_organisation(request.user, code)
    count, items = _page(selectors.events_for(_round(round_id), org), page, page_size)
    results = [
        {"id": e.pk, "organisation": e.organisation.code, "round": e.round_id, "scope": e.scope,
         "action": e.action, "actor": e.actor_username, "reason": e.reason, "at": e.at}
        for e in items
    ]  # fmt: skip
    return {"count": count, "results": results}


@router.get("/headcounts", response={200: HeadcountsOut, **ERRORS})
def headcounts(
    request,
    organisation: str = Query(...),
    round_id: int | None = Query(None, alias="round"),
    source: Literal["confirmed", "live"] = Query("confirmed"),
    scope: Literal["learners", "other_schools", "all"] = Query("all"),
    by: Literal["class_level", "child"] = Query("class_level"),
):
    org = policy.access_organisation(request.user, organisation)
    return validated_json(
        HeadcountsOut, selectors.headcounts(_round(round_id), org, source=source, scope=scope, by=by)
    )
