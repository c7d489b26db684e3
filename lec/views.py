"""Home: sends each user to their organisation's page (the health checks are in lec/ops.py)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render


@login_required
def home(request):
    org = request.user.organisation
    if org is None:
        if request.user.is_staff:
            return redirect("admin:index")
        return render(request, "no_organisation.html")
    return redirect(org.get_absolute_url())


# While the database is away (a restart, a failover) a request cannot be served; it can be retried in a few
# seconds. Clients and haproxy should hear that (503 + Retry-After), not a bare 500, and the page must not need
# the database to render.
RETRY_AFTER_SECONDS = 5


def database_unavailable(exc: BaseException | None) -> bool:
    from django.db import InterfaceError, OperationalError

    return isinstance(exc, OperationalError | InterfaceError)


def server_error(request):
    """handler500: 503 with Retry-After when the database could not be reached, else a plain 500; JSON with
    api.md's body under /api/v1. Renders without a request context (nothing here may touch the database)."""
    import sys

    from django.http import HttpResponse, JsonResponse
    from django.template.loader import render_to_string
    from django.utils.translation import gettext as _

    unavailable = database_unavailable(sys.exc_info()[1])
    status = 503 if unavailable else 500
    if unavailable:
        detail, code = _("The service is busy for a moment. Try again in a few seconds."), "unavailable"
    else:
        detail, code = _("Something went wrong on the server. Try again later."), "server_error"
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": detail, "code": code}, status=status, json_dumps_params={"ensure_ascii": False}
        )
    else:
        response = HttpResponse(render_to_string("500.html", {"detail": detail}), status=status)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
