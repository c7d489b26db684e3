"""Budget pages: the estimate of any organisation (one chart, the same numbers in tables), how a figure was computed,
the comparison with the previous round and a what-if with proposed rates, and the department's rates page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import policy
from lec.lib.errors import Forbidden
from lec.lib.net import client_ip
from schools.models import Organisation, Round

from . import selectors
from .engine import RateBook, money
from .forms import RatesUploadForm, WhatIfForm
from .models import BudgetRate, Item
from .rates import MAX_BYTES, RatesError, decode, merge, overlap_problems, read_rates
from .services import rates_load

RATES_ACTION = "manage_rounds"  # held nationally: the department sets rounds and loads the year's rates


def _selection(request) -> dict:
    """The round and fiscal year a page shows: asked for, else the open (or latest) round and its fiscal year."""
    round_id = request.GET.get("round") or request.POST.get("round")
    round_ = Round.objects.filter(pk=round_id).first() if str(round_id or "").isdigit() else None
    round_ = round_ or selectors.default_round()
    year = request.GET.get("fiscal_year") or request.POST.get("fiscal_year")
    year = int(year) if str(year or "").isdigit() else (selectors.fiscal_year_of(round_) if round_ else None)
    book = selectors.rate_book(year) if year else RateBook(0, [])
    return {"round": round_, "fiscal_year": year, "book": book, "rounds": Round.objects.order_by("-academic_year", "-term")[:12],
            "years": selectors.fiscal_years()}  # fmt: skip


def _problems(exc: RatesError) -> list[str]:
    return [_("line %(n)s: %(reason)s") % {"n": n, "reason": m} if n else m for n, m in exc.problems]


@login_required
def estimate_page(request, code):
    org = policy.access_organisation(request.user, code)
    ctx = {"org": org, **_selection(request)}
    if ctx["round"] is not None and ctx["book"]:
        data = selectors.budget(ctx["round"], org, ctx["book"], by="child")
        est = data["estimate"]
        items = [
            {"item": i, "label": Item(i).label, "pupils": p, "amount": a}
            for i, (p, a) in est.by_item().items()
        ]
        ctx.update(
            data=data,
            items=items,
            by_level=[{"class_level": lvl, "pupils": p, "amount": a} for lvl, (p, a) in est.by_level().items()],
            missing=list(Organisation.objects.filter(code__in=data["missing"]).order_by("code").only("code", "name_th", "kind")),
            chart={"labels": [str(x["label"]) for x in items], "amounts": [float(money(x["amount"])) for x in items],
                   "label": _("Baht")},
        )  # fmt: skip
    return render(request, "budget/estimate.html", ctx)


@login_required
def explain_page(request, code):
    org = policy.access_organisation(request.user, code)
    ctx = {"org": org, **_selection(request)}
    item = request.GET.get("item", "")
    class_level = request.GET.get("class_level", "")
    ctx.update(item=item if item in Item.values else "", class_level=class_level)
    if ctx["round"] is not None and ctx["book"]:
        ctx["explained"] = selectors.explain(ctx["round"], org, ctx["book"], ctx["item"], class_level)
        ctx["aggregated"] = org.kind in ("department", "province")
    return render(request, "budget/explain.html", ctx)


@login_required
def compare_page(request, code):
    org = policy.access_organisation(request.user, code)
    ctx = {"org": org, **_selection(request), "form": WhatIfForm()}
    if ctx["round"] is None or not ctx["book"]:
        return render(request, "budget/compare.html", ctx)
    ctx["previous"] = selectors.previous_round(ctx["round"])
    ctx["compared"] = selectors.compare(ctx["round"], ctx["previous"], org, ctx["book"])
    if request.method == "POST":
        form = WhatIfForm(request.POST, request.FILES)
        ctx["form"] = form
        if form.is_valid():
            try:
                proposed = _proposed_book(form.cleaned_data["file"].read(MAX_BYTES + 1), ctx["book"])
            except RatesError as exc:
                ctx["problems"] = _problems(exc)
            else:
                ctx["what_if"] = selectors.what_if(ctx["round"], org, ctx["book"], proposed)
    return render(request, "budget/compare.html", ctx)


def _proposed_book(data: bytes, book: RateBook) -> RateBook:
    """The year's stored rates with the file's rows of that year upserted, as loading it would leave them; kept
    in memory only."""
    rows = [r for r in read_rates(decode(data)) if r.fiscal_year == book.fiscal_year]
    if not rows:
        raise RatesError(
            [(0, _("The file has no rates for fiscal year %(year)s.") % {"year": book.fiscal_year})]
        )
    merged = merge(book.rates, rows)
    problems = overlap_problems(merged)
    if problems:
        raise RatesError(problems)
    return RateBook(book.fiscal_year, merged)


@login_required
def rates_page(request):
    may_load = policy.can_nationally(request.user, RATES_ACTION)
    years = selectors.fiscal_years()
    year = request.GET.get("fiscal_year")
    year = int(year) if str(year or "").isdigit() else (years[0] if years else None)
    form = RatesUploadForm()
    problems = []
    if request.method == "POST":
        if not may_load:
            raise Forbidden()
        form = RatesUploadForm(request.POST, request.FILES)
        if form.is_valid():
            dry_run = form.cleaned_data["dry_run"]
            try:
                result = rates_load(data=form.cleaned_data["file"].read(MAX_BYTES + 1), acting_user=request.user,
                                    ip=client_ip(request), dry_run=dry_run)  # fmt: skip
            except RatesError as exc:
                problems = _problems(exc)
            else:
                counts = {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
                if dry_run:
                    messages.info(request, _("The file can be loaded: %(created)s new, %(updated)s changed, "
                                             "%(unchanged)s unchanged. Nothing was saved.") % counts)  # fmt: skip
                else:
                    messages.success(request, _("Rates loaded: %(created)s new, %(updated)s changed, "
                                                "%(unchanged)s unchanged.") % counts)  # fmt: skip
                return redirect(reverse("budget:rates") + f"?fiscal_year={result.years[0]}")
    rates = list(BudgetRate.objects.filter(fiscal_year=year)) if year else []
    return render(request, "budget/rates.html", {"years": years, "fiscal_year": year, "rates": rates,
                                                 "form": form, "problems": problems, "may_load": may_load})  # fmt: skip
