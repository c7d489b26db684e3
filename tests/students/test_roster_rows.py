"""The roster's rows are built by the `roster_rows` tag (issue 16: the per-row template loop was half of the
roster page's CPU). They must be the markup the loop gave, every value escaped."""

import datetime as dt
import re

import pytest
from django.template import Context, Template
from django.utils import translation

from students.models import Learner, Status

pytestmark = pytest.mark.django_db

# The loop the tag replaced, as students/roster.html had it before issue 16.
LOOP = Template(
    "{% load i18n thai %}"
    "{% translate 'Name' as l_name %}{% translate 'National ID / G-Code' as l_id %}"
    "{% translate 'Class level' as l_level %}{% translate 'Room' as l_room %}"
    "{% translate 'Birth date' as l_birth %}{% translate 'Institution' as l_inst %}"
    "{% translate 'Status' as l_status %}"
    "{% for lr, shown in rows %}"
    '<tr><td class="roster-name" data-label="{{ l_name }}"><a href="{% url \'students:learner\' lr.pk %}">'
    "{{ lr.prefix }}{{ lr.first_name }} {{ lr.last_name }}</a></td>"
    '<td class="roster-more" data-label="{{ l_id }}"><span class="font-monospace text-nowrap">{{ shown }}</span></td>'
    '<td data-label="{{ l_level }}"><abbr title="{{ lr.level.full }}" class="text-decoration-none">'
    "{{ lr.level.short }}</abbr></td>"
    '<td class="roster-more" data-label="{{ l_room }}">{{ lr.room|default:"—" }}</td>'
    '<td class="roster-more" data-label="{{ l_birth }}">{{ lr.birth_date|thdate }}</td>'
    '{% if not is_institution %}<td class="roster-more" data-label="{{ l_inst }}"><a href="{% url \'students:roster\' '
    'lr.organisation.code %}">{{ lr.organisation.name_th }}</a></td>{% endif %}'
    '<td data-label="{{ l_status }}">{% if lr.status == "active" %}<span class="tag tag-confirmed">'
    '{{ lr.get_status_display }}</span>{% else %}<span class="tag tag-closed">{{ lr.get_status_display }}'
    "</span>{% endif %}</td></tr>{% endfor %}"
)
TAG = Template(
    "{% load i18n students %}"
    "{% translate 'Name' as l_name %}{% translate 'National ID / G-Code' as l_id %}"
    "{% translate 'Class level' as l_level %}{% translate 'Room' as l_room %}"
    "{% translate 'Birth date' as l_birth %}{% translate 'Institution' as l_inst %}"
    "{% translate 'Status' as l_status %}"
    "{% roster_rows rows is_institution l_name l_id l_level l_room l_birth l_inst l_status %}"
)


def _squash(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


def _rows(org):
    odd = Learner(pk=7, organisation=org, prefix="เด็กชาย", first_name='<b>"ก&ข"</b>', last_name="O'Neil",
                  class_level="p3", room="<1>", birth_date=dt.date(2017, 2, 3), status=Status.ACTIVE)  # fmt: skip
    left = Learner(pk=8, organisation=org, prefix="เด็กหญิง", first_name="มาลี", last_name="ศรีสุข",
                   class_level="k2", room="", birth_date=dt.date(2020, 12, 31), status=Status.TRANSFERRED_OUT)  # fmt: skip
    return [(odd, "1-2345-67890-12-3"), (left, "<xxxxx>")]


@pytest.mark.parametrize("is_institution", [True, False])
def test_roster_rows_are_the_template_loops_markup(tree, is_institution):
    tree.school1.name_th = 'โรงเรียน "ทดสอบ" <&>'
    rows = _rows(tree.school1)
    with translation.override("th"):
        context = {"rows": rows, "is_institution": is_institution}
        expected = _squash(LOOP.render(Context(context)))
        got = _squash(TAG.render(Context(context)))
    assert got == expected
    assert "<b>" not in got and "&lt;b&gt;&quot;ก&amp;ข&quot;&lt;/b&gt;" in got
    assert ("โรงเรียน &quot;ทดสอบ&quot; &lt;&amp;&gt;" in got) is not is_institution
    assert 'href="/learners/7/"' in got or "/7/" in got
