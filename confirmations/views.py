"""Confirmation pages: each level's dashboard, the confirm step, unlocks and requests, reports, events, rounds,
notifications. Thin: parse, call one service or selector, render; refusals go through lec.middleware."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import policy
from lec.lib import levels
from lec.lib.errors import Code, DomainError, Invalid, NotFound
from lec.lib.net import client_ip
from lec.lib.thai import format_datetime
from schools.models import Kind, Organisation, Round

from . import notifications as notices
from . import rounds as round_services
from . import selectors, services
from .forms import ReasonForm, RoundForm
from .models import Confirmation, Scope
from .selectors.dashboard import ENTERED, REQUESTED
from .selectors.headcounts import ALL

CONFIRMED = Confirmation.State.CONFIRMED
STATUS_FILTERS = (Confirmation.State.OPEN, CONFIRMED, REQUESTED)
FIELD_OF = {
    "academic_year": "academic_year",
    "term": "term",
    "opens_at": "opens_on",
    "closes_at": "closes_on",
}


def _round(request) -> Round | None:
    return selectors.current_round(request.GET.get("round") or request.POST.get("round"))


def _back(org):
    return redirect("confirmations:dashboard", code=org.code)


@login_required
def dashboard(request, code):
    org = policy.access_organisation(request.user, code)
    round_ = _round(request)
    board = selectors.dashboard(round_, org)
    status = request.GET.get("status", "")
    children = board.children
    if status in STATUS_FILTERS:
        children = [c for c in children if c.status == status]
    page = Paginator(children, 100).get_page(request.GET.get("page"))
    context = {
        "org": org,
        "round": round_,
        "board": board,
        "children": page,
        "page": page,
        "query": f"round={round_.pk if round_ else ''}&status={status}",
        "status": status,
        "unread": notices.unread_count(request.user),
        "any_confirmed": any(CONFIRMED in (c.learners, c.other_schools) for c in board.children),
        "names": {c.org.code: c.org.name_th for c in board.children},
        "closed": round_ is not None and round_.state == Round.State.CLOSED,
        "actions": set(policy.actions_on(request.user, org)),
        "may_unlock_children": bool(board.children) and policy.can(request.user, "unlock_children", board.children[0].org),
        "rounds": selectors.rounds()[:12],
        "chart": _chart(board),
    }  # fmt: skip
    if org.is_institution and round_ is not None:
        counts = selectors.level_gender_counts(org)
        context.update(counts=counts, total=sum(r["total"] for r in counts))
        context["warnings"] = selectors.confirm_warnings(round_, org, counts)
    return render(request, "confirmations/dashboard.html", context)


def _chart(board) -> dict:
    """Confirmed vs not, per child: the bar chart's data (the table beside it shows the same numbers)."""
    if board.org.kind in (Kind.PROVINCE, Kind.DEPARTMENT):
        rows = [(c.org.name_th, c.done, max(c.total - c.done, 0)) for c in board.children if c.total]
    else:
        rows = [
            (c.org.name_th, int(c.status in (CONFIRMED, ENTERED)), int(c.status not in (CONFIRMED, ENTERED)))
            for c in board.children
        ]  # fmt: skip
    return {
        "labels": [r[0] for r in rows][:300],
        "done": [r[1] for r in rows][:300],
        "todo": [r[2] for r in rows][:300],
        "done_label": _("Confirmed"),
        "todo_label": _("Not confirmed"),
    }


@login_required
def confirm_step(request, code):
    """Check your answers, then one button (ui.md): the counts being confirmed, warnings, what changed, the lock."""
    org = policy.access_organisation(request.user, code, "confirm_own")
    round_ = _round(request)
    if round_ is None:
        raise NotFound(_("No round is open."))
    scope = request.POST.get("scope") or request.GET.get("scope") or Scope.LEARNERS
    if request.method == "POST":
        services.confirmation_confirm(
            acting_user=request.user, round_id=round_.pk, organisation=org, scope=scope, ip=client_ip(request)
        )
        messages.success(
            request,
            _("Data confirmed on %(when)s.") % {"when": format_datetime(timezone.localtime(timezone.now()))},
        )
        return _back(org)
    context = {"org": org, "round": round_, "scope": scope}
    if org.is_institution:
        counts = selectors.level_gender_counts(org)
        context.update(
            counts=counts,
            total=sum(r["total"] for r in counts),
            male=sum(r["male"] for r in counts),
            female=sum(r["female"] for r in counts),
            warnings=selectors.confirm_warnings(round_, org, counts),
            changes=selectors.changes_since_confirmation(round_, org),
        )
    else:
        context["report"] = selectors.headcounts(
            round_, org, source="live", scope=scope if org.kind == Kind.LAO else "all", by="child"
        )
        if org.kind == Kind.LAO:
            # an LAO confirms each scope over its own kind of children: institutions, or other-affiliation schools
            wanted = {Kind.OTHER_SCHOOL} if scope == Scope.OTHER_SCHOOLS else {Kind.SCHOOL, Kind.CDC}
            kinds = dict(Organisation.objects.filter(parent=org).values_list("code", "kind"))
            context["report"]["rows"] = [
                r for r in context["report"]["rows"] if kinds.get(r["code"]) in wanted
            ]
        context["blockers"] = selectors.blockers(round_, org, scope)
        context["names"] = {r["code"]: r["name_th"] for r in context["report"]["rows"]}
    return render(request, "confirmations/confirm_step.html", context)


@login_required
@require_POST
def unlock(request, code):
    org = policy.access_organisation(request.user, code)
    round_ = _round(request)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        raise Invalid({"reason": [_("Give a reason.")]}, message=_("Give a reason for the unlock."))
    services.confirmation_unlock(
        acting_user=request.user, round_id=round_.pk, organisation=org, scope=form.cleaned_data["scope"],
        reason=form.cleaned_data["reason"], ip=client_ip(request),
    )  # fmt: skip
    messages.success(request, _("%(name)s is unlocked and can edit its data again.") % {"name": org.name_th})
    return _back(org.parent)


@login_required
@require_POST
def bulk_unlock(request, code):
    org = policy.access_organisation(request.user, code, "view_subtree")
    round_ = _round(request)
    codes = request.POST.getlist("codes")
    reason = request.POST.get("reason", "")
    if not codes:
        raise DomainError(_("Tick at least one organisation to unlock."), code=Code.INVALID)
    results = services.confirmation_bulk_unlock(
        acting_user=request.user,
        round_id=round_.pk,
        parent=org,
        codes=codes,
        reason=reason,
        ip=client_ip(request),
    )
    return render(
        request, "confirmations/bulk_result.html", {"org": org, "round": round_, "results": results}
    )


@login_required
@require_POST
def request_unlock(request, code):
    org = policy.access_organisation(request.user, code, "request_unlock")
    round_ = _round(request)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        raise Invalid({"reason": [_("Give a reason.")]}, message=_("Say why the data must be changed."))
    services.unlock_request_create(
        acting_user=request.user, round_id=round_.pk, organisation=org, scope=form.cleaned_data["scope"],
        reason=form.cleaned_data["reason"], ip=client_ip(request),
    )  # fmt: skip
    messages.success(request, _("Your unlock request was sent. You will be told when it is decided."))
    return _back(org)


@login_required
@require_POST
def decide(request, request_id):
    req = selectors.unlock_requests_for(request.user).filter(pk=request_id).first()
    if req is None:
        raise NotFound()
    approve = request.POST.get("decision") == "approve"
    if not approve and not request.POST.get("reason", "").strip():
        raise DomainError(_("Give a reason for rejecting the request."), code=Code.INVALID)
    services.unlock_request_decide(
        acting_user=request.user, request=req, approve=approve, reason=request.POST.get("reason", ""),
        ip=client_ip(request),
    )  # fmt: skip
    if approve:
        messages.success(request, _("Approved: %(name)s is unlocked.") % {"name": req.organisation.name_th})
    else:
        messages.success(
            request, _("The request of %(name)s was rejected.") % {"name": req.organisation.name_th}
        )
    return _back(req.organisation.parent)


@login_required
def report(request, code):
    """Headcount report at any level: the same numbers as GET /api/v1/headcounts, as a chart and a table."""
    org = policy.access_organisation(request.user, code)
    round_ = _round(request)
    source = request.GET.get("source") if request.GET.get("source") in ("confirmed", "live") else "confirmed"
    scope = request.GET.get("scope") if request.GET.get("scope") in (*Scope.values, ALL) else ALL
    by = request.GET.get("by") if request.GET.get("by") in ("class_level", "child") else "class_level"
    data = selectors.headcounts(round_, org, source=source, scope=scope, by=by) if round_ else None
    if data:
        for row in data["rows"]:
            if "class_level" in row:
                row["level"] = levels.BY_CODE.get(row["class_level"])
    chart = {
        "labels": [(r.get("level").short if r.get("level") else r.get("name_th") or r.get("class_level"))
                   for r in (data["rows"] if data else [])],
        "male": [r["male"] for r in (data["rows"] if data else [])],
        "female": [r["female"] for r in (data["rows"] if data else [])],
        "male_label": _("Male"), "female_label": _("Female"),
    }  # fmt: skip
    context = {
        "org": org,
        "round": round_,
        "data": data,
        "source": source,
        "scope": scope,
        "by": by,
        "chart": chart,
    }
    context["male"] = sum(r["male"] for r in data["rows"]) if data else 0
    context["female"] = sum(r["female"] for r in data["rows"]) if data else 0
    context["rounds"] = selectors.rounds()[:12]
    return render(request, "confirmations/report.html", context)


@login_required
def events(request, code):
    org = policy.access_organisation(request.user, code)
    round_ = _round(request)
    qs = selectors.events_for(round_, org) if round_ else []
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "confirmations/events.html", {"org": org, "round": round_, "page": page,
                                                           "query": f"round={round_.pk}" if round_ else ""})  # fmt: skip


@login_required
def notifications(request):
    if request.method == "POST":
        notices.notifications_mark_read(acting_user=request.user)
        return redirect("confirmations:notifications")
    page = Paginator(notices.notifications_for(request.user), 30).get_page(request.GET.get("page"))
    items = [(n, notices.notification_text(n)) for n in page]
    return render(request, "confirmations/notifications.html", {"page": page, "items": items})


@login_required
def rounds(request):
    """The department's round management: the list, a new round, open and close."""
    if not policy.can_nationally(request.user, "manage_rounds"):
        raise NotFound()
    form = RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            round_services.round_create(acting_user=request.user, **form.round_fields)
        except Invalid as exc:
            for field, errors in exc.errors.items():
                for error in errors:
                    form.add_error(FIELD_OF.get(field) if FIELD_OF.get(field) in form.fields else None, error)
        except DomainError as exc:
            form.add_error("term", exc.message)
        else:
            messages.success(request, _("The round was created. Open it when it is time."))
            return redirect("confirmations:rounds")
    all_rounds = list(selectors.rounds())
    missed = {}
    for round_ in all_rounds:
        if round_.state == Round.State.CLOSED and request.GET.get("missed") == str(round_.pk):
            missed[round_.pk] = selectors.missed(round_)
    return render(
        request, "confirmations/rounds.html", {"form": form, "rounds": all_rounds, "missed": missed}
    )


@login_required
@require_POST
def round_action(request, round_id, action):
    if action == "open":
        round_ = round_services.round_open(acting_user=request.user, round_id=round_id)
        messages.success(request, _("%(round)s is open.") % {"round": round_.name})
    else:
        round_ = round_services.round_close(acting_user=request.user, round_id=round_id)
        messages.success(request, _("%(round)s is closed.") % {"round": round_.name})
    return redirect(reverse("confirmations:rounds") + (f"?missed={round_.pk}" if action == "close" else ""))
