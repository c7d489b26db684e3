"""Issue 14 point 5 on the budget pages: a CDC (kind cdc) reads เด็กเล็ก, never นักเรียน, on its budget estimate, the
explanation and the comparison, and on its home's budget panel; a school still reads นักเรียน."""

import re

import pytest

pytestmark = pytest.mark.django_db


def _text(html: str) -> str:
    """What a user reads: the page without tags, scripts and styles (attributes like aria-label kept apart)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    labels = " ".join(re.findall(r'(?:aria-label|data-label|title|alt)="([^"]*)"', html))
    return re.sub(r"<[^>]+>", " ", html) + " " + labels


def _pages(world, code):
    query = f"?round={world.round.pk}"
    return ["/", f"/o/{code}/", f"/budget/{code}/{query}", f"/budget/{code}/explain/{query}",
            f"/budget/{code}/compare/{query}"]  # fmt: skip


def test_a_cdc_budget_page_and_panel_say_children_not_pupils(client, world):
    client.force_login(world.users["cdc"])
    seen, found = [], []
    for path in _pages(world, world.cdc.code):
        r = client.get(path, follow=True)
        assert r.status_code == 200, path
        text = _text(r.content.decode())
        found += [f"{path}: " + re.sub(r"\s+", " ", text[max(0, m.start() - 40) : m.start() + 20])
                  for m in re.finditer("นักเรียน", text)]  # fmt: skip
        seen.append("เด็กเล็ก" in text)
    assert not found, "\n".join(found)
    assert all(seen[2:4]), "the budget estimate and its explanation name the children"
    assert "213,828.00" in client.get(f"/budget/{world.cdc.code}/").content.decode()


def test_a_school_budget_page_still_says_pupils(client, world):
    client.force_login(world.users["s35"])
    html = client.get(f"/budget/{world.s35.code}/?round={world.round.pk}").content.decode()
    assert "นักเรียน" in _text(html) and "เด็กเล็ก" not in _text(html)
