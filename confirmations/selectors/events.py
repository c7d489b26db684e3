"""The round's event log and the unlock requests a user may see or decide."""

from django.db.models import Q, QuerySet

from accounts import policy
from schools.models import Organisation, Round, subtree_q

from ..models import ConfirmationEvent, UnlockRequest


def events_for(round_: Round, org: Organisation) -> QuerySet[ConfirmationEvent]:
    return (
        ConfirmationEvent.objects.filter(round=round_)
        .filter(subtree_q(org.path, "organisation__path"))
        .select_related("organisation", "actor__organisation")
        .order_by("id")
    )


def unlock_requests_for(
    user, state: str | None = None, round_: Round | None = None
) -> QuerySet[UnlockRequest]:
    """Requests this user may decide (children of organisations where they hold unlock_children) and their own."""
    qs = UnlockRequest.objects.select_related("organisation", "requested_by", "decided_by", "round")
    if not policy.is_superuser(user):
        grants = policy._grants(user)  # the policy's own per-request cache of grants
        deciders = [pk for pk, _path in grants.get("unlock_children", ())]
        own = [pk for pk, _path in grants.get("request_unlock", ())]
        qs = qs.filter(
            Q(organisation__parent_id__in=deciders) | Q(organisation_id__in=own) | Q(requested_by=user)
        )
    if state:
        qs = qs.filter(state=state)
    if round_ is not None:
        qs = qs.filter(round=round_)
    return qs.order_by("-requested_at", "-id")
