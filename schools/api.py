"""/me (the user, their organisation and permissions), /organisations/{code}, its children, and the LAO's
other-affiliation schools and their headcounts."""

from django.db.models import F
from django.utils.translation import gettext as _
from ninja import Query, Router

from accounts import policy
from lec.lib.errors import NotFound, invalid
from lec.lib.schemas import ERRORS, ERRORS_409, Error

from . import services
from .models import Kind, Organisation, Round
from .schemas import EntryIn, EntryOut, MeOut, OrgOut
from .selectors import children_of, entry_counts, lao_other_schools, other_school_entry

router = Router(tags=["organisations"])


@router.get("/me", response={200: MeOut, 401: Error})
def me(request):
    user = request.user
    return {
        "username": user.username,
        "organisation": user.organisation,
        "permissions": policy.granted_actions(user),
    }


@router.get("/organisations/{code}", response={200: OrgOut, **ERRORS})
def organisation(request, code: str):
    return policy.access_organisation(request.user, code)


@router.get("/organisations/{code}/children", response={200: list[OrgOut], **ERRORS})
def organisation_children(request, code: str, kind: str | None = Query(None)):
    org = policy.access_organisation(request.user, code)
    if kind and kind not in Kind.values:
        raise invalid("kind", "unknown kind")
    return list(children_of(request.user, org, kind))


def _round(round_id: int | None):
    """The round asked for, or the open one when none is named."""
    if round_id is None:
        found = Round.objects.filter(state=Round.State.OPEN).first()
        if found is None:
            raise invalid("round", _("Name a round: no round is open."))
        return found
    found = Round.objects.filter(pk=round_id).first()
    if found is None:
        raise NotFound(_("There is no such round."))
    return found


def _other_school(user, code: str, action: str = "view_subtree") -> Organisation:
    return policy.access_organisation(
        user, code, action, queryset=Organisation.objects.filter(kind=Kind.OTHER_SCHOOL)
    )


def _entry_out(entry) -> dict:
    return {
        "entered": entry is not None,
        "closed": bool(entry and entry.closed),
        "counts": entry_counts(entry),
    }


@router.get("/organisations/{code}/other-schools", response={200: list[OrgOut], **ERRORS})
def organisation_other_schools(request, code: str):
    """The LAO's other-affiliation schools, closed ones included (is_active false)."""
    lao = policy.access_organisation(request.user, code, queryset=Organisation.objects.filter(kind=Kind.LAO))
    return list(lao_other_schools(lao, active_only=False).annotate(parent_code=F("parent__code")))


@router.get(
    "/other-schools/{code}/headcounts", response={200: EntryOut, **ERRORS}, tags=["other-affiliation"]
)
def other_school_headcounts(request, code: str, round_id: int | None = Query(None, alias="round")):
    school = _other_school(request.user, code)
    return _entry_out(other_school_entry(school=school, round_=_round(round_id)))


@router.put(
    "/other-schools/{code}/headcounts", response={200: EntryOut, **ERRORS_409}, tags=["other-affiliation"]
)
def other_school_headcounts_put(
    request, code: str, payload: EntryIn, round_id: int | None = Query(None, alias="round")
):
    school = _other_school(request.user, code, "edit_other_schools")
    round_ = _round(round_id)
    services.other_school_headcount_save(
        school=school,
        round_=round_,
        closed=payload.closed,
        counts=[c.model_dump() for c in payload.counts],
        acting_user=request.user,
    )
    return _entry_out(other_school_entry(school=school, round_=round_))
