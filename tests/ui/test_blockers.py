"""Issue 14 point 6: the institutions holding an LAO back are links with their contacts and a reminder button
(a notification, at most once per 6 hours per institution, logged); no pale disabled button, an explanation."""

import datetime

import pytest

from accounts.models import AuditLog
from confirmations.models import Notification
from tests.confirmations.conftest import confirm

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_blockers_are_links_with_contacts_and_the_page_says_why_it_cannot_confirm(tree, client, rnd):
    clerk = tree.users["school2"]
    clerk.email, clerk.phone, clerk.first_name = "clerk@dokngoen.example", "053-123-456", "สมศรี"
    clerk.save()
    confirm(tree, rnd, "school1")
    html = login(client, tree.users["lao1"]).get(f"/confirm/{tree.lao1.code}/").content.decode()
    blockers = html.split('id="blockers"')[1].split("</section>")[0]
    assert (
        f'href="/confirm/{tree.school2.code}/"' in blockers
        and f'href="/confirm/{tree.cdc1.code}/"' in blockers
    )
    assert tree.school1.name_th not in blockers
    assert (
        'href="tel:053-123-456"' in blockers
        and "mailto:clerk@dokngoen.example" in blockers
        and "สมศรี" in blockers
    )
    assert f'action="/confirm/{tree.school2.code}/remind/"' in blockers
    assert 'data-testid="why-not-yet"' in html and "ยังยืนยันไม่ได้" in html and "disabled" not in html


def test_a_reminder_notifies_the_institution_once_per_six_hours_and_is_logged(tree, client, rnd):
    login(client, tree.users["lao1"])
    url = f"/confirm/{tree.school2.code}/remind/"
    r = client.post(url)
    assert r.status_code == 302 and r.url.endswith("#blockers")
    note = Notification.objects.get(kind="nudge")
    assert note.organisation == tree.school2
    assert AuditLog.objects.filter(action="institution_remind", object_ref=tree.school2.code).count() == 1
    html = client.get(f"/confirm/{tree.lao1.code}/").content.decode()
    assert "ส่งคำเตือนถึงผู้ใช้ของ" in html and "เตือนแล้วเมื่อ" in html
    assert f'action="{url}"' not in html  # no button while the last reminder is recent
    r = client.post(url, HTTP_REFERER="http://testserver/")
    assert Notification.objects.filter(kind="nudge").count() == 1  # refused: too soon
    assert "เตือนอีกครั้งได้ตั้งแต่" in client.get(f"/confirm/{tree.lao1.code}/").content.decode()
    Notification.objects.filter(pk=note.pk).update(created_at=note.created_at - datetime.timedelta(hours=7))
    client.post(url)
    assert Notification.objects.filter(kind="nudge").count() == 2
    school = login(client, tree.users["school2"]).get("/notifications/").content.decode()
    assert "อปท. ของคุณขอเตือน" in school


def test_only_the_lao_above_may_remind(tree, client, rnd):
    assert (
        login(client, tree.users["school1"]).post(f"/confirm/{tree.school2.code}/remind/").status_code == 404
    )
    assert login(client, tree.users["lao2"]).post(f"/confirm/{tree.school2.code}/remind/").status_code == 404
    assert not Notification.objects.filter(kind="nudge").exists()
