"""Issue 12, holes 4, 5 (reads) and 10 (IDs in URLs): identity lookups are only for those who see IDs unmasked,
throttled per user and audited; reads of full records above the institution are logged."""

import pytest
from django.core.cache import cache

from accounts.models import AuditLog
from tests.factories import make_learner

NID = "1103700012346"


@pytest.fixture(autouse=True)
def _small_window(settings):
    settings.LEC_IDENTITY_LOOKUPS = 3
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def child(tree):
    return make_learner(tree.school3, national_id=NID)


def test_a_province_officer_cannot_confirm_an_id_on_the_find_page(tree, client, child):
    client.force_login(tree.users["p1"])
    response = client.post(f"/o/{tree.p1.code}/learners/find/", {"identity": NID})
    assert response.status_code == 403
    assert tree.school3.name_th not in response.content.decode()


def test_find_page_searches_are_throttled_and_audited(tree, client, child):
    client.force_login(tree.users["lao2"])
    for _ in range(3):
        response = client.post(f"/o/{tree.lao2.code}/learners/find/", {"identity": NID})
        assert response.status_code == 200 and tree.school3.name_th in response.content.decode()
    response = client.post(f"/o/{tree.lao2.code}/learners/find/", {"identity": NID})
    assert response.status_code == 429
    rows = AuditLog.objects.filter(action="identity_lookup", user=tree.users["lao2"])
    assert rows.count() == 3
    assert all(NID not in r.object_ref and r.detail["purpose"] == "find_page" and r.ip for r in rows)


def test_api_identity_search_is_throttled_and_audited(tree, api, child):
    user = tree.users["lao2"]
    for _ in range(3):
        response = api.get(f"/api/v1/organisations/{tree.lao2.code}/learners?search={NID}", user)
        assert response.status_code == 200 and response.json()["count"] == 1
    response = api.get(f"/api/v1/organisations/{tree.lao2.code}/learners?search={NID}", user)
    assert response.status_code == 429 and response.json()["code"] == "throttled"
    assert response["Retry-After"]
    assert AuditLog.objects.filter(action="identity_lookup", detail__purpose="api_search").count() == 3


def test_holder_disclosures_by_409_and_transfer_are_throttled_and_audited(tree, api, child):
    from tests.students.helpers import learner_input

    user = tree.users["school1"]
    body = learner_input("p1", national_id=NID)
    for key in ("birth_date", "enrolled_on"):
        if key in body and hasattr(body[key], "isoformat"):
            body[key] = body[key].isoformat()
    conflict = api.post(f"/api/v1/organisations/{tree.school1.code}/learners", body, user)
    assert conflict.status_code == 409 and conflict.json()["holder"]["code"] == tree.school3.code
    for _ in range(2):
        api.post("/api/v1/transfers", {"identity": NID, "to_organisation": tree.school1.code, "class_level": "p1"},
                 user)  # fmt: skip
    refused = api.post("/api/v1/transfers",
                       {"identity": NID, "to_organisation": tree.school1.code, "class_level": "p1"}, user)  # fmt: skip
    assert refused.status_code == 429
    assert AuditLog.objects.filter(action="identity_lookup", user=user).count() == 3


def test_full_record_reads_above_the_institution_are_logged(tree, api, client, child):
    user = tree.users["lao2"]
    assert api.get(f"/api/v1/organisations/{tree.lao2.code}/learners", user).status_code == 200
    row = AuditLog.objects.get(action="learner_list_read")
    assert row.user == user and row.detail["learners"] == [child.pk] and row.ip
    client.force_login(user)
    assert client.get(f"/learners/{child.pk}/history/").status_code == 200
    assert AuditLog.objects.filter(action="learner_history_view", object_ref=f"learner:{child.pk}").exists()
    # the institution reading its own roster is not a read above it
    school = tree.users["school3"]
    assert api.get(f"/api/v1/organisations/{tree.school3.code}/learners", school).status_code == 200
    assert AuditLog.objects.filter(action="learner_list_read").count() == 1


def test_the_transfer_link_does_not_carry_the_id(tree, client, child):
    from tests.students.helpers import learner_input

    client.force_login(tree.users["school1"])
    data = learner_input("p1", national_id=NID)
    form = {k: v for k, v in data.items() if isinstance(v, str)}
    form["identity"] = NID
    response = client.post(f"/o/{tree.school1.code}/learners/add/", form)
    html = response.content.decode()
    assert "transfers/request/" in html, html[:500]
    link = html[html.index("transfers/request/") : html.index("transfers/request/") + 200]
    assert NID not in link
    page = client.get(f"/o/{tree.school1.code}/transfers/request/?class_level=p1")
    assert NID in page.content.decode()  # prefilled from the session


def test_the_roster_does_not_search_ids_from_its_address(tree, client, child):
    client.force_login(tree.users["school3"])
    response = client.get(f"/o/{tree.school3.code}/learners/?q={NID}")
    assert response.status_code == 302 and response["Location"].endswith(
        f"/o/{tree.school3.code}/learners/find/"
    )
    assert NID not in response["Location"]


def test_the_add_page_stops_naming_holders_past_the_window_and_audits_who_was_named(tree, client, child):
    """Hole 4: the add page's 409 names the holding institution; past the user's window it names nobody."""
    from tests.students.helpers import learner_input

    client.force_login(tree.users["school1"])
    data = learner_input("p1", national_id=NID)
    form = {k: v for k, v in data.items() if isinstance(v, str)}
    form["identity"] = NID
    for _ in range(3):
        html = client.post(f"/o/{tree.school1.code}/learners/add/", form).content.decode()
        assert tree.school3.name_th in html
    rows = AuditLog.objects.filter(action="identity_lookup", user=tree.users["school1"])
    assert rows.count() == 3 and all(r.detail.get("holder") == tree.school3.code for r in rows)
    refused = client.post(f"/o/{tree.school1.code}/learners/add/", form)
    html = refused.content.decode()
    assert tree.school3.name_th not in html and "ลองใหม่" in html
    assert rows.count() == 3
