"""Issue 14 points 5 and 8 as page tests: plain Thai for each user, a CDC's own words in files, no raw network
addresses or usernames in a school's event log, field-specific Thai for the round form, the address lookup."""

import io

import openpyxl
import pytest

from confirmations.forms import RoundForm
from confirmations.models import ConfirmationEvent, Scope
from students import exporting
from tests.factories import RoundFactory

pytestmark = pytest.mark.django_db


def _signed_in(client, user):
    client.force_login(user)
    return client


def test_a_schools_event_log_shows_names_not_ip_addresses_or_usernames(client, tree):
    round_ = RoundFactory()
    clerk = tree.users["school1"]
    clerk.first_name, clerk.last_name = "สมศรี", "ใจดี"
    clerk.save()
    ConfirmationEvent.objects.create(
        round=round_, organisation=tree.school1, scope=Scope.LEARNERS, action="confirm",
        actor=clerk, actor_username=clerk.username, ip="203.0.113.7",
    )  # fmt: skip
    page = _signed_in(client, clerk).get(f"/confirm/{tree.school1.code}/events/?round={round_.pk}")
    html = page.content.decode()
    text = html[
        html.index("<table") : html.index("</table>")
    ]  # the log itself (the menu shows one's own name)
    assert "สมศรี ใจดี" in text and tree.school1.name_th in text
    assert "203.0.113.7" not in text and clerk.username not in text
    client.logout()
    page = _signed_in(client, tree.users["dept"]).get(
        f"/confirm/{tree.school1.code}/events/?round={round_.pk}"
    )
    assert "203.0.113.7" in page.content.decode()


def test_the_round_form_says_what_to_type_instead_of_djangos_bounds():
    form = RoundForm(
        data={"academic_year": "25", "term": "", "census_date": "", "opens_on": "", "closes_on": ""}
    )
    assert not form.is_valid()
    assert form.errors["academic_year"] == ["กรอกปีการศึกษาแบบพุทธศักราช (ตั้งแต่ 2500 ขึ้นไป) เช่น 2569"]
    assert form.errors["opens_on"] == ["กรอกวันที่เปิดรอบ เช่น 01/11/2569"]
    assert "≥" not in str(form.errors) and "ค่านี้" not in str(form.errors)
    assert "วันที่กรอก" in str(form.fields["opens_on"].help_text)


def test_the_export_page_speaks_plain_thai(client, tree):
    text = _signed_in(client, tree.users["school1"]).get(f"/o/{tree.school1.code}/export/").content.decode()
    assert "ไฟล์ Excel" in text and "ไฟล์ CSV สำหรับโปรแกรมอื่น" in text
    assert "CSV (UTF-8)" not in text and "เบื้องหลัง" not in text


def test_a_cdcs_import_template_and_form_use_a_childs_words(client, tree):
    wb = openpyxl.load_workbook(io.BytesIO(exporting.template_workbook("cdc")))
    heads = [c.value for c in wb.worksheets[0][1]]
    assert "เลขประจำตัวเด็ก" in heads and "เลขประจำตัวนักเรียน" not in heads
    prefixes = [row[0].value for row in wb["lists"].iter_rows(min_col=1, max_col=1) if row[0].value]
    assert prefixes == ["เด็กชาย", "เด็กหญิง"]
    school_heads = [
        c.value
        for c in openpyxl.load_workbook(io.BytesIO(exporting.template_workbook("school"))).worksheets[0][1]
    ]
    assert "เลขประจำตัวนักเรียน" in school_heads
    page = _signed_in(client, tree.users["cdc1"]).get(f"/o/{tree.cdc1.code}/learners/add/").content.decode()
    assert "เพิ่มเด็กเล็ก" in page and "นาย<" not in page and "สามเณร" not in page


def test_a_cdc_refuses_an_adults_prefix(client, tree):
    from lec.lib.errors import Invalid
    from students.services import learner_create
    from tests.students.helpers import learner_input

    with pytest.raises(Invalid) as caught:
        learner_create(
            organisation=tree.cdc1, data=learner_input("cdc3", prefix="นาย"), acting_user=tree.users["cdc1"]
        )
    assert "เด็กชาย" in str(caught.value.errors if hasattr(caught.value, "errors") else caught.value)


def test_the_address_lookup_answers_from_the_packaged_database(client, tree):
    found = (
        _signed_in(client, tree.users["school1"]).get("/learners/address-lookup/", {"q": "ต.ช้างเผือก"}).json()
    )
    assert {
        "subdistrict": "ช้างเผือก",
        "district": "เมืองเชียงใหม่",
        "province": "เชียงใหม่",
        "postcode": "50300",
    } in found["results"]
    client.logout()
    assert (
        client.get("/learners/address-lookup/", {"q": "ช้างเผือก"}).status_code == 302
    )  # signed-in users only


@pytest.mark.parametrize(
    ("path", "template"), [("/manage/organisations/", "organisations"), ("/manage/users/", "users")]
)
def test_the_manage_pages_explain_each_column_in_thai_and_offer_a_template(client, tree, path, template):
    from django.conf import settings

    html = _signed_in(client, tree.users["dept"]).get(path).content.decode()
    assert "แต่ละคอลัมน์กรอกอะไร" in html and "ต้องกรอก" in html
    assert f"lec/templates/{template}-template.csv" in html
    csv_file = settings.BASE_DIR / "static" / "lec" / "templates" / f"{template}-template.csv"
    header = csv_file.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    for column in header:
        assert f'<code lang="en">{column}</code>' in html, f"{column} is not explained"
