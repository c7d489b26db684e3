"""Issue 12, hole 10: no-store on personal data, an absolute session lifetime, private files."""

import time

from django.conf import settings as django_settings


def test_pages_api_answers_and_exports_are_not_stored(tree, api, client):
    client.force_login(tree.users["school1"])
    for response in (
        client.get(f"/o/{tree.school1.code}/learners/"),
        api.get(f"/api/v1/organisations/{tree.school1.code}/learners", tree.users["school1"]),
        api.get(
            f"/api/v1/organisations/{tree.school1.code}/learners/export?format=csv", tree.users["school1"]
        ),
    ):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]


def test_a_session_ends_after_its_absolute_lifetime_however_busy(tree, client, settings):
    settings.LEC_SESSION_ABSOLUTE_SECONDS = 3600
    client.force_login(tree.users["school1"])
    assert client.get(f"/o/{tree.school1.code}/learners/").status_code == 200
    session = client.session
    session["_lec_started"] = int(time.time()) - 3601
    session["_lec_seen"] = int(time.time())  # active a moment ago: the idle timeout alone would keep it
    session.save()
    response = client.get(f"/o/{tree.school1.code}/learners/")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_uploaded_files_are_private():
    assert django_settings.FILE_UPLOAD_PERMISSIONS == 0o600
    assert django_settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS == 0o700
