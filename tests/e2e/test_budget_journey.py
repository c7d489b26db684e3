"""Budget pages in a real browser: an LAO officer reads the estimate, its chart is drawn, a figure is explained, and
the page fits a phone's width."""

import pytest

from tests.budget.conftest import build_world
from tests.e2e.conftest import login, shot
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_lao_officer_reads_and_explains_the_budget(page, client):
    world = build_world(client)
    login(page, world.users["lao_a"].username, PASSWORD)
    page.goto(page.base + f"/budget/{world.lao_a.code}/")
    assert page.get_by_text("835,687.20").first.is_visible()
    page.wait_for_function("document.querySelector('canvas[data-chart=budget]').dataset.drawn === '1'")
    shot(page, "budget-lao")
    page.get_by_role("link", name="ที่มาของตัวเลข").first.click()
    page.wait_for_load_state()
    assert page.get_by_text("21 × 27 × 200").first.is_visible()
    shot(page, "budget-explain")


def test_the_department_page_fits_a_phone(phone_page, client):
    world = build_world(client)
    login(phone_page, world.users["dept"].username, PASSWORD)
    phone_page.goto(phone_page.base + f"/budget/{world.dept.code}/")
    assert phone_page.get_by_text("2,100,231.20").first.is_visible()
    overflow = phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    shot(phone_page, "budget-department-phone")
