"""Department pages: load the organisation list and provision accounts in the browser (same services as the commands)."""

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts import policy
from accounts.services import PROVISION_COLUMNS, ProvisionError, audit, users_provision
from lec.lib.errors import Forbidden
from lec.lib.net import client_ip
from schools.loader import LOADER_COLUMNS, LoadError, organisations_load

MAX_CSV_BYTES = 10 * 1024 * 1024
_PASSWORDS_KEY = "lec_provisioned_passwords"


def _require(request, action):
    if not policy.can_nationally(request.user, action):
        raise Forbidden()


def _read_csv(upload, required: list[str]) -> tuple[list[tuple[int, dict]] | None, str | None]:
    if upload is None:
        return None, _("Choose a CSV file to upload.")
    if upload.size > MAX_CSV_BYTES:
        return None, _("The file is larger than 10 MB.")
    raw = upload.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, _("The file is not UTF-8. In Excel choose “CSV UTF-8” when saving.")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        return None, _("line 1: missing columns: %(cols)s") % {"cols": ", ".join(missing)}
    reader.fieldnames = header
    return [(reader.line_num, row) for row in reader], None


@login_required
def organisations_upload(request):
    _require(request, "manage_organisations")
    context = {"columns": LOADER_COLUMNS + ["is_active"]}
    if request.method == "POST":
        rows, error = _read_csv(request.FILES.get("file"), LOADER_COLUMNS)
        if error:
            context["problems"] = [error]
        else:
            try:
                result = organisations_load(rows=rows)
            except LoadError as exc:
                context["problems"] = exc.lines
            else:
                audit(
                    user=request.user,
                    action="load_organisations",
                    ip=client_ip(request),
                    summary=result.summary(),
                )
                messages.success(
                    request,
                    _(
                        "Organisation list loaded: %(created)s created, %(updated)s updated, %(unchanged)s unchanged."
                    )
                    % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
                )
                return redirect("manage_organisations")
    return render(request, "manage/organisations.html", context)


@login_required
def users_upload(request):
    _require(request, "manage_users")
    context = {"columns": PROVISION_COLUMNS}
    if request.method == "POST":
        rows, error = _read_csv(request.FILES.get("file"), PROVISION_COLUMNS)
        if error:
            context["problems"] = [error]
        else:
            try:
                result = users_provision(
                    rows=rows, reset_passwords=request.POST.get("reset_passwords") == "1"
                )
            except ProvisionError as exc:
                context["problems"] = exc.lines
            else:
                audit(user=request.user, action="provision_users", ip=client_ip(request),
                      created=len(result.created), updated=result.updated)  # fmt: skip
                request.session[_PASSWORDS_KEY] = result.passwords
                messages.success(
                    request,
                    _(
                        "%(created)s accounts created and %(updated)s updated. Download the passwords now: they are shown once."
                    )
                    % {"created": len(result.created), "updated": result.updated},
                )
                return redirect("manage_users")
    context["passwords_ready"] = bool(request.session.get(_PASSWORDS_KEY))
    return render(request, "manage/users.html", context)


@login_required
def users_passwords(request):
    """The initial passwords of the last provisioning, once: the session copy is dropped as it is sent."""
    _require(request, "manage_users")
    if request.method != "POST":
        return redirect("manage_users")
    passwords = request.session.pop(_PASSWORDS_KEY, None)
    if not passwords:
        messages.error(
            request,
            _(
                "The passwords were already downloaded. Provision again with “reset passwords” to get new ones."
            ),
        )
        return redirect("manage_users")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["username", "password"])
    writer.writerows(passwords)
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="passwords.csv"'
    response["Cache-Control"] = "no-store"
    return response
