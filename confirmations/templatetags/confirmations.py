"""Status tags with ui.md's words and colours, rendered without a template include per cell (dashboards list
hundreds of rows)."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from confirmations.models import Confirmation, Scope, UnlockRequest
from confirmations.selectors import scopes_of
from confirmations.selectors.dashboard import ENTERED, MISSING, REQUESTED
from lec.lib import wording
from schools.models import Round

register = template.Library()

CONFIRMED, OPEN = Confirmation.State.CONFIRMED, Confirmation.State.OPEN
CLOSED = "closed"  # anything not confirmed once the round has closed (a tag, not a state)
_TAGS = {
    CONFIRMED: ("tag-confirmed", lambda: _("Confirmed")),
    OPEN: ("tag-open", lambda: _("Not confirmed")),
    REQUESTED: ("tag-requested", lambda: _("Unlock requested")),
    CLOSED: ("tag-closed", lambda: _("Closed")),
    MISSING: ("tag-missing", lambda: _("Not entered")),
    ENTERED: ("tag-confirmed", lambda: _("Entered")),
}


@register.simple_tag
def status_tag(state, round_closed=False):
    """One coloured tag for a state; after the close, anything not confirmed shows as "round closed"."""
    if round_closed and state in (OPEN, REQUESTED, MISSING):
        state = CLOSED
    found = _TAGS.get(state)
    if found is None:
        return mark_safe('<span class="text-body-secondary">—</span>')
    return format_html('<span class="tag {}">{}</span>', found[0], found[1]())


@register.simple_tag
def own_states(org, round_):
    """[(scope label, state)] of the organisation's own confirmation in the round, for the organisation page."""
    if round_ is None:
        return []
    scopes = scopes_of(org)
    if not scopes:
        return []
    confirmed = set(
        Confirmation.objects.filter(
            round=round_, organisation=org, state=Confirmation.State.CONFIRMED
        ).values_list("scope", flat=True)
    )
    pending = set()
    if confirmed:
        pending = set(
            UnlockRequest.objects.filter(
                round=round_, organisation=org, state=UnlockRequest.State.PENDING
            ).values_list("scope", flat=True)
        )
    labels = dict(Scope.choices)
    labels[Scope.LEARNERS] = wording.for_kind(org.kind, "Learners")  # a CDC confirms its เด็กเล็ก
    states = []
    for scope in scopes:
        state = REQUESTED if scope in pending else CONFIRMED if scope in confirmed else OPEN
        states.append(
            (labels[scope], CLOSED if round_.state == Round.State.CLOSED and state != CONFIRMED else state)
        )
    return states
