"""Confirmation pages: each level's dashboard, the confirm step, unlocks and requests, reports, events, rounds,
notifications. Thin: parse, call one service or selector, render; refusals go through lec.middleware."""

import dataclasses

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
from . import reminders, selectors, services
from . import rounds as round_services
from .forms import BulkUnlockForm, ReasonForm, RoundForm, UnlockRequestForm
from .models import Confirmation, Scope
from .selectors import home
from .selectors.dashboard import REQUESTED
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
    return render(request, "confirmations/dashboard.html", _dashboard_context(request, org, _round(request)))


def _dashboard_context(request, org, round_, bulk_form=None) -> dict:
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
        "any_confirmed": any(CONFIRMED in (c.learners, c.other_schools) for c in board.children),
        "names": {c.org.code: c.org.name_th for c in board.children},
        "closed": round_ is not None and round_.state == Round.State.CLOSED,
        "actions": set(policy.actions_on(request.user, org)),
        "may_unlock_children": bool(board.children) and policy.can(request.user, "unlock_children", board.children[0].org),
        "progress": (progress := home.progress(board)),
        "chart": _chart(progress),
        "bulk_form": bulk_form,
        "ticked": set(bulk_form.data.getlist("codes")) if bulk_form is not None else set(),
    }  # fmt: skip
    if org.is_institution and round_ is not None:
        counts = selectors.level_gender_counts(org)
        context.update(counts=counts, total=sum(r["total"] for r in counts))
        context["warnings"] = selectors.confirm_warnings(round_, org, counts)
        context["unlocked"] = home.last_unlock(round_, org)
    if org.kind == Kind.LAO and round_ is not None:
        context["blocker_rows"] = home.blocker_rows(request.user, board)
    return context


CHART_ROWS = 300  # more bars than this are unreadable; the table below has every row


def _chart(progress) -> dict:
    """The bar chart's data: the same per-row numbers the progress sentence counts (confirmations.selectors.home)."""
    chart = progress.chart
    return {
        "labels": chart["labels"][:CHART_ROWS],
        "series": [{**s, "data": s["data"][:CHART_ROWS]} for s in chart["series"]],
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
        context["closed_codes"] = (
            home.closed_other_schools(round_, org) if scope == Scope.OTHER_SCHOOLS else set()
        )
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


BULK_RESULT = "confirmations.bulk_unlock_result"


@login_required
@require_POST
def bulk_unlock(request, code):
    """Unlock the ticked children with one reason. A missing reason or tick answers next to the field on the
    dashboard; the results are shown by a redirect (post/redirect/get), so refreshing them sends nothing again."""
    org = policy.access_organisation(request.user, code, "view_subtree")
    round_ = _round(request)
    if round_ is None:
        raise NotFound(_("No round is open."))
    form = BulkUnlockForm(request.POST, codes=request.POST.getlist("codes"))
    if not form.is_valid():
        context = _dashboard_context(request, org, round_, bulk_form=form)
        return render(request, "confirmations/dashboard.html", context, status=400)
    results = services.confirmation_bulk_unlock(
        acting_user=request.user, round_id=round_.pk, parent=org, codes=form.cleaned_data["codes"],
        reason=form.cleaned_data["reason"], ip=client_ip(request),
    )  # fmt: skip
    request.session[BULK_RESULT] = {
        "org": org.code, "round": round_.pk, "results": [dataclasses.asdict(r) for r in results],
    }  # fmt: skip
    return redirect("confirmations:bulk_result", code=org.code)


@login_required
def bulk_result(request, code):
    org = policy.access_organisation(request.user, code, "view_subtree")
    saved = request.session.get(BULK_RESULT) or {}
    if saved.get("org") != org.code:
        return _back(org)
    round_ = Round.objects.filter(pk=saved["round"]).first()
    context = {"org": org, "round": round_, "results": saved["results"]}
    return render(request, "confirmations/bulk_result.html", context)


@login_required
@require_POST
def remind(request, code):
    """The LAO's "send a reminder" to one institution holding it back (rate-limited in confirmations.reminders)."""
    institution = policy.access_organisation(request.user, code, "unlock_children")
    round_ = selectors.open_round()
    if round_ is None or not institution.is_institution:
        raise NotFound()
    try:
        reminders.institution_remind(
            acting_user=request.user, round_=round_, institution=institution, ip=client_ip(request)
        )
    except DomainError as exc:
        if exc.code != Code.THROTTLED:
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request, _("A reminder was sent to the users of %(name)s.") % {"name": institution.name_th}
        )
    return redirect(reverse("confirmations:dashboard", args=[institution.parent.code]) + "#blockers")


@login_required
def request_unlock(request, code):
    """The unlock-request form (linked from every locked page): what must be corrected and why, then one button."""
    org = policy.access_organisation(request.user, code, "request_unlock")
    round_ = _round(request)
    if round_ is None:
        raise NotFound(_("No round is open."))
    scope = request.POST.get("scope") or request.GET.get("scope") or Scope.LEARNERS
    form = UnlockRequestForm(request.POST or None, initial={"scope": scope})
    if request.method == "POST" and form.is_valid():
        services.unlock_request_create(
            acting_user=request.user, round_id=round_.pk, organisation=org, scope=form.cleaned_data["scope"],
            reason=form.cleaned_data["reason"], ip=client_ip(request),
        )  # fmt: skip
        messages.success(request, _("Your unlock request was sent. You will be told when it is decided."))
        return redirect(org.get_absolute_url())
    board = selectors.dashboard(round_, org)
    context = {"org": org, "round": round_, "form": form, "conf": board.scopes.get(scope), "scope": scope,
               "pending": board.own_pending.get(scope)}  # fmt: skip
    return render(request, "confirmations/unlock_request.html", context, status=400 if form.errors else 200)


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
    # Seen is read: the ones on this page are marked read now (still highlighted as new on this view).
    shown_unread = [n.pk for n in page if not n.read]
    if shown_unread:
        notices.notifications_mark_read(acting_user=request.user, ids=shown_unread)
    context = {"page": page, "items": items, "unread": notices.unread_count(request.user)}
    return render(request, "confirmations/notifications.html", context)


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
