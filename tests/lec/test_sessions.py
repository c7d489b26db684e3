"""The session read as one plain query (lec/sessions.py, issue 16): the same answers as Django's database store
for a live, an expired, an unknown and a malformed key, in one query."""

import datetime as dt

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from lec.sessions import SessionStore

pytestmark = pytest.mark.django_db


def _saved(data) -> str:
    store = DjangoStore()
    store.update(data)
    store.save()
    return store.session_key


def test_a_live_session_reads_the_same_in_one_query(django_assert_num_queries):
    key = _saved({"_auth_user_id": "7", "lang": "th", "n": [1, 2]})
    with django_assert_num_queries(1):
        data = SessionStore(key).load()
    assert data == DjangoStore(key).load() == {"_auth_user_id": "7", "lang": "th", "n": [1, 2]}


def test_expired_unknown_and_malformed_keys_read_nothing_and_drop_the_key():
    key = _saved({"_auth_user_id": "7"})
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    for raw in (key, "x" * 32, "short", None):
        ours, theirs = SessionStore(raw), DjangoStore(raw)
        assert ours.load() == theirs.load() == {}
        assert ours.session_key is None and theirs.session_key is None


def test_a_session_expiring_a_moment_from_now_is_still_read():
    key = _saved({"k": "v"})
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + dt.timedelta(seconds=5))
    assert SessionStore(key).load() == {"k": "v"}


def test_signing_in_and_out_works_through_it(client, tree, settings):
    assert settings.SESSION_ENGINE == "lec.sessions"
    client.force_login(tree.users["school1"])
    assert client.get("/").status_code in (200, 302)
    assert client.session.get("_auth_user_id") == str(tree.users["school1"].pk)
    client.logout()
    assert "_auth_user_id" not in client.session
