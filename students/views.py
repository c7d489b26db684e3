"""Learner pages: roster, add/edit/leave, history, subtree lists and identity search (transfers and promotion:
views_moves.py).
Thin: parse, call one service or selector, render. Domain errors become messages in lec.middleware."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts import policy
from lec.lib import levels, wording
from lec.lib.errors import Code, DomainError, Invalid
from lec.lib.net import client_ip
from lec.lib.thai import format_date, format_date_input
from lec.models import Job
from schools.models import Kind, Organisation

from . import addresses, lookups, masking, selectors, services
from .forms import IdentitySearchForm, LearnerForm, LeaveForm
from .models import LEAVE_REASONS, Status

PAGE_SIZE = 50
INSTITUTIONS = Organisation.objects.filter(kind__in=(Kind.SCHOOL, Kind.CDC))


def _institution(user, code, action="edit_learners") -> Organisation:
    return policy.access_organisation(user, code, action, queryset=INSTITUTIONS)


@login_required
def roster(request, code):
    org = policy.access_organisation(request.user, code)
    status = request.GET.get("status") or Status.ACTIVE
    if status not in (Status.ACTIVE, "all", *LEAVE_REASONS):
        status = Status.ACTIVE
    class_level = request.GET.get("class_level") or ""
    if class_level not in levels.BY_CODE:
        class_level = ""
    room = (request.GET.get("room") or "").strip()
    search = (request.GET.get("q") or "").strip()
    if lookups.looks_like_identity(search):
        # an ID in the roster's address (browser history, proxies' logs): searched on the find page, by POST
        messages.info(request, _("To find a learner by national ID or G-Code, use the identity search."))
        return redirect("students:identity_search", code=org.code)
    qs = selectors.learner_list(
        request.user, org, status=status, class_level=class_level, room=room, search=search
    )
    added = _finished_import(org, request.GET.get("added", ""))
    if added is not None:  # "see the learners just added" after an import
        qs = qs.filter(
            created_at__gte=added.started_at or added.created_at, created_at__lte=added.finished_at
        )
    paginator = Paginator(qs, PAGE_SIZE)
    counts = selectors.live_counts(org)
    known = selectors.learner_list_count(
        org, status=status, class_level=class_level, room=room, search=search, live=counts
    )
    if added is not None:
        known = None
    if known is not None:
        paginator.count = known  # the counter table answers without counting rows
    page = paginator.get_page(request.GET.get("page"))
    masker = selectors.Masker(request.user)
    rows = [(lr, masker.shown(lr)) for lr in page]
    query = urlencode(
        {
            k: v
            for k, v in (
                ("q", search),
                ("class_level", class_level),
                ("room", room),
                ("status", status),
                ("added", added.pk if added else ""),
            )
            if v and not (k == "status" and v == Status.ACTIVE)
        }
    )
    actions = set(policy.actions_on(request.user, org))
    level_codes = levels.taught_by(org.kind) if org.is_institution else levels.CODES
    return render(
        request,
        "students/roster.html",
        {
            "org": org,
            "page": page,
            "rows": rows,
            "query": query,
            "filters": {"q": search, "class_level": class_level, "room": room, "status": status},
            "added": added,
            "levels": [levels.BY_CODE[c] for c in level_codes],
            "rooms": selectors.rooms_of(org),
            "statuses": [(Status.ACTIVE.value, Status.ACTIVE.label), ("all", _("Every status"))]
            + [(r, Status(r).label) for r in LEAVE_REASONS],
            "counts": counts,
            "actions": actions,
            "can_edit": org.is_institution and "edit_learners" in actions and not org.learners_locked,
            "pending": selectors.pending_transfer_counts(org) if org.is_institution else None,
            "left_matches": _left_matches(request.user, org, search, status, page.paginator.count),
        },
    )


def _finished_import(org, job_id: str):
    """The finished import job of this institution whose added learners the roster is asked to show, or None."""
    if not job_id.isdigit():
        return None
    return Job.objects.filter(
        pk=job_id,
        organisation=org,
        kind=Job.Kind.IMPORT_LEARNERS,
        state=Job.State.DONE,
        finished_at__isnull=False,
    ).first()


def _left_matches(user, org, search: str, status: str, found: int) -> int:
    """How many learners who left match a search that found nobody active (so the page can say they left)."""
    if not search or found or status != Status.ACTIVE:
        return 0
    return selectors.learner_list(user, org, status="all", class_level="", room="", search=search).count()


def _refusal_on_form(form, exc: DomainError) -> None:
    """A lock (or a stale version) refused the write: say so above the form, which keeps what was typed."""
    if exc.code not in (Code.CONFIRMED_LOCKED, Code.STALE_VERSION):
        raise exc
    form.add_error(None, str(exc.message))


def _learner_form_page(request, template, form, org, **extra):
    return render(request, template, {"form": form, "org": org, **extra})


def _apply_errors(form, exc: Invalid):
    form.add_service_errors(exc.errors, LearnerForm.ERROR_MAP)


@login_required
def learner_add(request, code):
    org = _institution(request.user, code)
    form = LearnerForm(request.POST or None, organisation=org)
    holder = None
    if request.method == "POST" and form.is_valid():
        try:
            # a 409 names who holds the identity: counted and audited, and refused (429) past the user's window
            with lookups.holder_lookup(request.user, purpose="add_page", value=form.data.get("identity", ""),
                                       organisation=org, ip=client_ip(request)):  # fmt: skip
                learner = services.learner_create(
                    organisation=org, data=form.service_data(), acting_user=request.user
                )
        except Invalid as exc:
            _apply_errors(form, exc)
        except DomainError as exc:
            if exc.code != Code.IDENTITY_ACTIVE_ELSEWHERE:
                _refusal_on_form(form, exc)
            else:
                holder = exc.extra["holder"]
                form.add_error("identity", str(exc.message))
        else:
            messages.success(
                request,
                wording.for_kind(org.kind, "%(name)s was added to the roster.") % {"name": str(learner)},
            )
            if "add_another" in request.POST:
                return redirect("students:learner_add", code=org.code)
            return redirect(learner.get_absolute_url())
    transfer_url = None
    if holder:
        # the identity travels in the session, never in the link (URLs end up in logs and browser history)
        request.session[TRANSFER_PREFILL] = form.data.get("identity", "")
        transfer_url = (
            reverse("students:transfer_request", args=[org.code])
            + "?"
            + urlencode({"class_level": form.data.get("class_level", "")})
        )
    return _learner_form_page(
        request,
        "students/learner_form.html",
        form,
        org,
        holder=holder,
        transfer_url=transfer_url,
        adding=True,
    )


@login_required
def learner_detail(request, pk):
    learner = selectors.learner_get(request.user, pk)
    selectors.learner_view_logged(request.user, learner, ip=client_ip(request))
    masker = selectors.Masker(request.user)
    full = masker.full(learner.organisation)
    actions = set(policy.actions_on(request.user, learner.organisation))
    return render(
        request,
        "students/learner_detail.html",
        {
            "learner": learner,
            "org": learner.organisation,
            "shown_identity": masker.shown(learner),
            "full": full,
            "can_edit": "edit_learners" in actions
            and learner.is_active
            and not learner.organisation.learners_locked,
            "out": selectors.learner_out(learner, masker),
            "disadvantage": learner.get_disadvantage_label(),
            "disability": learner.get_disability_label() if full else None,
            "shortages": learner.shortage_labels(),
        },
    )


@login_required
def learner_edit(request, pk):
    learner = selectors.learner_get(request.user, pk, "edit_learners")
    org = learner.organisation
    if not learner.is_active:
        messages.error(request, _("This learner has left; a record of a learner who left cannot be edited."))
        return redirect(learner.get_absolute_url())
    form = LearnerForm(request.POST or None, organisation=org, initial=LearnerForm.initial_for(learner))
    if request.method == "POST" and form.is_valid():
        try:
            services.learner_update(
                learner_id=learner.pk,
                data=form.service_data(),
                version=form.cleaned_data.get("version"),
                acting_user=request.user,
            )
        except Invalid as exc:
            _apply_errors(form, exc)
        except DomainError as exc:
            if exc.code != Code.IDENTITY_ACTIVE_ELSEWHERE:
                _refusal_on_form(form, exc)
            else:
                form.add_error("identity", str(exc.message))
        else:
            messages.success(request, _("The changes were saved."))
            return redirect(learner.get_absolute_url())
    return _learner_form_page(request, "students/learner_form.html", form, org, learner=learner)


@login_required
def learner_leave(request, pk):
    learner = selectors.learner_get(request.user, pk, "edit_learners")
    if not learner.is_active:
        messages.error(request, _("This learner has already left."))
        return redirect(learner.get_absolute_url())
    today = format_date_input(timezone.localdate())
    form = LeaveForm(request.POST or None, initial={"version": learner.version, "left_on": today})
    if request.method == "POST" and form.is_valid():
        from lec.lib.thai import DateParseError, parse_date

        left_on = None
        raw = form.cleaned_data.get("left_on")
        try:
            left_on = parse_date(raw) if raw else None
        except DateParseError as exc:
            form.add_error("left_on", str(exc))
        if not form.errors:
            try:
                services.learner_leave(
                    learner_id=learner.pk,
                    reason=form.cleaned_data.get("reason") or "",
                    left_on=left_on,
                    note=form.cleaned_data.get("note") or "",
                    version=form.cleaned_data.get("version"),
                    acting_user=request.user,
                )
            except Invalid as exc:
                form.add_service_errors(exc.errors)
            except DomainError as exc:
                _refusal_on_form(form, exc)
            else:
                messages.success(request, _("%(name)s is recorded as left.") % {"name": str(learner)})
                return redirect("students:roster", code=learner.organisation.code)
    return render(
        request,
        "students/learner_leave.html",
        {"form": form, "learner": learner, "org": learner.organisation},
    )


@login_required
def learner_history(request, pk):
    learner = selectors.learner_get(request.user, pk)
    selectors.learner_history_viewed(request.user, learner, ip=client_ip(request))
    masker = selectors.Masker(request.user)
    full = masker.full(learner.organisation)
    records = list(selectors.learner_history(learner)[:100])
    entries = []
    for i, record in enumerate(records):
        previous = records[i + 1] if i + 1 < len(records) else None
        changes = []
        if previous is not None:
            delta = record.diff_against(previous, excluded_fields=["level_order", "version"])
            for change in delta.changes:
                if masking.hidden(change.field, full):
                    continue  # a disability change is not shown above the LAO, not even as "changed"
                field = learner._meta.get_field(change.field)
                old = masking.field_value(change.field, change.old, full)
                new = masking.field_value(change.field, change.new, full)
                if change.field == "organisation":
                    old = previous.organisation.name_th if previous.organisation else old
                    new = record.organisation.name_th if record.organisation else new
                changes.append(
                    {"label": field.verbose_name, "old": _display(field, old), "new": _display(field, new)}
                )
        entries.append(
            {"record": record, "changes": changes, "first": previous is None, "why": _reason(record)}
        )
    return render(
        request,
        "students/learner_history.html",
        {
            "learner": learner,
            "org": learner.organisation,
            "entries": entries,
            "shown_identity": masker.shown(learner),
        },
    )


def _reason(record) -> str:
    """History change reasons are stored as 'transfer N', 'promotion N', 'undo promotion N'; show them in words."""
    reason = record.history_change_reason or ""
    if reason.startswith("undo promotion"):
        return _("Promotion undone")
    if reason.startswith("promotion"):
        return _("Promotion to the next year")
    if reason.startswith("transfer"):
        return _("Transfer")
    return reason


def _display(field, value):
    import datetime as dt

    if value is None or value == "":
        return "—"
    if isinstance(value, dt.date):
        return format_date(value)
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, dict):
        return " ".join(str(v) for v in value.values() if v not in (None, ""))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


TRANSFER_PREFILL = "lec_transfer_identity"


@login_required
def identity_search(request, code):
    org = policy.access_organisation(request.user, code)
    # POST, not GET: a national ID must not end up in URLs, browser history or access logs.
    # Only those who see identities unmasked may search by one (issue 12): a masked record plus a search would
    # confirm a full ID. Each search is throttled per user and audited (students.lookups).
    form = IdentitySearchForm(request.POST or None)
    results, status = None, 200
    masker = selectors.Masker(request.user)
    if form.is_bound and not masker.full(org):
        form.add_error(None, _("Only users who see national IDs in full may search by one."))
        status = 403
    elif form.is_bound and form.is_valid():
        value = form.cleaned_data.get("identity") or ""
        if not value.strip():
            form.add_error("identity", _("Enter the 13-digit national ID or the G-Code."))
        else:
            lookups.check(request.user)
            found = selectors.identity_search(request.user, org, value)
            lookups.record(request.user, purpose="find_page", value=value, organisation=org,
                           ip=client_ip(request), found=len(found))  # fmt: skip
            results = [(lr, masker.shown(lr)) for lr in found]
    context = {"org": org, "form": form, "results": results}
    return render(request, "students/identity_search.html", context, status=status)


# ---------------------------------------------------------------------------------------------------------
# Transfers


@login_required
def address_lookup(request):
    """JSON for the address autocomplete: subdistricts matching ?q= with their district, province, postcode."""
    return JsonResponse({"results": addresses.search(request.GET.get("q", ""))})
