"""The shell: login, home redirect, organisation pages, isolation, language switch, forced password change."""

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    r = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert r.status_code == 302, r.content


def test_home_sends_each_user_to_their_organisation(tree, client):
    login(client, tree.users["school1"])
    r = client.get("/")
    assert r.status_code == 302 and r.url == "/o/1050100001/"
    page = client.get(r.url)
    assert "โรงเรียนเทศบาลวัดเกตการาม" in page.content.decode()
    assert page.content.decode().count('lang="th"') >= 1


def test_a_sibling_page_is_not_found_not_forbidden(tree, client):
    login(client, tree.users["school1"])
    assert client.get("/o/1050100002/").status_code == 404
    assert client.get("/o/does-not-exist/").status_code == 404


def test_lao_page_lists_its_children_with_links(tree, client, django_assert_max_num_queries):
    login(client, tree.users["lao1"])
    # 12 for the shell and the children, plus one query for each app's panel (confirmations, learners,
    # other-affiliation schools), plus the bell's unread count on a cold cache (cached after) and the two
    # second-factor device lookups of django-otp's middleware (two-factor sign-in) — constant whatever the subtree's
    # size.
    with django_assert_max_num_queries(17):
        page = client.get("/o/5010101/").content.decode()
    for child in (tree.school1, tree.school2, tree.cdc1, tree.other1):
        assert f'href="/o/{child.code}/"' in page
    assert tree.school3.name_th not in page


def test_anonymous_is_sent_to_login(client):
    r = client.get("/o/DLA/")
    assert r.status_code == 302 and r.url.startswith("/login/")


def test_english_on_a_switch(tree, client):
    login(client, tree.users["lao1"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/o/5010101/", HTTP_ACCEPT_LANGUAGE="th").content.decode()
    assert 'lang="en"' in page and "Log out" in page


def test_initial_password_must_be_changed_in_the_browser(tree, client):
    user = tree.users["school1"]
    user.must_change_password = True
    user.save()
    login(client, user)
    assert client.get("/o/1050100001/").url == "/password/"
    r = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": "Kd83-ppqz-19LL", "new_password2": "Kd83-ppqz-19LL"},
    )
    assert r.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    assert client.get("/o/1050100001/").status_code == 200


def test_password_change_errors_are_shown_in_thai(tree, client):
    login(client, tree.users["school1"])
    page = client.post(
        "/password/", {"old_password": "nope", "new_password1": "a", "new_password2": "b"}
    ).content.decode()
    assert "มีข้อผิดพลาด" in page


def test_healthz(client, db):
    assert client.get("/healthz").json() == {"ok": True}


def test_session_expires_after_30_idle_minutes_and_is_refreshed_at_most_once_a_minute(
    tree, client, monkeypatch
):
    import time as real_time

    from django.contrib.sessions.models import Session

    login(client, tree.users["school1"])
    key = client.session.session_key
    client.get("/o/1050100001/")  # the first page after login starts the idle clock
    first = Session.objects.get(session_key=key).expire_date
    client.get("/o/1050100001/")
    client.get("/o/1050100001/learners/")
    assert Session.objects.get(session_key=key).expire_date == first  # within the minute: no session write
    later = real_time.time() + 10 * 60
    monkeypatch.setattr("lec.middleware.time.time", lambda: later)
    client.get("/o/1050100001/")
    refreshed = Session.objects.get(session_key=key).expire_date
    assert refreshed > first  # activity ten minutes later pushed the end forward
    Session.objects.filter(session_key=key).update(expire_date=refreshed.replace(year=2000))
    assert client.get("/o/1050100001/").status_code == 302  # an expired session is a login again
