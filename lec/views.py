"""Home (sends each user to their organisation's page) and the health check."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render


@login_required
def home(request):
    org = request.user.organisation
    if org is None:
        if request.user.is_staff:
            return redirect("admin:index")
        return render(request, "no_organisation.html")
    return redirect(org.get_absolute_url())


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
