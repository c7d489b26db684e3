"""Issue 14 point 11: the printable confirmation of a large LAO (60 schools and CDCs, each confirmed) is still one
A4 page in Chromium's PDF print, with every institution, its learners and the signature block."""

import subprocess

import pytest
from django.utils import timezone

from confirmations.models import Confirmation, Scope
from schools.models import Kind
from students.models import LearnerCount
from tests.factories import PASSWORD, org
from tests.schools.test_other_services import make_round

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _pdf_pages(page, tmp_path) -> int:
    page.emulate_media(media="print")
    pdf = tmp_path / "confirmation.pdf"
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True, print_background=True)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def test_an_lao_with_60_confirmed_institutions_prints_on_one_a4_page(_browser, live_server, tree, tmp_path):
    rnd = make_round()
    lao = tree.lao1
    for i in range(len(lao.children.filter(kind__in=(Kind.SCHOOL, Kind.CDC))), 60):
        kind = Kind.CDC if i % 3 == 0 else Kind.SCHOOL
        prefix = "ศูนย์พัฒนาเด็กเล็กบ้าน" if kind == Kind.CDC else "โรงเรียนเทศบาลบ้าน"
        org(kind, lao, code=f"{'2' if kind == Kind.CDC else '1'}0509{i:05d}", name_th=f"{prefix}ทดสอบหมู่ที่ {i}")
    institutions = list(lao.children.filter(kind__in=(Kind.SCHOOL, Kind.CDC)).order_by("code"))
    assert len(institutions) == 60
    now = timezone.now()
    user = tree.users["lao1"]
    Confirmation.objects.bulk_create([
        Confirmation(round=rnd, organisation=o, scope=Scope.LEARNERS, state=Confirmation.State.CONFIRMED,
                     confirmed_at=now, confirmed_by=user)
        for o in institutions
    ])  # fmt: skip
    LearnerCount.objects.bulk_create([
        LearnerCount(organisation=o, class_level=level, gender=gender, count=7 + n % 5)
        for n, o in enumerate(institutions)
        for level in (("cdc2", "cdc3", "cdc4") if o.kind == Kind.CDC else ("k1", "p1", "p2", "p3", "p6", "m1", "m3"))
        for gender in ("male", "female")
    ])  # fmt: skip
    context = _browser.new_context(locale="th-TH", viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "django_language", "value": "th", "url": live_server.url}])
    page = context.new_page()
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_load_state()
    response = page.goto(live_server.url + f"/confirm/{lao.code}/print/")
    assert response.status == 200
    text = page.locator("main").inner_text()
    assert "(60)" in text and "ลงชื่อ" in text
    for o in institutions:
        assert o.name_th in text
    rows = page.locator("table.print-institutions tbody tr")
    assert rows.count() == 60
    assert "ยืนยันแล้ว" in rows.nth(59).inner_text()
    # the table's font stays legible in print (7 pt and up)
    page.emulate_media(media="print")
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('table.print-institutions td')).fontSize)"
    )
    assert size >= 7 * 96 / 72, f"{size}px is below 7 pt"
    pages = _pdf_pages(page, tmp_path)
    context.close()
    assert pages == 1, f"the printable confirmation of an LAO with 60 institutions takes {pages} pages"
