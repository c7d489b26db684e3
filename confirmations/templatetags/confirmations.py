"""Status tags with ui.md's words and colours, rendered without a template include per cell (dashboards list
hundreds of rows)."""

from html import escape
from urllib.parse import quote

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from confirmations.models import Confirmation, Scope, UnlockRequest
from confirmations.selectors import scopes_of
from confirmations.selectors.dashboard import ENTERED, MISSING, REQUESTED
from lec.lib import wording
from lec.lib.thai import format_datetime
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


# --- the dashboard's children table ---------------------------------------------------------------------------

_SELECT = (
    '<td data-label="{l_select}"><input class="form-check-input" type="checkbox" form="bulk-form" name="codes" '
    'value="{code}"{checked} aria-label="{select_name}"></td>'
)
_EMPTY_CELL = '<td class="d-none d-sm-table-cell"></td>'
_UNLOCK = (
    '<td data-label="{l_unlock}">\n      <details><summary class="btn btn-outline-secondary btn-sm">{l_unlock}</summary>\n'
    '        <form method="post" action="{url}" class="mt-2" hx-boost="true">{csrf}\n'
    '          <input type="hidden" name="round" value="{round}">\n          {scope}\n'
    '          <label class="form-label small" for="reason-{code}">{l_reason}</label>\n'
    '          <textarea class="form-control mb-2" id="reason-{code}" name="reason" rows="2" required></textarea>\n'
    '          <button class="btn btn-warning" type="submit">{l_unlock}</button>\n        </form></details></td>'
)
_BOTH_SCOPES = (
    '\n          <label class="form-label small" for="scope-{code}">{l_what}</label>\n'
    '          <select class="form-select mb-2" id="scope-{code}" name="scope"><option value="learners">{l_learners}'
    '</option><option value="other_schools">{l_other}</option></select>\n          '
)
_ONE_SCOPE = '<input type="hidden" name="scope" value="{scope}">'
_URL_SAFE = RFC3986_SUBDELIMS + "/~:@"  # what reverse() leaves unquoted in an argument
_CODE = "CODE-987654321"  # a placeholder: each URL is reversed once per page, not once per row


def _num(value) -> str:
    """The `num` filter (lec.templatetags.thai, intcomma without localisation): 1234 → '1,234'."""
    if type(value) is int:
        return f"{value:,}"
    return "0" if value is None or value == "" else escape(str(intcomma(value, use_l10n=False)))


@register.simple_tag(takes_context=True)
def dashboard_rows(
    context, rows, org_kind, round_pk, may_unlock, round_open, closed, other_column, ticked, *labels
):
    """The dashboard's children rows (ChildRow) as HTML, labels: select, name, status, learners, other-affiliation
    schools, progress, learners now, confirmed, other-affiliation headcount, last change, unlock, what to unlock,
    reason, nothing to show. The markup the per-row template loop gave, at a fraction of its CPU (issue 16): the
    loop's variable lookups, a `{% url %}` and a `{% csrf_token %}` per row and a tag and a translation per cell
    were most of a province's page. Every value is escaped here."""
    (l_select, l_name, l_status, l_learners, l_other, l_progress, l_now, l_confirmed, l_headcount, l_last,
     l_unlock, l_what, l_reason, l_nothing) = (escape(str(x)) for x in labels)  # fmt: skip
    if not rows:
        return mark_safe(f'<tr><td colspan="9">{l_nothing}</td></tr>')  # noqa: S308 (escaped above)
    may_unlock = may_unlock and round_open
    dashboard_url = reverse("confirmations:dashboard", args=[_CODE]).split(_CODE)
    unlock_url = reverse("confirmations:unlock", args=[_CODE]).split(_CODE)
    select_name = _("Select %(name)s")
    csrf = ""
    if may_unlock:
        token = context.get("csrf_token")  # as {% csrf_token %}: the page's one token, in every row's form
        if token and token != "NOTPROVIDED":
            csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(str(token))}">'
    tags: dict = {}

    def tag(state):
        if state not in tags:
            tags[state] = status_tag(state, closed)
        return tags[state]

    department, lao = org_kind == "department", org_kind == "lao"
    rnd = escape(str(round_pk))
    out = []
    for row in rows:
        o = row.org
        code = escape(o.code)
        name = escape(o.name_th)
        confirmed = row.learners == CONFIRMED or row.other_schools == CONFIRMED
        cells = ["\n  <tr>\n    "]
        if may_unlock and not lao:
            if confirmed:
                cells.append(_SELECT.format(
                    l_select=l_select, code=code, checked=" checked" if o.code in ticked else "",
                    select_name=select_name % {"name": name},
                ))  # fmt: skip
            else:
                cells.append(_EMPTY_CELL)
        if o.kind == "other_school":
            cells.append(f'\n    <td data-label="{l_name}">{name}')
        else:
            url = escape(dashboard_url[0] + quote(o.code, safe=_URL_SAFE) + dashboard_url[1])
            cells.append(f'\n    <td data-label="{l_name}"><a href="{url}?round={rnd}">{name}</a>')
        cells.append(f' <span class="small text-body-secondary">{code}</span></td>\n    '
                     f'<td data-label="{l_status}">{tag(row.status)}</td>\n    ')  # fmt: skip
        if not department:
            cells.append(f'<td data-label="{l_learners}">{tag(row.learners)}</td>\n    '
                         f'<td data-label="{l_other}">{tag(row.other_schools)}</td>')  # fmt: skip
        cells.append("\n    ")
        if not lao:
            cells.append(f'<td data-label="{l_progress}">{_num(row.done)}/{_num(row.total)}</td>')
        cells.append(f'\n    <td data-label="{l_now}" class="text-end">{_num(row.live_total)}</td>\n    '
                     f'<td data-label="{l_confirmed}" class="text-end">{_num(row.confirmed_total)}</td>')  # fmt: skip
        if other_column:
            cells.append(f'<td data-label="{l_headcount}" class="text-end">{_num(row.other_total)}</td>')
        last = escape(format_datetime(row.last_change)) or "—"
        cells.append(f'\n    <td data-label="{l_last}">{last}</td>\n    ')
        if may_unlock:
            if confirmed:
                if row.learners == CONFIRMED and row.other_schools == CONFIRMED:
                    scope = _BOTH_SCOPES.format(
                        code=code, l_what=l_what, l_learners=l_learners, l_other=l_other
                    )
                else:
                    scope = _ONE_SCOPE.format(
                        scope="learners" if row.learners == CONFIRMED else "other_schools"
                    )
                cells.append(_UNLOCK.format(
                    l_unlock=l_unlock, url=escape(unlock_url[0] + quote(o.code, safe=_URL_SAFE) + unlock_url[1]),
                    csrf=csrf, round=rnd, scope=scope, code=code, l_reason=l_reason,
                ))  # fmt: skip
            else:
                cells.append(_EMPTY_CELL)
        cells.append("\n  </tr>\n  ")
        out.append("".join(cells))
    return mark_safe("".join(out))  # noqa: S308 (every value above is escaped)
