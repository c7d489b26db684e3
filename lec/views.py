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
