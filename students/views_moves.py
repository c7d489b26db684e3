"""Learners moving between institutions and up a level: transfer requests and their decisions, promotion and
its undo. Thin like the other learner pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import policy
from lec.lib import levels
from lec.lib.errors import DomainError, Invalid, NotFound
from lec.lib.net import client_ip

from . import lookups, selectors, services
from .forms import RejectForm, TransferRequestForm
from .models import Transfer
from .views import TRANSFER_PREFILL, _institution


@login_required
def transfers(request, code):
    org = policy.access_organisation(request.user, code)
    pending = Transfer.State.PENDING
    incoming = selectors.transfer_list(request.user, direction="incoming", state=pending, organisation=org)
    outgoing = selectors.transfer_list(request.user, direction="outgoing", state=pending, organisation=org)
    decided = selectors.transfer_list(request.user, organisation=org).exclude(state=pending)[:20]

    def rows(qs):
        return [
            (
                t,
                selectors.transfer_out(t, request.user),
                policy.can(request.user, "approve_transfers", t.from_organisation),
            )
            for t in qs
        ]

    return render(
        request,
        "students/transfers.html",
        {
            "org": org,
            "incoming": rows(incoming),
            "outgoing": rows(outgoing),
            "decided": rows(decided),
            "can_request": org.is_institution
            and not org.learners_locked
            and policy.can(request.user, "edit_learners", org),
        },
    )


@login_required
def transfer_request(request, code):
    org = _institution(request.user, code)
    initial = {
        "class_level": request.GET.get("class_level", ""),
        "identity": request.session.pop(TRANSFER_PREFILL, ""),
    }
    form = TransferRequestForm(request.POST or None, organisation=org, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            value = form.cleaned_data.get("identity") or ""
            with lookups.holder_lookup(request.user, purpose="transfer_page", value=value, organisation=org,
                                       ip=client_ip(request), every_attempt=True):  # fmt: skip
                services.transfer_request(
                    identity_value=value,
                    to_organisation=org,
                    class_level=form.cleaned_data.get("class_level") or "",
                    acting_user=request.user,
                )
        except Invalid as exc:
            form.add_service_errors(exc.errors)
        except NotFound as exc:
            form.add_error("identity", str(exc.message))
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(
                request, _("The transfer request was sent. The sending institution or its LAO will decide.")
            )
            return redirect("students:transfers", code=org.code)
    return render(request, "students/transfer_request.html", {"org": org, "form": form})


def _decidable(request, pk) -> Transfer:
    transfer = selectors.transfer_get(request.user, pk)
    policy.require(request.user, "approve_transfers", transfer.from_organisation)
    return transfer


@login_required
@require_POST
def transfer_approve(request, pk):
    transfer = _decidable(request, pk)
    services.transfer_approve(transfer_id=transfer.pk, acting_user=request.user)
    messages.success(
        request,
        _("Transfer approved: the learner now belongs to %(name)s.")
        % {"name": transfer.to_organisation.name_th},
    )
    return redirect("students:transfers", code=_back_code(request, transfer))


def _back_code(request, transfer):
    mine = request.user.organisation
    return mine.code if mine is not None else transfer.from_organisation.code


@login_required
def transfer_reject(request, pk):
    transfer = _decidable(request, pk)
    form = RejectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.transfer_reject(
                transfer_id=transfer.pk,
                reason=form.cleaned_data.get("reason") or "",
                acting_user=request.user,
            )
        except Invalid as exc:
            form.add_service_errors(exc.errors)
        else:
            messages.success(request, _("The transfer request was rejected."))
            return redirect("students:transfers", code=_back_code(request, transfer))
    out = selectors.transfer_out(transfer, request.user)
    return render(
        request,
        "students/transfer_reject.html",
        {"form": form, "transfer": transfer, "out": out, "org": transfer.from_organisation},
    )


# ---------------------------------------------------------------------------------------------------------
# Promotion


@login_required
def promotion(request, code):
    org = _institution(request.user, code)
    choice = request.POST.get("p6_to_m1", request.GET.get("p6_to_m1"))
    p6_to_m1 = None if choice in (None, "") else choice == "1"
    if p6_to_m1 is None:
        p6_to_m1 = services.promotion_teaches_secondary(org)
    if request.method == "POST":
        batch = services.promotion_apply(organisation=org, acting_user=request.user, p6_to_m1=p6_to_m1)
        messages.success(
            request,
            _("Promotion done: %(n)s learners changed. You can undo it below if it was a mistake.")
            % {"n": len(batch.changes)},
        )
        return redirect("students:promotion", code=org.code)
    preview = services.promotion_preview(organisation=org, p6_to_m1=p6_to_m1)
    for row in preview["rows"]:
        row["from_level"] = levels.BY_CODE[row["from"]]
        row["to_level"] = levels.BY_CODE.get(row["to"])
    return render(
        request,
        "students/promotion.html",
        {
            "org": org,
            "preview": preview,
            "p6_to_m1": p6_to_m1,
            "has_p6": any(r["from"] == "p6" for r in preview["rows"]),
            "batches": selectors.promotion_batches(org),
        },
    )


@login_required
@require_POST
def promotion_undo(request, pk):
    from .models import PromotionBatch

    batch = PromotionBatch.objects.select_related("organisation").filter(pk=pk).first()
    if batch is None:
        raise NotFound()
    policy.require(request.user, "edit_learners", batch.organisation)
    services.promotion_undo(batch_id=batch.pk, acting_user=request.user)
    messages.success(request, _("The promotion was undone: every learner is back where they were."))
    return redirect("students:promotion", code=batch.organisation.code)
