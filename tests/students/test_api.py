"""/api/v1 learners and transfers: contracts of api.md, isolation, masking, query budgets."""

import datetime as dt

import pytest

from students.models import Learner, LearnerCount, Status, Transfer
from students.services import learner_create
from tests.factories import RoundFactory
from tests.students.helpers import birth_for, learner_input, nid

pytestmark = pytest.mark.django_db


def make(org, **kw):
    return learner_create(organisation=org, data=learner_input(**kw), acting_user=None)


def test_create_returns_201_and_counts(tree, api):
    body = learner_input(national_id="1-1017-00230-70-8", room="1")
    r = api.post(f"/api/v1/organisations/{tree.school1.code}/learners", body, tree.users["school1"])
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["national_id"] == "1101700230708" and out["gender"] == "male" and out["version"] == 1
    assert out["organisation"] == tree.school1.code and out["status"] == "active"
    assert LearnerCount.objects.get(organisation=tree.school1, class_level="p1", gender="male").count == 1


def test_create_duplicate_identity_names_the_holder(tree, api):
    make(tree.school2, national_id=nid(300))
    r = api.post(
        f"/api/v1/organisations/{tree.school1.code}/learners",
        learner_input(national_id=nid(300)),
        tree.users["school1"],
    )
    assert r.status_code == 409
    assert r.json()["code"] == "identity_active_elsewhere"
    assert r.json()["holder"] == {"code": tree.school2.code, "name_th": tree.school2.name_th}
    # the same institution too
    r = api.post(
        f"/api/v1/organisations/{tree.school2.code}/learners",
        learner_input(national_id=nid(300)),
        tree.users["school2"],
    )
    assert r.status_code == 409 and r.json()["holder"]["code"] == tree.school2.code


def test_a_learner_who_left_frees_the_identity(tree, api):
    learner = make(tree.school2, national_id=nid(301))
    r = api.post(
        f"/api/v1/learners/{learner.pk}/leave",
        {"reason": "dropped_out", "left_on": dt.date.today().isoformat()},
        tree.users["school2"],
    )
    assert r.status_code == 200 and r.json()["status"] == "dropped_out"
    r = api.post(
        f"/api/v1/organisations/{tree.school1.code}/learners",
        learner_input(national_id=nid(301)),
        tree.users["school1"],
    )
    assert r.status_code == 201


@pytest.mark.parametrize(
    "change,field",
    [
        ({"national_id": "1101700230709"}, "national_id"),
        ({"national_id": None, "g_code": "G609900000001"}, "g_code"),
        ({"national_id": None}, "national_id"),
        ({"g_code": "G644200000001"}, "national_id"),
        ({"class_level": "cdc3"}, "class_level"),
        ({"prefix": "เด็กหญิง", "gender": "male"}, "gender"),
        ({"birth_date": "2024-01-01"}, "birth_date"),
        ({"disability": "tall"}, "disability"),
        ({"shortages": ["toys"]}, "shortages"),
    ],
)
def test_rules_are_400_on_the_field(tree, api, change, field):
    body = {**learner_input(), **change}
    r = api.post(f"/api/v1/organisations/{tree.school1.code}/learners", body, tree.users["school1"])
    assert r.status_code == 400, r.content
    assert r.json()["code"] == "invalid" and field in r.json()["errors"], r.json()
    assert not Learner.objects.exists()


def test_missing_required_field_is_400(tree, api):
    body = learner_input()
    del body["first_name"]
    r = api.post(f"/api/v1/organisations/{tree.school1.code}/learners", body, tree.users["school1"])
    assert r.status_code == 400 and "first_name" in r.json()["errors"]


def test_cannot_add_to_an_lao_or_someone_elses_school(tree, api):
    r = api.post(
        f"/api/v1/organisations/{tree.school2.code}/learners", learner_input(), tree.users["school1"]
    )
    assert r.status_code == 404
    r = api.post(f"/api/v1/organisations/{tree.school1.code}/learners", learner_input(), tree.users["lao1"])
    assert r.status_code == 403


def test_another_institutions_learner_by_id_is_404(tree, api):
    learner = make(tree.school2)
    for method, path, body in (
        ("get", f"/api/v1/learners/{learner.pk}", None),
        ("patch", f"/api/v1/learners/{learner.pk}", {"room": "9", "version": 1}),
        ("post", f"/api/v1/learners/{learner.pk}/leave", {"reason": "deceased", "left_on": "2026-01-01"}),
    ):
        args = (path, body, tree.users["school1"]) if body is not None else (path, tree.users["school1"])
        r = getattr(api, method)(*args)
        assert r.status_code == 404, (method, r.content)
    assert api.get("/api/v1/learners/999999", tree.users["school1"]).status_code == 404
    assert Learner.objects.get(pk=learner.pk).version == 1


def test_patch_with_stale_version_is_409_and_writes_nothing(tree, api):
    learner = make(tree.school1)
    user = tree.users["school1"]
    r = api.patch(f"/api/v1/learners/{learner.pk}", {"room": "2", "version": 1}, user)
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["room"] == "2"
    r = api.patch(f"/api/v1/learners/{learner.pk}", {"room": "3", "version": 1}, user)
    assert r.status_code == 409 and r.json()["code"] == "stale_version"
    assert Learner.objects.get(pk=learner.pk).room == "2"


def test_patch_class_level_and_gender_moves_counts(tree, api):
    learner = make(tree.school1)
    r = api.patch(
        f"/api/v1/learners/{learner.pk}",
        {"class_level": "p2", "prefix": "เด็กหญิง", "birth_date": birth_for("p2").isoformat(), "version": 1},
        tree.users["school1"],
    )
    assert r.status_code == 200, r.content
    assert r.json()["gender"] == "female"
    counts = {
        (c.class_level, c.gender): c.count for c in LearnerCount.objects.filter(organisation=tree.school1)
    }
    assert counts[("p1", "male")] == 0 and counts[("p2", "female")] == 1


def test_patch_switches_identity_kind(tree, api):
    learner = make(tree.school1)
    r = api.patch(
        f"/api/v1/learners/{learner.pk}",
        {"national_id": None, "g_code": "g644200000001", "version": 1},
        tree.users["school1"],
    )
    assert r.status_code == 200, r.content
    assert r.json()["g_code"] == "G644200000001" and r.json()["national_id"] is None


def test_patch_left_learner_is_not_active(tree, api):
    learner = make(tree.school1)
    user = tree.users["school1"]
    api.post(
        f"/api/v1/learners/{learner.pk}/leave",
        {"reason": "graduated", "left_on": dt.date.today().isoformat()},
        user,
    )
    r = api.patch(f"/api/v1/learners/{learner.pk}", {"room": "2", "version": 2}, user)
    assert r.status_code == 409 and r.json()["code"] == "not_active"
    r = api.post(
        f"/api/v1/learners/{learner.pk}/leave",
        {"reason": "graduated", "left_on": dt.date.today().isoformat()},
        user,
    )
    assert r.status_code == 409 and r.json()["code"] == "not_active"


def test_leave_rules(tree, api):
    learner = make(tree.school1, enrolled_on=(dt.date.today() - dt.timedelta(days=30)).isoformat())
    user = tree.users["school1"]
    path = f"/api/v1/learners/{learner.pk}/leave"
    future = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    before = (dt.date.today() - dt.timedelta(days=31)).isoformat()
    assert api.post(path, {"reason": "moved", "left_on": dt.date.today().isoformat()}, user).json()[
        "errors"
    ].keys() == {"reason"}
    assert "left_on" in api.post(path, {"reason": "deceased", "left_on": future}, user).json()["errors"]
    assert "left_on" in api.post(path, {"reason": "deceased", "left_on": before}, user).json()["errors"]
    assert Learner.objects.get(pk=learner.pk).status == Status.ACTIVE


def test_list_filters_order_and_pagination(tree, api):
    user = tree.users["school1"]
    make(tree.school1, class_level="p2", level="p2", last_name="ข", room="1")
    make(tree.school1, class_level="p1", last_name="ค", room="2")
    make(tree.school1, class_level="p1", last_name="ก", room="2")
    make(tree.school1, class_level="p1", last_name="ง", room="1")
    left = make(tree.school1, class_level="p1", last_name="จ")
    api.post(
        f"/api/v1/learners/{left.pk}/leave",
        {"reason": "dropped_out", "left_on": dt.date.today().isoformat()},
        user,
    )
    base = f"/api/v1/organisations/{tree.school1.code}/learners"
    r = api.get(base, user).json()
    assert r["count"] == 4
    assert [x["last_name"] for x in r["results"]] == ["ง", "ก", "ค", "ข"]
    assert api.get(base + "?status=all", user).json()["count"] == 5
    assert api.get(base + "?status=dropped_out", user).json()["count"] == 1
    assert api.get(base + "?class_level=p1&room=2", user).json()["count"] == 2
    assert api.get(base + "?search=ค", user).json()["count"] == 1
    r = api.get(base + "?page=2&page_size=3", user).json()
    assert r["count"] == 4 and len(r["results"]) == 1
    assert api.get(base + "?page_size=501", user).status_code == 400
    assert api.get(base + "?status=gone", user).status_code == 400


def test_search_by_exact_identity_only_for_unmasked_callers(tree, api):
    make(tree.school1, national_id=nid(400))
    path = f"/api/v1/organisations/{{}}/learners?search={nid(400)}"
    assert api.get(path.format(tree.school1.code), tree.users["school1"]).json()["count"] == 1
    assert api.get(path.format(tree.lao1.code), tree.users["lao1"]).json()["count"] == 1
    assert api.get(path.format(tree.p1.code), tree.users["p1"]).json()["count"] == 0


def test_masking_per_role(tree, api):
    learner = make(tree.school1, national_id=nid(500))
    value = nid(500)
    masked = f"{value[0]}-{value[1:5]}-xxxxx-xx-{value[12]}"
    seen = {
        name: api.get(f"/api/v1/learners/{learner.pk}", tree.users[name]).json()["national_id"]
        for name in ("school1", "lao1", "p1", "dept")
    }
    assert seen == {"school1": value, "lao1": value, "p1": masked, "dept": masked}
    r = api.get(f"/api/v1/organisations/{tree.p1.code}/learners", tree.users["p1"]).json()
    assert r["results"][0]["national_id"] == masked
    assert api.get(f"/api/v1/learners/{learner.pk}", tree.users["p2"]).status_code == 404


def test_full_record_views_above_the_institution_are_logged(tree, api):
    from accounts.models import AuditLog

    learner = make(tree.school1)
    api.get(f"/api/v1/learners/{learner.pk}", tree.users["school1"])
    assert not AuditLog.objects.filter(action="learner_view").exists()
    api.get(f"/api/v1/learners/{learner.pk}", tree.users["p1"])
    assert AuditLog.objects.filter(action="learner_view", user=tree.users["p1"]).count() == 1


def test_subtree_list_for_officers(tree, api):
    make(tree.school1)
    make(tree.cdc1, class_level="cdc3", level="cdc3")
    make(tree.school3)
    make(tree.school4)

    def count(name, org):
        return api.get(f"/api/v1/organisations/{org.code}/learners", tree.users[name]).json()["count"]  # noqa: E731

    assert count("lao1", tree.lao1) == 2
    assert count("p1", tree.p1) == 3
    assert count("dept", tree.dept) == 4
    assert api.get(f"/api/v1/organisations/{tree.p2.code}/learners", tree.users["p1"]).status_code == 404


def test_list_query_budget_with_many_rows(tree, api, django_assert_max_num_queries):
    for i in range(60):
        make(tree.school1, national_id=nid(1000 + i), room=str(i % 3))
    for i in range(20):
        make(tree.school2, national_id=nid(2000 + i))
    user = tree.users["lao1"]
    api.token(user)
    with django_assert_max_num_queries(10):
        r = api.get(f"/api/v1/organisations/{tree.lao1.code}/learners?page_size=500", user)
    assert r.json()["count"] == 80 and len(r.json()["results"]) == 80


# Transfers


def test_transfer_request_approve_moves_the_same_record(tree, api):
    learner = make(tree.school2, national_id=nid(600))
    r = api.post(
        "/api/v1/transfers",
        {"identity": nid(600), "to_organisation": tree.school1.code, "class_level": "p1"},
        tree.users["school1"],
    )
    assert r.status_code == 201, r.content
    transfer = r.json()
    assert transfer["state"] == "pending" and transfer["from_organisation"] == tree.school2.code
    assert transfer["learner"] == learner.pk and transfer["requested_by"] == "u_school1"
    # both sides see it
    assert api.get("/api/v1/transfers?direction=incoming", tree.users["school1"]).json()["count"] == 1
    assert api.get("/api/v1/transfers?direction=outgoing", tree.users["school2"]).json()["count"] == 1
    assert api.get("/api/v1/transfers", tree.users["school3"]).json()["count"] == 0
    # the receiving side cannot approve its own request
    assert (
        api.post(f"/api/v1/transfers/{transfer['id']}/approve", {}, tree.users["school1"]).status_code == 403
    )
    r = api.post(f"/api/v1/transfers/{transfer['id']}/approve", {}, tree.users["school2"])
    assert r.status_code == 200 and r.json()["state"] == "approved" and r.json()["decided_by"] == "u_school2"
    learner.refresh_from_db()
    assert learner.organisation_id == tree.school1.pk and learner.version == 2
    assert learner.history.count() == 2
    assert api.get(f"/api/v1/learners/{learner.pk}", tree.users["school2"]).status_code == 404
    r = api.post(f"/api/v1/transfers/{transfer['id']}/approve", {}, tree.users["school2"])
    assert r.status_code == 409 and r.json()["code"] == "already_decided"


def test_lao_may_approve_for_its_institution(tree, api):
    make(tree.school2, national_id=nid(601))
    t = api.post(
        "/api/v1/transfers",
        {"identity": nid(601), "to_organisation": tree.school4.code, "class_level": "p1"},
        tree.users["school4"],
    ).json()
    assert api.post(f"/api/v1/transfers/{t['id']}/approve", {}, tree.users["lao3"]).status_code == 403
    assert api.post(f"/api/v1/transfers/{t['id']}/approve", {}, tree.users["lao1"]).status_code == 200


def test_transfer_reject_needs_a_reason_then_already_decided(tree, api):
    make(tree.school2, national_id=nid(602))
    t = api.post(
        "/api/v1/transfers",
        {"identity": nid(602), "to_organisation": tree.school1.code, "class_level": "p1"},
        tree.users["school1"],
    ).json()
    r = api.post(f"/api/v1/transfers/{t['id']}/reject", {"reason": ""}, tree.users["school2"])
    assert r.status_code == 400 and "reason" in r.json()["errors"]
    r = api.post(f"/api/v1/transfers/{t['id']}/reject", {"reason": "ยังเรียนอยู่"}, tree.users["school2"])
    assert r.status_code == 200 and r.json()["state"] == "rejected" and r.json()["reason"] == "ยังเรียนอยู่"
    r = api.post(f"/api/v1/transfers/{t['id']}/reject", {"reason": "x"}, tree.users["school2"])
    assert r.status_code == 409 and r.json()["code"] == "already_decided"
    assert Learner.objects.get(national_id=nid(602)).organisation_id == tree.school2.pk


def test_transfer_request_refusals(tree, api):
    make(tree.school2, national_id=nid(603))
    user = tree.users["school1"]
    body = {"identity": nid(603), "to_organisation": tree.school1.code, "class_level": "p1"}
    assert api.post("/api/v1/transfers", {**body, "identity": nid(604)}, user).status_code == 404
    assert (
        api.post(
            "/api/v1/transfers", {**body, "to_organisation": tree.school2.code}, tree.users["school2"]
        ).json()["code"]
        == "invalid_transition"
    )
    assert api.post("/api/v1/transfers", body, user).status_code == 201
    r = api.post("/api/v1/transfers", body, user)
    assert r.status_code == 409 and r.json()["code"] == "already_pending"
    assert (
        api.post("/api/v1/transfers", {**body, "to_organisation": tree.school2.code}, user).status_code == 404
    )
    assert api.post(
        "/api/v1/transfers", {**body, "class_level": "cdc2"}, tree.users["school3"]
    ).status_code in (400, 404)


@pytest.mark.parametrize("locked", ["from", "to"])
def test_transfer_approve_refused_while_either_side_is_confirmed(tree, api, locked):
    learner = make(tree.school2, national_id=nid(605))
    t = api.post(
        "/api/v1/transfers",
        {"identity": nid(605), "to_organisation": tree.school1.code, "class_level": "p1"},
        tree.users["school1"],
    ).json()
    org = tree.school2 if locked == "from" else tree.school1
    org.learners_locked = True
    org.save()
    r = api.post(f"/api/v1/transfers/{t['id']}/approve", {}, tree.users["school2"])
    assert r.status_code == 409 and r.json()["code"] == "confirmed_locked"
    assert Transfer.objects.get(pk=t["id"]).state == "pending"
    learner.refresh_from_db()
    assert learner.organisation_id == tree.school2.pk


def test_openapi_declares_learner_operations(api, client):
    schema = client.get("/api/v1/openapi.json").json()
    op = schema["paths"]["/api/v1/organisations/{code}/learners"]["post"]
    assert {"201", "400", "404", "409"} <= set(op["responses"])


def test_disability_is_hidden_above_the_lao(tree, api):
    learner = make(tree.school1, disability="autism")
    assert api.get(f"/api/v1/learners/{learner.pk}", tree.users["lao1"]).json()["disability"] == "autism"
    assert api.get(f"/api/v1/learners/{learner.pk}", tree.users["p1"]).json()["disability"] is None


def test_unauthenticated_is_401(tree, api):
    r = api.get(f"/api/v1/organisations/{tree.school1.code}/learners")
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated"


def test_messages_follow_accept_language(tree, api):
    body = {**learner_input(), "first_name": " "}
    user = tree.users["school1"]
    th = api.post(f"/api/v1/organisations/{tree.school1.code}/learners", body, user).json()
    en = api.post(
        f"/api/v1/organisations/{tree.school1.code}/learners", body, user, HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    assert th["errors"]["first_name"] == ["กรอกชื่อ"]
    assert en["errors"]["first_name"] == ["Enter the first name."]


def test_age_is_checked_on_the_open_rounds_census_date(tree, api):

    census = dt.date(dt.date.today().year - 1, 6, 10)
    RoundFactory(academic_year=census.year + 543, term=1)  # census: 10 June of that year
    # 16 on the census date (fits ป.1's 5–16) though 17 today
    body = learner_input(birth_date=dt.date(census.year - 17, 6, 11).isoformat(), class_level="p1")
    r = api.post(f"/api/v1/organisations/{tree.school1.code}/learners", body, tree.users["school1"])
    assert r.status_code == 201, r.content
    # 4 on the census date (too young for ป.1) though 6 today
    body = learner_input(birth_date=dt.date(census.year - 5, 6, 11).isoformat(), class_level="p1")
    r = api.post(f"/api/v1/organisations/{tree.school1.code}/learners", body, tree.users["school1"])
    assert r.status_code == 400 and "birth_date" in r.json()["errors"]
