"""An officer's pages over the accounts below them: the password reset of a subordinate account (the commonest
call on deadline day) and their organisation's audit trail."""

import json

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from lec.lib.errors import Forbidden
from lec.lib.net import client_ip
from lec.logs import mask

from .audit_labels import ACTION_LABELS, label
from .models import AuditLog
from .services import resettable_accounts, user_reset_password_by_officer

PAGE_SIZE = 50


@login_required
def account_resets(request):
    """The accounts below the officer's level in their organisation, searchable by username or name."""
    accounts = resettable_accounts(request.user)
    if request.user.organisation is None:
        raise Forbidden()
    query = request.GET.get("q", "").strip()[:100]
    if query:
        accounts = accounts.filter(username__icontains=query) | accounts.filter(
            organisation__name_th__icontains=query
        )
    page = Paginator(accounts.order_by("organisation__code", "username"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/account_resets.html", {"page": page, "q": query})


@login_required
@require_POST
def account_reset(request, username):
    target = get_object_or_404(resettable_accounts(request.user), username=username)
    password = user_reset_password_by_officer(target=target, acting_user=request.user, ip=client_ip(request))
    response = render(request, "accounts/account_reset_done.html", {"target": target, "password": password})
    response["Cache-Control"] = "no-store"
    return response


def _audit_rows(user):
    own = user.organisation
    qs = AuditLog.objects.select_related("organisation").order_by("-at", "-pk")
    if user.is_superuser and own is None:
        return qs
    if own is None:
        return qs.none()
    return qs.filter(organisation__path__startswith=own.path + "/") | qs.filter(organisation=own)


@login_required
def audit_trail(request):
    """The audit rows of the user's organisation and everything below it, newest first, by event."""
    rows = _audit_rows(request.user)
    action = request.GET.get("action", "")
    if action in ACTION_LABELS:
        rows = rows.filter(action=action)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    entries = [
        {
            "at": row.at,
            "who": row.username or (row.user_id and str(row.user_id)) or "",
            "label": label(row.action),
            "organisation": row.organisation,
            "object_ref": mask(row.object_ref),
            "detail": mask(json.dumps(row.detail, ensure_ascii=False))[:300] if row.detail else "",
            "ip": row.ip or "",
        }
        for row in page
    ]
    choices = sorted(((k, str(v)) for k, v in ACTION_LABELS.items()), key=lambda kv: kv[1])
    return render(request, "accounts/audit_trail.html",
                  {"page": page, "entries": entries, "action": action, "choices": choices})  # fmt: skip
