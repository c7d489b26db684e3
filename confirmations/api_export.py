"""/api/v1/headcounts/export (api.md "Exports"): headcounts per organisation at one level."""

from ninja import Query, Router

from accounts.policy import access_organisation
from lec.lib.errors import NotFound
from lec.lib.net import client_ip
from lec.lib.schemas import ERRORS
from schools.models import Round

from .headcount_export import headcounts_export

router = Router(tags=["import and export"])


@router.get(
    "/headcounts/export",
    response={200: None, **ERRORS},
    summary="Headcounts per organisation at one level (male/female/total per class level, DMC codes)",
)
def export_headcounts(
    request,
    organisation: str,
    round_id: int = Query(..., alias="round"),
    fmt: str = Query("csv", alias="format"),
    level: str = "institution",
):
    org = access_organisation(request.user, organisation, "export_learners")
    round_ = Round.objects.filter(pk=round_id).first()
    if round_ is None:
        raise NotFound()
    return headcounts_export(acting_user=request.user, round_=round_, organisation=org, fmt=fmt, level=level,
                             ip=client_ip(request))  # fmt: skip
