"""The organisation page, and the LAO's other-affiliation schools: the headcount grid and the list with add/close."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import policy
from lec.lib import thai
from lec.lib.errors import Invalid, NotFound
from lec.lib.levels import BY_CODE

from . import selectors, services
from .forms import (
    OtherSchoolAddForm,
    OtherSchoolCloseForm,
    genders,
    grid_post,
    grid_rows,
    grid_versions,
    level_totals,
)
from .models import Kind, Organisation, Round
from .selectors import children_of

GRID_PAGE_SIZE = 200  # schools per grid page; an LAO rarely has more than a few dozen


@login_required
def organisation(request, code):
    org = policy.access_organisation(request.user, code)
    ancestors = []
    codes = org.path.split("/")[:-1]
    if codes:
        found = {o.code: o for o in Organisation.objects.filter(code__in=codes)}
        ancestors = [
            found[c] for c in codes if c in found and policy.can(request.user, "view_subtree", found[c])
        ]
    page = Paginator(children_of(request.user, org), 100).get_page(request.GET.get("page"))
    return render(
        request,
        "schools/organisation.html",
        {"org": org, "ancestors": ancestors, "page": page, "actions": set(policy.actions_on(request.user, org)),
         "other_panel": _other_panel(org)},
    )  # fmt: skip


def _open_round():
    return Round.objects.filter(state=Round.State.OPEN).first()


def _other_panel(org) -> dict | None:
    """What the organisation page's other-affiliation panel shows, for an LAO or an other-affiliation school."""
    if org.kind == Kind.LAO:
        summary = selectors.lao_other_summary(org)
        summary["missing"] = summary["active"] - summary["entered"]
        return summary
    if org.kind == Kind.OTHER_SCHOOL:
        round_ = _open_round()
        entry = selectors.other_school_entry(school=org, round_=round_) if round_ else None
        counts = selectors.entry_counts(entry)
        codes = org.path.split("/")
        for c in counts:
            c.update(short=BY_CODE[c["class_level"]].short, total=c["male"] + c["female"])
        return {
            "round": round_,
            "entry": entry,
            "counts": counts,
            "total": sum(c["total"] for c in counts),
            "lao_code": codes[-2] if len(codes) > 1 else "",
        }
    return None


def _lao(request, code: str, action: str = "view_subtree") -> Organisation:
    return policy.access_organisation(
        request.user, code, action, queryset=Organisation.objects.filter(kind=Kind.LAO)
    )


def _grid_round(request):
    """The round the grid shows: ?round=<id> (to look back), else the open round, else the latest one."""
    wanted = request.GET.get("round", "")
    if wanted:
        found = Round.objects.filter(pk=wanted).first() if wanted.isdigit() and int(wanted) < 2**31 else None
        if found is None:
            raise NotFound()
        return found
    return _open_round() or Round.objects.order_by("-academic_year", "-term").first()


@login_required
def other_headcounts(request, code):
    lao = _lao(request, code)
    round_ = _grid_round(request)
    context = {"lao": lao, "round": round_, "editable": False}
    if round_ is None:
        return render(request, "schools/other_headcounts.html", context)
    may_edit = policy.can(request.user, "edit_other_schools", lao)
    context["editable"] = editable = may_edit and round_.state == "open" and not lao.other_schools_locked
    schools = selectors.lao_other_schools(lao, missing_first_in=round_)
    page = Paginator(schools, GRID_PAGE_SIZE).get_page(request.GET.get("page"))
    grid = selectors.other_headcount_grid(lao=lao, round_=round_, schools=page.object_list)
    typed = errors = None
    if request.method == "POST" and _levels_target(request.POST):
        if not may_edit:
            policy.require(request.user, "edit_other_schools", lao)
        _entries, typed, _errors = grid_post(request.POST, grid)
        errors = _levels_post(request, lao, grid, typed)
        if not errors:  # the school's levels changed: read the grid again, keeping every number typed
            page = Paginator(schools, GRID_PAGE_SIZE).get_page(request.GET.get("page"))
            grid = selectors.other_headcount_grid(lao=lao, round_=round_, schools=page.object_list)
    elif request.method == "POST":
        if not may_edit:
            policy.require(request.user, "edit_other_schools", lao)
        entries, typed, errors = grid_post(request.POST, grid)
        try:
            if errors:
                raise Invalid(errors)
            saved = services.other_school_headcounts_save(
                lao=lao,
                round_=round_,
                entries=entries,
                acting_user=request.user,
                versions=grid_versions(request.POST, grid),
            )
        except Invalid as exc:
            errors = {**exc.errors, **errors}
        else:
            messages.success(
                request,
                _("Saved the numbers of learners of %(n)s schools on %(when)s.")
                % {"n": saved, "when": thai.format_datetime(timezone.now())},
            )
            keep = {k: v for k, v in request.GET.items() if k in ("page", "round")}
            return redirect(request.path + (f"?{urlencode(keep)}" if keep else ""))
    previous_round, previous = selectors.previous_entries(lao=lao, round_=round_) if editable else (None, {})
    copy = editable and request.GET.get("copy") == "previous" and typed is None
    suggestions = selectors.suggested_levels([r.school for r in grid.rows]) if editable else {}
    rows = grid_rows(grid, typed=typed, errors=errors, previous=previous if copy else None, editable=editable,
                     suggestions=suggestions)  # fmt: skip
    totals = level_totals(rows, grid.levels)
    context.update(
        grid=grid,
        rows=rows,
        totals=totals,
        genders=genders(),
        level_head=render_to_string("schools/_level_head.html", {"levels": grid.levels}),
        grand=(sum(t[1] for t in totals), sum(t[2] for t in totals)),
        page=page,
        errors=[e for row in rows for e in row.summary_errors],
        previous_round=previous_round,
        copied=sum(1 for r in rows if r.copied),
        can_copy=editable and previous_round is not None and grid.missing > 0,
        confirm_url=_confirm_url(request.user, lao)
        if editable and grid.rows and not grid.missing and not errors
        else "",
    )
    return render(request, "schools/other_headcounts.html", context)


def _levels_target(data) -> str:
    """The school whose "class levels taught" control was submitted (its own button in the grid's form), or ""."""
    return data.get("levels_for") or data.get("levels_unknown") or ""


def _levels_post(request, lao, grid, typed) -> dict:
    """Record the class levels one school teaches from the grid's levels control; {} when saved, else the
    problems keyed "<school>.levels". The numbers typed elsewhere in the grid are kept, not saved."""
    code = _levels_target(request.POST)
    row = next((r for r in grid.rows if r.school.code == code), None)
    if row is None:
        raise NotFound()
    key = f"{code}.levels"
    levels = None if request.POST.get("levels_unknown") else request.POST.getlist(f"{code}.teaches")
    if levels is not None:
        _closed, values = typed.get(code, (False, {}))
        dropped = sorted(
            {
                lvl
                for (lvl, _g), v in values.items()
                if lvl not in levels and thai.clean_text(v) not in ("", "0")
            },
            key=lambda c: BY_CODE[c].order if c in BY_CODE else 99,
        )
        if dropped:
            return {key: [
                _("You have typed numbers for %(level)s at %(school)s. Clear them first, then remove %(level)s.")
                % {"level": BY_CODE[dropped[0]].short, "school": row.school.name_th}
            ]}  # fmt: skip
    try:
        school = services.other_school_levels_set(school=row.school, levels=levels, acting_user=request.user)
    except Invalid as exc:
        return {key: [m for problems in exc.errors.values() for m in problems]}
    if school.levels_taught is None:
        text = _("%(school)s: class levels not known, so every level is shown.") % {"school": school.name_th}
    else:
        text = _("%(school)s teaches %(levels)s: the grid now shows only these levels.") % {
            "school": school.name_th,
            "levels": services.levels_label(school.levels_taught),
        }
    messages.success(request, text + " " + _("Numbers typed in the grid are kept but not saved yet."))
    return {}


def _confirm_url(user, lao) -> str:
    """The next step once every school is entered: the confirmations app's check-and-confirm page, if installed."""
    if not policy.can(user, "confirm_own", lao):
        return ""
    try:
        return reverse("confirmations:confirm", args=[lao.code]) + "?scope=other_schools"
    except NoReverseMatch:
        return ""


@login_required
def other_schools(request, code):
    lao = _lao(request, code)
    round_ = _open_round()
    schools = list(selectors.lao_other_schools(lao, active_only=False))
    entered = set()
    if round_ is not None:
        entered = set(
            selectors.OtherSchoolEntry.objects.filter(round=round_, school__in=schools).values_list(
                "school_id", flat=True
            )
        )
    return render(
        request,
        "schools/other_schools.html",
        {"lao": lao, "schools": schools, "round": round_, "entered": entered,
         "may_edit": policy.can(request.user, "edit_other_schools", lao)},
    )  # fmt: skip


@login_required
def other_school_add(request, code):
    lao = _lao(request, code, "edit_other_schools")
    form = OtherSchoolAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            school = services.other_school_add(lao=lao, acting_user=request.user, **form.cleaned_data)
        except Invalid as exc:
            for field, problems in exc.errors.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(request, _("Added %(name)s.") % {"name": school.name_th})
            return redirect("schools:other_schools", lao.code)
    return render(request, "schools/other_school_add.html", {"lao": lao, "form": form})


def _lao_school(request, code, school_code):
    lao = _lao(request, code, "edit_other_schools")
    school = Organisation.objects.filter(code=school_code, parent=lao, kind=Kind.OTHER_SCHOOL).first()
    if school is None:
        raise NotFound()
    return lao, school


@login_required
def other_school_close(request, code, school_code):
    lao, school = _lao_school(request, code, school_code)
    initial = {"closed_on": thai.format_date_input(timezone.localdate())}
    form = OtherSchoolCloseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.other_school_close(
                school=school, closed_on=form.cleaned_data["closed_on"], acting_user=request.user
            )
        except Invalid as exc:
            for problems in exc.errors.values():
                for problem in problems:
                    form.add_error("closed_on", problem)
        else:
            messages.success(request, _("%(name)s is now recorded as closed.") % {"name": school.name_th})
            return redirect("schools:other_schools", lao.code)
    return render(
        request,
        "schools/other_school_close.html",
        {"lao": lao, "school": school, "form": form, "round": _open_round()},
    )


@login_required
@require_POST
def other_school_reopen(request, code, school_code):
    lao, school = _lao_school(request, code, school_code)
    services.other_school_reopen(school=school, acting_user=request.user)
    messages.success(request, _("%(name)s is open again.") % {"name": school.name_th})
    return redirect("schools:other_schools", lao.code)
