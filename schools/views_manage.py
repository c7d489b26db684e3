"""The department's page that loads the organisation list from a CSV file (the same loader as the command)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts import policy
from accounts.services import audit
from lec.lib.csv_table import read_upload
from lec.lib.errors import Forbidden
from lec.lib.net import client_ip
from lec.lib.spreadsheets.files import FileRefused

from .loader import LOADER_COLUMNS, LoadError, organisations_load


@login_required
def organisations_upload(request):
    if not policy.can_nationally(request.user, "manage_organisations"):
        raise Forbidden()
    context = {"columns": LOADER_COLUMNS + ["is_active"]}
    if request.method == "POST":
        try:
            result = organisations_load(rows=read_upload(request.FILES.get("file"), LOADER_COLUMNS))
        except FileRefused as exc:
            context["problems"] = [exc.message]
        except LoadError as exc:
            context["problems"] = exc.lines
        else:
            audit(
                acting_user=request.user,
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
