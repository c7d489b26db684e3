"""The printable confirmation of an institution or an LAO for a round: counts by class level × gender, who
confirmed and when, and a signature block, on one A4 page in Thai (the print CSS in the template)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from lec.lib import levels
from lec.lib.errors import NotFound
from schools.models import Kind, Organisation

from . import selectors
from .models import Confirmation, Scope


def _who(confirmation: Confirmation | None) -> str:
    user = confirmation.confirmed_by if confirmation else None
    if user is None:
        return ""
    return user.get_full_name() or user.username


def _level_rows(round_, org, confirmed: bool) -> tuple[list[dict], dict]:
    """Counts per class level × gender (the confirmed snapshot once confirmed, else today's live counts)."""
    source = "confirmed" if confirmed else "live"
    report = selectors.headcounts(round_, org, source=source, scope=Scope.LEARNERS, by="class_level")
    rows = [dict(r, level=levels.BY_CODE.get(r["class_level"])) for r in report["rows"] if r["total"]]
    totals = {k: sum(r[k] for r in rows) for k in ("male", "female", "total")}
    return rows, totals


def _institution_rows(round_, org, confirmed: bool) -> list[dict]:
    """An LAO's institutions, each with its state, who confirmed it and when, and its learners (from the same
    source as the LAO's level table: the confirmed snapshots once the LAO is confirmed, else today's counts)."""
    children = Organisation.objects.filter(parent=org, kind__in=(Kind.SCHOOL, Kind.CDC), is_active=True)
    found = {
        c.organisation_id: c
        for c in Confirmation.objects.filter(round=round_, scope=Scope.LEARNERS, organisation__in=children)
        .select_related("confirmed_by")
    }  # fmt: skip
    source = "confirmed" if confirmed else "live"
    counted = {
        r["code"]: r
        for r in selectors.headcounts(round_, org, source=source, scope=Scope.LEARNERS, by="child")["rows"]
    }
    empty = {"male": 0, "female": 0, "total": 0}
    return [
        {"org": child, "confirmation": found.get(child.pk), "who": _who(found.get(child.pk)),
         "counts": counted.get(child.code, empty)}
        for child in children.order_by("code")
    ]  # fmt: skip


@login_required
def print_confirmation(request, code):
    org = policy.access_organisation(request.user, code)
    if not (org.is_institution or org.kind == Kind.LAO):
        raise NotFound(_("Only an institution or an LAO has a confirmation to print."))
    round_ = selectors.current_round(request.GET.get("round"))
    if round_ is None:
        raise NotFound(_("No round is open."))
    confirmation = (
        Confirmation.objects.filter(round=round_, organisation=org, scope=Scope.LEARNERS)
        .select_related("confirmed_by")
        .first()
    )
    confirmed = bool(confirmation and confirmation.state == Confirmation.State.CONFIRMED)
    rows, totals = _level_rows(round_, org, confirmed)
    context = {
        "org": org,
        "round": round_,
        "confirmation": confirmation,
        "confirmed": confirmed,
        "who": _who(confirmation),
        "rows": rows,
        "totals": totals,
        "institutions": [] if org.is_institution else _institution_rows(round_, org, confirmed),
        "printed_at": timezone.now(),
    }
    return render(request, "confirmations/print.html", context)
