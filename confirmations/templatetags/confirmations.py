"""Status tags with ui.md's words and colours, rendered without a template include per cell (dashboards list
hundreds of rows)."""

from django import template
from django.utils.html import format_html
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
        return format_html('<span class="text-body-secondary">—</span>')
    return format_html('<span class="tag {}">{}</span>', found[0], found[1]())
