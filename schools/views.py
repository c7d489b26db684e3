"""The organisation page: who it is, where it sits, and its children with links."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from accounts import policy

from .models import Organisation
from .selectors import children_of


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
        {"org": org, "ancestors": ancestors, "page": page, "actions": set(policy.actions_on(request.user, org))},
    )  # fmt: skip
