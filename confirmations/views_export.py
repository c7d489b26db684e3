"""The headcount export download from the export page (students/io/export.html). Thin view."""

from django.shortcuts import get_object_or_404

from accounts.policy import access_organisation
from lec.lib.net import client_ip
from schools.models import Round

from .headcount_export import headcounts_export
from .selectors.rounds import round_id_param


def export_headcounts(request, code):
    org = access_organisation(request.user, code, "export_learners")
    round_ = get_object_or_404(Round, pk=round_id_param(request.GET.get("round") or ""))
    return headcounts_export(acting_user=request.user, round_=round_, organisation=org,
                             fmt=request.GET.get("format", "xlsx"), level=request.GET.get("level", "institution"),
                             ip=client_ip(request))  # fmt: skip
