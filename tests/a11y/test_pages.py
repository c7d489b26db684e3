"""Issue 14 points 5, 7, 10 and 11 in the browser, on the demo data: a CDC's words and prefixes, the phone
roster's density, the focus ring, the address lookup and the one-page printable confirmation."""

import subprocess

import pytest
from django.core.management import call_command

from schools.models import Organisation
from students import addresses
from students.models import Learner
from tests.a11y.conftest import demo_context
from tests.factories import make_learner

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
CDC = "2050100001"


def _relative_luminance(rgb):
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a, b):
    la, lb = sorted((_relative_luminance(a), _relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_a_cdc_speaks_of_young_children_and_phone_roster_is_compact(_browser, live_server):
    call_command("seed_demo", verbosity=0)
    cdc = Organisation.objects.get(code=CDC)
    while Learner.objects.filter(organisation=cdc, status="active").count() < 43:
        make_learner(cdc, class_level="cdc3", prefix="เด็กหญิง", gender="female")
    context, page = demo_context(_browser, live_server.url, width=390, lang="th", username="demo_cdc")
    page.goto(live_server.url + f"/o/{CDC}/learners/")
    assert page.get_by_role("heading", level=1).inner_text() == "เด็กเล็ก"
    assert "พบเด็กเล็ก 43 คน" in page.content()
    assert "นักเรียน" not in page.locator("main").inner_text()
    height = page.evaluate("document.documentElement.scrollHeight")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert height < 4000, f"the 43-child roster is {height} px tall at 390 px"
    assert width <= 390, f"the roster scrolls sideways ({width} px)"
    assert page.locator("#q").bounding_box()["y"] < 900, "search is not at the top"
    page.goto(live_server.url + f"/o/{CDC}/learners/add/")
    assert page.locator("#id_prefix option").all_inner_texts()[1:] == ["เด็กชาย", "เด็กหญิง"]
    assert page.get_by_label("เลขประจำตัวเด็ก").count() == 1
    assert "เลขประจำตัวนักเรียน" not in page.content()
    context.close()


def test_the_address_lookup_fills_district_province_and_postcode_by_keyboard(_browser, live_server):
    call_command("seed_demo", verbosity=0)
    assert len(addresses.entries()) > 7000  # the packaged database, not a hand-typed list
    context, page = demo_context(_browser, live_server.url, width=390, lang="th", username="demo_school")
    page.goto(live_server.url + "/o/1050100001/learners/add/")
    page.locator("summary", has_text="ที่อยู่").click()
    for key in ("registered_address", "current_address"):
        field = f"#id_{key}_subdistrict"
        page.locator(field).press_sequentially("สุเท")
        page.wait_for_selector(f"{field}_options [role=option]")
        assert page.locator(field).get_attribute("aria-expanded") == "true"
        page.locator(field).press("ArrowDown")
        page.locator(field).press("Enter")
        assert page.input_value(field) == "สุเทพ"
        assert page.input_value(f"#id_{key}_district") == "เมืองเชียงใหม่"
        assert page.input_value(f"#id_{key}_province") == "เชียงใหม่"
        assert page.input_value(f"#id_{key}_postcode") == "50200"
    context.close()


def test_the_focus_ring_beats_bootstraps_and_keeps_3_to_1(_browser, live_server):
    call_command("seed_demo", verbosity=0)
    context, page = demo_context(_browser, live_server.url, width=1280, lang="th", username="demo_school")
    page.goto(live_server.url + "/o/1050100001/learners/add/")
    for selector in ("#id_first_name", "#id_prefix"):
        page.focus(selector)
        shadow = page.evaluate(f"getComputedStyle(document.querySelector('{selector}')).boxShadow")
        assert "rgb(11, 12, 12)" in shadow and "rgb(255, 221, 0)" in shadow, shadow
    assert _contrast((11, 12, 12), (255, 255, 255)) >= 3
    assert _contrast((255, 221, 0), (33, 37, 41)) >= 3  # the yellow ring on the dark menu bar
    hint = page.locator("#id_birth_date").get_attribute("aria-describedby")
    assert "id_birth_date_help" in hint.split() and page.locator("#id_birth_date_help").count() == 1
    context.close()


@pytest.mark.parametrize(("username", "code"), [("demo_school", "1050100001"), ("demo_lao", "5010101")])
def test_the_printable_confirmation_is_one_a4_page(_browser, live_server, tmp_path, username, code):
    call_command("seed_demo", verbosity=0)
    context, page = demo_context(_browser, live_server.url, width=1280, lang="th", username=username)
    response = page.goto(live_server.url + f"/confirm/{code}/print/")
    assert response.status == 200
    text = page.locator("main").inner_text()
    assert "ลงชื่อ" in text and "ระดับชั้น" in text and "รวม" in text
    page.emulate_media(media="print")
    pdf = tmp_path / "confirmation.pdf"
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True, print_background=True)
    context.close()
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages == 1, f"the printable confirmation of {code} takes {pages} pages"


def test_the_identity_search_result_and_the_confirm_step_fit_a_phone(_browser, live_server):
    call_command("seed_demo", verbosity=0)
    child = Learner.objects.filter(organisation__code="1050100001").exclude(national_id=None).first()
    context, page = demo_context(_browser, live_server.url, width=390, lang="th", username="demo_lao")
    page.goto(live_server.url + "/o/5010101/learners/find/")
    page.fill("#id_identity", child.national_id)
    page.press("#id_identity", "Enter")
    page.wait_for_load_state()
    cell = page.locator("td.font-monospace").first
    assert cell.is_visible()
    # the label line and one line of ID are about 62 px; an ID broken over two lines would pass 85 px
    assert cell.bounding_box()["height"] < 75, "the ID breaks over several lines"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for path in ("/confirm/5010101/check/", "/confirm/5010101/"):
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways at 390 px ({width} px)"
    context.close()
