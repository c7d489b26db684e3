"""Template tags for the learner panel on the organisation page."""

from html import escape

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

from lec.lib import levels
from lec.lib.thai import format_date
from students import selectors

register = template.Library()


@register.simple_tag
def learner_panel(org):
    return selectors.panel_summary(org)


_ROW = (
    '    <tr>\n      <td class="roster-name" data-label="{l_name}"><a href="{url}">{name}</a></td>\n'
    '      <td class="roster-more" data-label="{l_id}"><span class="font-monospace text-nowrap">{shown}</span></td>\n'
    '      <td data-label="{l_level}"><abbr title="{full}" class="text-decoration-none">{short}</abbr></td>\n'
    '      <td class="roster-more" data-label="{l_room}">{room}</td>\n'
    '      <td class="roster-more" data-label="{l_birth}">{birth}</td>\n{inst}'
    '      <td data-label="{l_status}"><span class="tag {tag}">{status}</span></td>\n    </tr>\n'
)
_INST = '      <td class="roster-more" data-label="{l_inst}"><a href="{url}">{name}</a></td>\n'
_PK = 987654321  # a placeholder id: the URL is reversed once per page, not once per row


@register.simple_tag
def roster_rows(rows, is_institution, *labels):
    """The roster table's rows, [(learner, shown identity)], as HTML (labels: name, id, level, room, birth,
    institution, status). The same markup a per-row template loop gave, at a fraction of its CPU: the loop's
    variable lookups, escaping, `{% url %}` and label translation were half of the roster page (issue 16)."""
    l_name, l_id, l_level, l_room, l_birth, l_inst, l_status = (escape(str(x)) for x in labels)
    learner_url = reverse("students:learner", args=[_PK]).split(str(_PK))
    roster_url = reverse("students:roster", args=["CODE"]).split("CODE")
    statuses, out = {}, []
    for lr, shown in rows:
        level = levels.BY_CODE[lr.class_level]
        if lr.status not in statuses:
            statuses[lr.status] = escape(str(lr.get_status_display()))
        inst = ""
        if not is_institution:
            o = lr.organisation
            inst = _INST.format(l_inst=l_inst, url=escape(roster_url[0] + o.code + roster_url[1]),
                                name=escape(o.name_th))  # fmt: skip
        out.append(_ROW.format(
            l_name=l_name, url=f"{learner_url[0]}{lr.pk}{learner_url[1]}",
            name=escape(f"{lr.prefix}{lr.first_name} {lr.last_name}"), l_id=l_id, shown=escape(shown or ""),
            l_level=l_level, full=escape(level.full), short=escape(level.short), l_room=l_room,
            room=escape(lr.room) if lr.room else "—", l_birth=l_birth, birth=escape(format_date(lr.birth_date)),
            inst=inst, l_status=l_status, tag="tag-confirmed" if lr.status == "active" else "tag-closed",
            status=statuses[lr.status],
        ))  # fmt: skip
    return mark_safe("".join(out))  # noqa: S308 (every value above is escaped)
