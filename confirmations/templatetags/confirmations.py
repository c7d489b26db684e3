"""Status tags with ui.md's words and colours, rendered without a template include per cell (dashboards list
hundreds of rows)."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()

_TAGS = {
    "confirmed": ("tag-confirmed", lambda: _("Confirmed")),
    "open": ("tag-open", lambda: _("Not confirmed")),
    "requested": ("tag-requested", lambda: _("Unlock requested")),
    "closed": ("tag-closed", lambda: _("Closed")),
    "missing": ("tag-missing", lambda: _("Not entered")),
    "entered": ("tag-confirmed", lambda: _("Entered")),
}


@register.simple_tag
def status_tag(state, round_closed=False):
    """One coloured tag for a state; after the close, anything not confirmed shows as "round closed"."""
    if round_closed and state in ("open", "requested", "missing"):
        state = "closed"
    found = _TAGS.get(state)
    if found is None:
        return mark_safe('<span class="text-body-secondary">—</span>')
    return format_html('<span class="tag {}">{}</span>', found[0], found[1]())


@register.simple_tag
def own_states(org, rnd):
    """[(scope label, state)] of the organisation's own confirmation in the round, for the organisation page."""
    from confirmations.models import Confirmation, Scope, UnlockRequest
    from confirmations.selectors import scopes_of

    if rnd is None:
        return []
    scopes = scopes_of(org)
    if not scopes:
        return []
    confirmed = set(
        Confirmation.objects.filter(
            round=rnd, organisation=org, state=Confirmation.State.CONFIRMED
        ).values_list("scope", flat=True)
    )
    pending = set()
    if confirmed:
        pending = set(
            UnlockRequest.objects.filter(
                round=rnd, organisation=org, state=UnlockRequest.State.PENDING
            ).values_list("scope", flat=True)
        )
    labels = dict(Scope.choices)
    states = []
    for scope in scopes:
        state = "requested" if scope in pending else "confirmed" if scope in confirmed else "open"
        states.append((labels[scope], "closed" if rnd.state == "closed" and state != "confirmed" else state))
    return states
