"""The dashboard's children rows are built by the `dashboard_rows` tag (issue 16: the per-row template loop, with a
`{% url %}`, a `{% csrf_token %}` and a translation per row, was most of a province's page). They must be the
markup the loop gave, byte for byte, every value escaped."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import translation

from confirmations.selectors.dashboard import ChildRow
from schools.models import Organisation

# The loop the tag replaced, as confirmations/dashboard.html had it before issue 16's second pass.
LOOP = Template(
    """{% load i18n thai confirmations %}{% translate "Select" as t_select %}{% translate "Name" as t_name %}{% translate "Status" as t_status %}{% translate "Learners" as t_learners %}{% translate "Other-affiliation schools" as t_other_affiliation_schools %}{% translate "Progress" as t_progress %}{% translate "Learners now" as t_learners_now %}{% translate "Confirmed" as t_confirmed %}{% translate "Last change" as t_last_change %}{% translate "Unlock" as t_unlock %}{% translate "What to unlock" as t_what_to_unlock %}{% translate "Reason" as t_reason %}{% translate "Nothing to show." as t_nothing_to_show %}<tbody>{% for row in children %}
  <tr>
    {% if may_unlock_children and board.round_open and org.kind != "lao" %}{% if row.learners == "confirmed" or row.other_schools == "confirmed" %}<td data-label="{{ t_select }}"><input class="form-check-input" type="checkbox" form="bulk-form" name="codes" value="{{ row.org.code }}"{% if row.org.code in ticked %} checked{% endif %} aria-label="{% blocktranslate with name=row.org.name_th %}Select {{ name }}{% endblocktranslate %}"></td>{% else %}<td class="d-none d-sm-table-cell"></td>{% endif %}{% endif %}
    <td data-label="{{ t_name }}">{% if row.org.kind == "other_school" %}{{ row.org.name_th }}{% else %}<a href="{% url 'confirmations:dashboard' row.org.code %}?round={{ round.pk }}">{{ row.org.name_th }}</a>{% endif %} <span class="small text-body-secondary">{{ row.org.code }}</span></td>
    <td data-label="{{ t_status }}">{% status_tag row.status closed %}</td>
    {% if org.kind != "department" %}<td data-label="{{ t_learners }}">{% status_tag row.learners closed %}</td>
    <td data-label="{{ t_other_affiliation_schools }}">{% status_tag row.other_schools closed %}</td>{% endif %}
    {% if org.kind != "lao" %}<td data-label="{{ t_progress }}">{{ row.done|num }}/{{ row.total|num }}</td>{% endif %}
    <td data-label="{{ t_learners_now }}" class="text-end">{{ row.live_total|num }}</td>
    <td data-label="{{ t_confirmed }}" class="text-end">{{ row.confirmed_total|num }}</td>{% if board.other_total %}<td data-label="{% translate 'Other-affiliation headcount' %}" class="text-end">{{ row.other_total|num }}</td>{% endif %}
    <td data-label="{{ t_last_change }}">{{ row.last_change|thdatetime|default:"—" }}</td>
    {% if may_unlock_children and board.round_open %}{% if row.learners == "confirmed" or row.other_schools == "confirmed" %}<td data-label="{{ t_unlock }}">
      <details><summary class="btn btn-outline-secondary btn-sm">{{ t_unlock }}</summary>
        <form method="post" action="{% url 'confirmations:unlock' row.org.code %}" class="mt-2" hx-boost="true">{% csrf_token %}
          <input type="hidden" name="round" value="{{ round.pk }}">
          {% if row.learners == "confirmed" and row.other_schools == "confirmed" %}
          <label class="form-label small" for="scope-{{ row.org.code }}">{{ t_what_to_unlock }}</label>
          <select class="form-select mb-2" id="scope-{{ row.org.code }}" name="scope"><option value="learners">{{ t_learners }}</option><option value="other_schools">{{ t_other_affiliation_schools }}</option></select>
          {% else %}<input type="hidden" name="scope" value="{% if row.learners == 'confirmed' %}learners{% else %}other_schools{% endif %}">{% endif %}
          <label class="form-label small" for="reason-{{ row.org.code }}">{{ t_reason }}</label>
          <textarea class="form-control mb-2" id="reason-{{ row.org.code }}" name="reason" rows="2" required></textarea>
          <button class="btn btn-warning" type="submit">{{ t_unlock }}</button>
        </form></details></td>{% else %}<td class="d-none d-sm-table-cell"></td>{% endif %}{% endif %}
  </tr>
  {% empty %}<tr><td colspan="9">{{ t_nothing_to_show }}</td></tr>{% endfor %}</tbody>"""
)
TAG = Template(
    '{% load i18n confirmations %}{% translate "Select" as t_select %}{% translate "Name" as t_name %}'
    '{% translate "Status" as t_status %}{% translate "Learners" as t_learners %}'
    '{% translate "Other-affiliation schools" as t_other_affiliation_schools %}{% translate "Progress" as t_progress %}'
    '{% translate "Learners now" as t_learners_now %}{% translate "Confirmed" as t_confirmed %}'
    '{% translate "Last change" as t_last_change %}{% translate "Unlock" as t_unlock %}'
    '{% translate "What to unlock" as t_what_to_unlock %}{% translate "Reason" as t_reason %}'
    '{% translate "Nothing to show." as t_nothing_to_show %}'
    '{% translate "Other-affiliation headcount" as t_other_affiliation_headcount %}'
    "<tbody>{% dashboard_rows children org.kind round.pk may_unlock_children board.round_open closed "
    "board.other_total ticked t_select t_name t_status t_learners t_other_affiliation_schools t_progress "
    "t_learners_now t_confirmed t_other_affiliation_headcount t_last_change t_unlock t_what_to_unlock t_reason "
    "t_nothing_to_show %}</tbody>"
)
HOSTILE = '<b>"ก&ข"</b> O\'Neil'


class Board:
    def __init__(self, round_open, other_total):
        self.round_open, self.other_total = round_open, other_total


class Round:
    pk = 7


def _rows(kind):
    child_kind = {"lao": "school", "province": "lao", "department": "province"}[kind]
    at = dt.datetime(2026, 11, 20, 7, 5, tzinfo=dt.UTC)
    states = [
        ("confirmed", "confirmed"),
        ("confirmed", None),
        (None, "confirmed"),
        ("open", "open"),
        (None, None),
    ]
    rows = []
    for i, (learners, other) in enumerate(states):
        org = Organisation(
            pk=i + 1, kind=child_kind, code=f"C{i}&<x>" if i == 0 else f"C{i}", name_th=HOSTILE
        )
        rows.append(ChildRow(org, learners=learners, other_schools=other, last_change=at if i % 2 else None,
                             live_total=1234567 * i, confirmed_total=1000 * i, other_total=i, done=i, total=5))  # fmt: skip
    other = Organisation(pk=9, kind="other_school", code="OS<1>", name_th="โรงเรียน 'นอก' & <ก>")
    rows.append(ChildRow(other, other_schools="missing"))
    rows.append(
        ChildRow(Organisation(pk=10, kind=child_kind, code="C9", name_th="ร"), learners="open", pending=[1])
    )
    return rows


@pytest.mark.parametrize("kind", ["lao", "province", "department"])
@pytest.mark.parametrize("may_unlock", [True, False])
@pytest.mark.parametrize(("round_open", "closed"), [(True, False), (False, True)])
@pytest.mark.parametrize("other_total", [0, 15])
def test_dashboard_rows_are_the_template_loops_markup(kind, may_unlock, round_open, closed, other_total):
    context = {
        "children": _rows(kind),
        "org": Organisation(kind=kind, code="P"),
        "round": Round(),
        "board": Board(round_open, other_total),
        "may_unlock_children": may_unlock,
        "closed": closed,
        "ticked": {"C1", "C2"},
        "csrf_token": "tok<en>",
    }
    with translation.override("th"):
        expected = LOOP.render(Context(context))
        got = TAG.render(Context(context))
    assert got == expected
    assert "<b>" not in got and "&lt;b&gt;&quot;ก&amp;ข&quot;&lt;/b&gt; O&#x27;Neil" in got
    assert "OS&lt;1&gt;" in got and "OS<1>" not in got
    if may_unlock and round_open:
        assert 'value="tok&lt;en&gt;"' in got and "/confirm/C0&amp;%3Cx%3E/unlock/" in got
        assert ("checked aria-label=" in got) is (kind != "lao")


def test_an_empty_page_says_so():
    context = {"children": [], "org": Organisation(kind="lao"), "round": Round(), "board": Board(True, 0),
               "may_unlock_children": True, "closed": False, "ticked": set()}  # fmt: skip
    with translation.override("th"):
        expected = LOOP.render(Context(context))
        got = TAG.render(Context(context))
    assert got == expected and 'colspan="9"' in got
