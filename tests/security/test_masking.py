"""Issue 12, hole 2: above the LAO a learner's disability and full national ID must appear on no path. A province
officer walks every path that shows learners (API, pages, exports in both formats, background export, history)."""

import io
import json
import re

import openpyxl
import pytest
from django.utils import translation

from accounts.models import AuditLog
from students.identity import format_national_id
from students.models import DISABILITIES
from students.services import learner_update
from tests.factories import make_learner

NID = "1103700012346"


@pytest.fixture
def sensitive(tree, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    learner = make_learner(tree.school1, national_id=NID, disability="visual")
    learner = learner_update(learner_id=learner.pk, data={"disability": "hearing"}, version=learner.version,
                             acting_user=tree.users["school1"])  # fmt: skip
    return learner


def _leaks(content: bytes) -> list[str]:
    text = content.decode("utf-8-sig", errors="replace")
    found = []
    for needle in (NID, format_national_id(NID)):
        if needle in text:
            found.append(needle)
    found += [code for code in ("visual", "hearing") if re.search(rf"\b{code}\b", text)]
    for code in ("visual", "hearing"):
        for lang in ("th", "en"):
            with translation.override(lang):
                if str(DISABILITIES[code]) in text:
                    found.append(f"{code}:{lang}")
    return found


def _xlsx_text(content: bytes) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    cells = [
        str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None
    ]
    return "\n".join(cells).encode()


def _body(response) -> bytes:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":
        return _xlsx_text(content)
    return content


def test_the_lao_sees_disability_but_the_province_does_not_on_any_path(
    tree, api, client, sensitive, django_capture_on_commit_callbacks
):
    lao = tree.users["lao1"]
    full = api.get(f"/api/v1/learners/{sensitive.pk}", lao).json()
    assert full["disability"] == "hearing" and full["national_id"] == NID  # the rule does not hide too much

    officer = tree.users["p1"]
    client.force_login(officer)
    code, pk = tree.p1.code, sensitive.pk
    api_paths = [
        f"/api/v1/learners/{pk}",
        f"/api/v1/organisations/{code}/learners?status=all",
        f"/api/v1/organisations/{code}/learners/export?format=csv",
        f"/api/v1/organisations/{code}/learners/export?format=xlsx",
    ]
    page_paths = [
        f"/learners/{pk}/",
        f"/learners/{pk}/history/",
        f"/o/{code}/learners/",
        f"/o/{code}/export/learners/?format=csv",
        f"/o/{code}/export/learners/?format=xlsx",
    ]
    seen = {}
    for path in api_paths:
        response = api.get(path, officer)
        assert response.status_code == 200, (path, response.status_code)
        seen[path] = _leaks(_body(response))
    for path in page_paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        seen[path] = _leaks(_body(response))
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(f"/api/v1/organisations/{code}/learners/export-jobs?format=xlsx", {}, officer)
    assert started.status_code == 202, started.content
    job = started.json()["id"]
    download = api.get(f"/api/v1/jobs/{job}/download", officer)
    assert download.status_code == 200, download.content
    seen["job"] = _leaks(_body(download))
    assert {path: leaks for path, leaks in seen.items() if leaks} == {}


def test_the_export_audit_row_says_what_was_masked(tree, api, sensitive):
    api.get(f"/api/v1/organisations/{tree.p1.code}/learners/export?format=csv", tree.users["p1"]).getvalue()
    row = AuditLog.objects.filter(action="export_learners").latest("pk")
    detail = row.detail if isinstance(row.detail, dict) else json.loads(row.detail)
    assert detail["masked"] is True
    assert set(detail["masked_fields"]) >= {"national_id", "g_code", "disability"}
    api.get(
        f"/api/v1/organisations/{tree.lao1.code}/learners/export?format=csv", tree.users["lao1"]
    ).getvalue()
    row = AuditLog.objects.filter(action="export_learners").latest("pk")
    detail = row.detail if isinstance(row.detail, dict) else json.loads(row.detail)
    assert detail["masked"] is False and detail["masked_fields"] == []
