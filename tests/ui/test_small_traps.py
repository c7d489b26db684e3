"""Issue 14 point 9, the small traps: a search for a child who left, the leave date, the bulk unlock's errors and
its post/redirect/get, the grid's order, a closed school on the confirm step, the learners just imported, the port."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone

from lec.lib.thai import format_date_input
from lec.models import Job
from schools.models import Kind
from students.services import learner_leave
from tests.confirmations.conftest import confirm_lao1, enter
from tests.factories import make_learner, org

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_a_search_for_a_child_who_left_says_so_and_offers_to_show_them(tree, client):
    learner = make_learner(tree.school1, first_name="ปิยะพงษ์", last_name="ย้ายไปแล้ว")
    learner_leave(learner_id=learner.pk, reason="dropped_out", left_on=timezone.localdate(), acting_user=None)
    html = (
        login(client, tree.users["school1"])
        .get(f"/o/{tree.school1.code}/learners/?q=ปิยะพงษ์")
        .content.decode()
    )
    assert "พบนักเรียนที่ออกไปแล้ว 1 คน" in html and "สะกด" not in html
    link = html.split('data-testid="show-left"')[0].rsplit('href="', 1)[1].split('"')[0]
    shown = client.get(f"/o/{tree.school1.code}/learners/" + link.replace("&amp;", "&")).content.decode()
    assert "ย้ายไปแล้ว" in shown and "พบนักเรียน 1 คน" in shown


def test_the_leave_date_defaults_to_today(tree, client):
    learner = make_learner(tree.school1)
    html = login(client, tree.users["school1"]).get(f"/learners/{learner.pk}/leave/").content.decode()
    assert f'value="{format_date_input(timezone.localdate())}"' in html


def test_bulk_unlock_without_a_reason_answers_next_to_the_field_keeping_the_ticks(tree, client, rnd):
    confirm_lao1(tree, rnd)
    login(client, tree.users["p1"])
    r = client.post(f"/confirm/{tree.p1.code}/unlock-children/", {"round": rnd.pk, "codes": [tree.lao1.code]})
    html = r.content.decode()
    assert r.status_code == 400 and 'id="bulk-reason-error"' in html and 'aria-invalid="true"' in html
    assert f'value="{tree.lao1.code}" checked' in html
    r = client.post(f"/confirm/{tree.p1.code}/unlock-children/", {"round": rnd.pk, "reason": "ตรวจใหม่"})
    assert r.status_code == 400 and 'id="bulk-codes-error"' in r.content.decode()


def test_the_grid_puts_the_schools_not_entered_first(tree, client, rnd):
    entered = org(Kind.OTHER_SCHOOL, tree.lao1, code="9050100002", name_th="ก โรงเรียนที่กรอกแล้ว")
    enter(rnd, entered, p1=(1, 1))
    html = (
        login(client, tree.users["lao1"])
        .get(f"/o/{tree.lao1.code}/other-schools/headcounts/")
        .content.decode()
    )
    assert html.index(tree.other1.name_th) < html.index(entered.name_th)


def test_the_confirm_step_names_a_closed_school_instead_of_zeros(tree, client, rnd):
    enter(rnd, tree.other1, closed=True)
    html = login(client, tree.users["lao1"]).get(f"/confirm/{tree.lao1.code}/check/?scope=other_schools")
    assert "โรงเรียนปิดแล้วในรอบนี้" in html.content.decode()


def test_after_an_import_the_roster_shows_the_learners_just_added(tree, client):
    make_learner(tree.school1, first_name="ก่อนนำเข้า")
    job = Job.objects.create(kind=Job.Kind.IMPORT_LEARNERS, organisation=tree.school1, state=Job.State.RUNNING,
                             started_at=timezone.now(), filename="ป1.xlsx")  # fmt: skip
    make_learner(tree.school1, first_name="จากไฟล์")
    Job.objects.filter(pk=job.pk).update(state=Job.State.DONE, finished_at=timezone.now())
    make_learner(tree.school1, first_name="หลังนำเข้า")
    html = login(client, tree.users["school1"]).get(f"/o/{tree.school1.code}/learners/?added={job.pk}")
    html = html.content.decode()
    assert "จากไฟล์" in html and "ก่อนนำเข้า" not in html and "หลังนำเข้า" not in html
    assert 'data-testid="added-filter"' in html and "ป1.xlsx" in html
    other = login(client, tree.users["school2"]).get(f"/o/{tree.school2.code}/learners/?added={job.pk}")
    assert 'data-testid="added-filter"' not in other.content.decode()  # another school's job is ignored


@pytest.mark.skipif(not shutil.which("make"), reason="needs make")
def test_make_run_takes_the_port():
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(["make", "-n", "run", "PORT=8001"], cwd=root, capture_output=True, text=True).stdout
    assert "runserver 127.0.0.1:8001" in out
    assert "runserver 127.0.0.1:8000" in subprocess.run(["make", "-n", "run"], cwd=root, capture_output=True,
                                                         text=True).stdout  # fmt: skip
