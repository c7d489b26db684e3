"""Thai catalogues are complete, compiled, and not stale against the source."""

import shutil
from pathlib import Path

import polib
import pytest

from lec.compilemo import ROOT, catalogues
from lec.messages import extract


def test_every_catalogue_is_fully_translated_and_compiled():
    found = catalogues()
    assert found, "no Thai catalogue found"
    for po_path in found:
        po = polib.pofile(str(po_path))
        missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
        assert not missing, f"{po_path.relative_to(ROOT)} lacks Thai for: {missing[:10]}"
        mo_path = po_path.with_suffix(".mo")
        assert mo_path.exists(), f"{mo_path} is not compiled"
        mo = {
            (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
            for e in polib.mofile(str(mo_path))
        }
        for e in po.translated_entries():
            assert mo.get((e.msgctxt, e.msgid)) == (e.msgstr, tuple(sorted(e.msgstr_plural.items()))), (
                f"{mo_path.relative_to(ROOT)} is stale for {e.msgid!r}: run `make messages`"
            )


def test_catalogues_are_not_stale_against_the_source(tmp_path):
    if shutil.which("xgettext") is None:
        pytest.skip("needs GNU gettext (xgettext) to extract messages")
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "static", "staticfiles", "media", "*.sqlite3*", "node_modules"
        ),
    )
    extract(copy)
    for po_path in catalogues():
        rel = po_path.relative_to(ROOT)
        fresh = {e.msgid for e in polib.pofile(str(copy / rel)) if not e.obsolete}
        committed = {e.msgid for e in polib.pofile(str(po_path)) if not e.obsolete}
        assert fresh == committed, (
            f"{rel} is stale: new {sorted(fresh - committed)[:5]}, gone {sorted(committed - fresh)[:5]}"
        )


def test_every_source_app_with_strings_has_a_catalogue():
    apps_with_locale = {p.parts[len(ROOT.parts)] for p in catalogues()}
    assert {"locale", "accounts", "schools"} <= apps_with_locale
    assert Path(ROOT / "locale/th/LC_MESSAGES/django.po").exists()
