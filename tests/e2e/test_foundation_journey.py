"""A school user logs in, sees their institution's Thai name, and cannot open a sibling's page."""

import pytest

from tests.e2e.conftest import login, shot
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_school_user_sees_own_institution_and_not_a_sibling(page, tree):
    login(page, tree.users["school1"].username, PASSWORD)
    assert page.url.endswith("/o/1050100001/")
    assert page.get_by_role("heading", level=1).inner_text() == "โรงเรียนเทศบาลวัดเกตการาม"
    assert page.locator("html").get_attribute("lang") == "th"
    shot(page, "school-home-desktop")
    response = page.goto(page.base + "/o/1050100002/")
    assert response.status == 404
    assert "ไม่พบหน้า" in page.content()
    assert "โรงเรียนเทศบาลดอกเงิน" not in page.content()


def test_lao_page_works_at_phone_width(phone_page, tree):
    login(phone_page, tree.users["lao1"].username, PASSWORD)
    phone_page.wait_for_url("**/o/5010101/")
    assert phone_page.get_by_role("link", name="โรงเรียนเทศบาลดอกเงิน").is_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at 390 px ({width} px wide)"
    shot(phone_page, "lao-home-phone")
