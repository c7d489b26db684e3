"""Accessibility checks in the system Chromium: the browser fixtures of the journeys, and axe-core's runner."""

import os
import shutil

import pytest

from tests.e2e.conftest import ARGS, CHROMIUM

DEMO_PASSWORD = "lec-demo-2569"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def _browser():
    """One Chromium per module, closed before the next module: tests/e2e starts its own session browser later,
    and Playwright's sync API allows one running instance at a time."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.skip(f"needs Chromium at {CHROMIUM}")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()  # axe.min.js ships inside the package: nothing is downloaded


def violations(axe, page) -> list[str]:
    """axe's WCAG 2.1 A/AA violations on the page, one readable line per failing element."""
    result = axe.run(
        page, options={"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]}
    )
    return [
        f"{rule['id']} {node['target']}: {node.get('failureSummary', '').splitlines()[-1].strip()}"
        for rule in result.response["violations"]
        for node in rule["nodes"]
    ]


def demo_context(browser, base, *, width, lang, username=None):
    """A browser context at WIDTH in LANG (the language cookie), signed in as a demo user when given."""
    context = browser.new_context(
        locale="th-TH", viewport={"width": width, "height": 844}, is_mobile=width < 600
    )
    context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
    page = context.new_page()
    page.set_default_timeout(15000)
    if username:
        page.goto(base + "/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", DEMO_PASSWORD)
        page.press("#id_password", "Enter")
        page.wait_for_load_state()
    return context, page
