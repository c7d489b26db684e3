"""axe-core (WCAG 2.1 A and AA) on every page type, as each role, in Thai and English, at 390 px and 1280 px.

One browser for the run and one context per role × width × language, reused across that role's pages, keeps
this within CI's budget. Every format hint must also be announced: each `.form-text` with an id is named by an
input's aria-describedby, and each id an aria-describedby names exists.
"""

import pytest
from django.core.management import call_command

from students.models import Learner
from tests.a11y.conftest import demo_context, violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCHOOL, CDC, LAO, SAO, PROVINCE = "1050100001", "2050100001", "5010101", "5010305", "50"

PAGES = {
    "demo_school": [
        "/",
        f"/o/{SCHOOL}/learners/",
        f"/o/{SCHOOL}/learners/add/",
        "{learner}",
        "{learner}edit/",
        f"/o/{SCHOOL}/import/",
        f"/o/{SCHOOL}/export/",
        f"/confirm/{SCHOOL}/check/",
        f"/confirm/{SCHOOL}/print/",
        f"/confirm/{SCHOOL}/events/",
        "/notifications/",
        "/password/",
    ],
    "demo_cdc": ["/", f"/o/{CDC}/learners/", f"/o/{CDC}/learners/add/", f"/confirm/{CDC}/check/"],
    "demo_lao": ["/", f"/confirm/{LAO}/", f"/confirm/{LAO}/check/", f"/o/{LAO}/learners/find/"],
    "demo_sao": [
        "/",
        f"/o/{SAO}/other-schools/",
        f"/o/{SAO}/other-schools/headcounts/",
        f"/confirm/{SAO}/check/",
        f"/confirm/{SAO}/check/?scope=other_schools",
        f"/confirm/{SAO}/print/",
    ],
    "demo_province": ["/", f"/confirm/{PROVINCE}/", f"/confirm/{PROVINCE}/report/"],
    "demo_department": ["/", "/confirm/DLA/", "/rounds/", "/manage/organisations/", "/manage/users/"],
}

HINTS_UNANNOUNCED = """() => {
  const problems = [];
  for (const el of document.querySelectorAll('[aria-describedby]')) {
    for (const id of el.getAttribute('aria-describedby').split(/\\s+/).filter(Boolean)) {
      if (!document.getElementById(id)) problems.push(`${el.id || el.name}: aria-describedby names a missing #${id}`);
    }
  }
  const named = new Set([...document.querySelectorAll('[aria-describedby]')]
    .flatMap(el => el.getAttribute('aria-describedby').split(/\\s+/)));
  for (const hint of document.querySelectorAll('main .form-text[id]')) {
    if (!named.has(hint.id)) problems.push(`hint #${hint.id} is not announced by any input`);
  }
  return problems;
}"""


def _check(page, base, path, label, found):
    response = page.goto(base + path)
    assert response.status == 200, f"{label} {path}: HTTP {response.status}"
    found.extend(f"{label} {path}: {v}" for v in violations(page.axe, page))
    found.extend(f"{label} {path}: {p}" for p in page.evaluate(HINTS_UNANNOUNCED))


def _signed_in(browser, base, states, *, width, lang, username):
    """A context at WIDTH in LANG for USERNAME: signed in through the login page the first time, then reusing that
    session's cookies (one sign-in per role for the whole run instead of one per role × width × language)."""
    if username not in states:
        context, page = demo_context(browser, base, width=width, lang=lang, username=username)
        states[username] = context.storage_state()
        return context, page
    context = browser.new_context(
        locale="th-TH", viewport={"width": width, "height": 844}, is_mobile=width < 600,
        storage_state=states[username],
    )  # fmt: skip
    context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def test_every_page_type_has_no_axe_violations(_browser, live_server, axe):
    """Every page type × role × th/en × 390/1280 px, axe once on each. The demo is seeded once and each role signs
    in once for the whole run (docs: this test took ~130 s with a seed per language and a sign-in per context)."""
    call_command("seed_demo", verbosity=0)
    learner = Learner.objects.filter(organisation__code=SCHOOL).order_by("pk").first()
    found, checked, states = [], 0, {}
    for lang in ("th", "en"):
        for width in (390, 1280):
            context, page = demo_context(_browser, live_server.url, width=width, lang=lang)
            page.axe = axe
            _check(page, live_server.url, "/login/", f"anonymous {lang} {width}px", found)
            context.close()
            checked += 1
            for username, paths in PAGES.items():
                context, page = _signed_in(_browser, live_server.url, states, width=width, lang=lang,
                                           username=username)  # fmt: skip
                page.axe = axe
                for path in paths:
                    _check(page, live_server.url, path.format(learner=f"/learners/{learner.pk}/"),
                           f"{username} {lang} {width}px", found)  # fmt: skip
                    checked += 1
                context.close()
    assert len(states) == len(PAGES)
    assert checked == 4 * (1 + sum(len(p) for p in PAGES.values()))
    assert not found, f"{len(found)} accessibility problems on {checked} pages:\n" + "\n".join(found)
