"""/organisations/{code} and its children."""

from ninja import Query, Router

from accounts import policy
from lec.errors import invalid
from lec.schemas import ERRORS

from .models import Kind
from .schemas import OrgOut
from .selectors import children_of

router = Router(tags=["organisations"])


@router.get("/organisations/{code}", response={200: OrgOut, **ERRORS})
def organisation(request, code: str):
    return policy.access_organisation(request.user, code)


@router.get("/organisations/{code}/children", response={200: list[OrgOut], **ERRORS})
def organisation_children(request, code: str, kind: str | None = Query(None)):
    org = policy.access_organisation(request.user, code)
    if kind and kind not in Kind.values:
        raise invalid("kind", "unknown kind")
    return list(children_of(request.user, org, kind))
