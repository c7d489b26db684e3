"""Reads of the tree that pages and the API share, already limited by the policy."""

from django.db.models import QuerySet

from accounts import policy

from .models import Kind, Organisation


def children_of(user, organisation: Organisation, kind: str | None = None) -> QuerySet[Organisation]:
    qs = (
        Organisation.objects.filter(parent=organisation)
        .filter(policy.visibility_q(user))
        .order_by("kind", "name_th", "code")
    )
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def other_schools_of(user, lao: Organisation) -> QuerySet[Organisation]:
    return children_of(user, lao, Kind.OTHER_SCHOOL)
