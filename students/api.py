"""/api/v1 learner and transfer endpoints (api.md "Learners"): thin handlers over students.services/selectors."""

from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from accounts import policy
from lec.lib.errors import Forbidden, invalid
from lec.lib.net import client_ip
from lec.lib.schemas import ERRORS, ERRORS_409, MAX_PAGE, validated_json
from schools.models import Kind, Organisation

from . import lookups, selectors, services
from .models import LEAVE_REASONS, Transfer
from .models import Status as LearnerStatus
from .schemas import (
    LearnerIn,
    LearnerList,
    LearnerOut,
    LearnerPatch,
    LeaveIn,
    RejectIn,
    TransferIn,
    TransferList,
    TransferOut,
)

router = Router(tags=["learners"])
MAX_PAGE_SIZE = 500


def _page(qs, page: int, page_size: int, count: int | None = None):
    if page < 1:
        raise invalid("page", _("Pages are numbered from 1."))
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise invalid("page_size", _("Ask for between 1 and %(n)s rows per page.") % {"n": MAX_PAGE_SIZE})
    start = (page - 1) * page_size
    return (qs.count() if count is None else count), list(qs[start : start + page_size])


@router.get("/organisations/{code}/learners", response={200: LearnerList, **ERRORS})
def learners(
    request,
    code: str,
    status: str = LearnerStatus.ACTIVE.value,
    class_level: str | None = None,
    room: str | None = None,
    search: str | None = None,
    page: int = Query(1, ge=1, le=MAX_PAGE, description="From 1."),
    page_size: int = Query(50, ge=1, le=500),
):
    org = policy.access_organisation(request.user, code)
    if status not in (LearnerStatus.ACTIVE, "all", *LEAVE_REASONS):
        raise invalid("status", _("Use active, all, or a reason for leaving."))
    by_identity = lookups.looks_like_identity(search) and policy.sees_full_identity(request.user, org)
    if by_identity:
        lookups.check(request.user)
    qs = selectors.learner_list(
        request.user, org, status=status, class_level=class_level or None, room=room, search=search
    ).defer(None)
    known = selectors.learner_list_count(
        org, status=status, class_level=class_level, room=room, search=search
    )
    count, rows = _page(qs, page, page_size, known)
    masker = selectors.Masker(request.user)
    ip = client_ip(request)
    if by_identity:
        lookups.record(request.user, purpose="api_search", value=search, organisation=org, ip=ip, found=count)
    selectors.learner_list_read_logged(request.user, org, rows, ip=ip, page=page, status=status)
    return validated_json(
        LearnerList, {"count": count, "results": [selectors.learner_out(lr, masker) for lr in rows]}
    )


@router.post("/organisations/{code}/learners", response={201: LearnerOut, **ERRORS_409})
def learner_create(request, code: str, payload: LearnerIn):
    org = policy.access_organisation(request.user, code, "edit_learners")
    if org.kind not in (Kind.SCHOOL, Kind.CDC):
        raise invalid("organisation", _("Learners are enrolled only in a school or a CDC."))
    data = payload.model_dump(exclude_unset=True)
    with lookups.holder_lookup(request.user, purpose="api_create", value=data.get("national_id") or data.get("g_code"),
                               organisation=org, ip=client_ip(request)):  # fmt: skip
        learner = services.learner_create(organisation=org, data=data, acting_user=request.user)
    return Status(201, selectors.learner_out(learner, selectors.Masker(request.user)))


@router.get("/learners/{learner_id}", response={200: LearnerOut, **ERRORS})
def learner(request, learner_id: int):
    found = selectors.learner_get(request.user, learner_id)
    selectors.learner_view_logged(request.user, found, ip=client_ip(request))
    return selectors.learner_out(found, selectors.Masker(request.user))


@router.patch("/learners/{learner_id}", response={200: LearnerOut, **ERRORS_409})
def learner_update(request, learner_id: int, payload: LearnerPatch):
    selectors.learner_get(request.user, learner_id, "edit_learners")
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    updated = services.learner_update(
        learner_id=learner_id, data=data, version=version, acting_user=request.user
    )
    return selectors.learner_out(updated, selectors.Masker(request.user))


@router.post("/learners/{learner_id}/leave", response={200: LearnerOut, **ERRORS_409})
def learner_leave(request, learner_id: int, payload: LeaveIn):
    selectors.learner_get(request.user, learner_id, "edit_learners")
    left = services.learner_leave(
        learner_id=learner_id,
        reason=payload.reason,
        left_on=payload.left_on,
        note=payload.note,
        acting_user=request.user,
    )
    return selectors.learner_out(left, selectors.Masker(request.user))


@router.post("/transfers", response={201: TransferOut, **ERRORS_409})
def transfer_request(request, payload: TransferIn):
    to_org = policy.access_organisation(
        request.user,
        payload.to_organisation,
        "edit_learners",
        queryset=Organisation.objects.filter(kind__in=(Kind.SCHOOL, Kind.CDC)),
    )
    with lookups.holder_lookup(request.user, purpose="api_transfer", value=payload.identity, organisation=to_org,
                               ip=client_ip(request), every_attempt=True):  # fmt: skip
        transfer = services.transfer_request(
            identity_value=payload.identity,
            to_organisation=to_org,
            class_level=payload.class_level,
            acting_user=request.user,
        )
    transfer = selectors.transfer_get(request.user, transfer.pk)
    return Status(201, selectors.transfer_out(transfer, request.user))


def _decider(request, transfer_id: int) -> Transfer:
    transfer = selectors.transfer_get(request.user, transfer_id)
    if not policy.can(request.user, "approve_transfers", transfer.from_organisation):
        raise Forbidden()
    return transfer


@router.post("/transfers/{transfer_id}/approve", response={200: TransferOut, **ERRORS_409})
def transfer_approve(request, transfer_id: int):
    _decider(request, transfer_id)
    services.transfer_approve(transfer_id=transfer_id, acting_user=request.user)
    return selectors.transfer_out(selectors.transfer_get(request.user, transfer_id), request.user)


@router.post("/transfers/{transfer_id}/reject", response={200: TransferOut, **ERRORS_409})
def transfer_reject(request, transfer_id: int, payload: RejectIn):
    _decider(request, transfer_id)
    services.transfer_reject(transfer_id=transfer_id, reason=payload.reason, acting_user=request.user)
    return selectors.transfer_out(selectors.transfer_get(request.user, transfer_id), request.user)


@router.get("/transfers", response={200: TransferList, **ERRORS})
def transfers(
    request,
    direction: str | None = Query(None),
    state: str | None = Query(None),
    page: int = Query(1, ge=1, le=MAX_PAGE, description="From 1."),
    page_size: int = Query(50, ge=1, le=500),
):
    if direction not in (None, "", "incoming", "outgoing"):
        raise invalid("direction", _("Use incoming or outgoing."))
    if state not in (None, "", *Transfer.State.values):
        raise invalid("state", _("Use pending, approved or rejected."))
    qs = selectors.transfer_list(request.user, direction=direction or None, state=state or None)
    count, rows = _page(qs, page, page_size)
    return {"count": count, "results": [selectors.transfer_out(t, request.user) for t in rows]}
