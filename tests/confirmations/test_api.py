"""The /api/v1 contracts of api.md for rounds, confirmations, unlock requests, events and headcounts."""

import pytest

from schools.models import Round

from .conftest import confirm, confirm_lao1, counts, enter


def conf_url(org, suffix=""):
    return f"/api/v1/organisations/{org.code}/{suffix}"


ROUND = {
    "academic_year": 2570,
    "term": 1,
    "census_date": "2027-06-10",
    "opens_at": "2027-05-15T08:00:00+07:00",
    "closes_at": "2027-06-30T16:30:00+07:00",
}


def test_department_creates_opens_and_closes_a_round(tree, api):
    dept = tree.users["dept"]
    r = api.post("/api/v1/rounds", ROUND, dept)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "planned" and body["term"] == 1 and body["census_date"] == "2027-06-10"
    assert api.post("/api/v1/rounds", ROUND, dept).json()["code"] == "round_exists"
    rid = body["id"]
    assert api.post(f"/api/v1/rounds/{rid}/close", {}, dept).json()["code"] == "invalid_transition"
    r = api.post(f"/api/v1/rounds/{rid}/open", {}, dept)
    assert r.status_code == 200 and r.json()["state"] == "open"
    assert r.json()["opens_at"] < "2027"  # opened now, earlier than planned
    r = api.post(f"/api/v1/rounds/{rid}/close", {}, dept)
    assert r.status_code == 200 and r.json()["state"] == "closed"
    assert [x["id"] for x in api.get("/api/v1/rounds", tree.users["school1"]).json()] == [rid]


def test_round_datetimes_need_an_offset_and_only_the_department_manages(tree, api):
    r = api.post("/api/v1/rounds", {**ROUND, "opens_at": "2027-05-15T08:00:00"}, tree.users["dept"])
    assert r.status_code == 400 and "opens_at" in r.json()["errors"]
    r = api.post("/api/v1/rounds", {**ROUND, "closes_at": ROUND["opens_at"]}, tree.users["dept"])
    assert r.status_code == 400 and "closes_at" in r.json()["errors"]
    assert api.post("/api/v1/rounds", ROUND, tree.users["p1"]).status_code == 403
    assert not Round.objects.exists()


def test_confirm_and_read_the_confirmation(tree, api, rnd):
    r = api.post(
        conf_url(tree.school1, "confirm"), {"round": rnd.pk, "scope": "learners"}, tree.users["school1"]
    )
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "confirmed" and r.json()["confirmed_by"] == "u_school1"
    again = api.post(
        conf_url(tree.school1, "confirm"), {"round": rnd.pk, "scope": "learners"}, tree.users["school1"]
    )
    assert again.status_code == 409 and again.json()["code"] == "already_confirmed"
    body = api.get(conf_url(tree.lao1, f"confirmation?round={rnd.pk}"), tree.users["lao1"]).json()
    assert (
        body["scopes"]["learners"]["state"] == "open" and body["scopes"]["other_schools"]["state"] == "open"
    )
    children = {c["code"]: c for c in body["children"]}
    assert children[tree.school1.code]["learners"] == "confirmed"
    assert children[tree.school2.code]["learners"] == "open"
    assert children[tree.other1.code] == {"code": tree.other1.code, "kind": "other_school",
                                          "name_th": tree.other1.name_th, "learners": None,
                                          "other_schools": "missing"}  # fmt: skip
    assert body["blockers"] == sorted([tree.school2.code, tree.cdc1.code, tree.other1.code])
    school = api.get(conf_url(tree.school1, f"confirmation?round={rnd.pk}"), tree.users["school1"]).json()
    assert school["scopes"]["other_schools"] is None and school["children"] == []


def test_confirm_refusals_carry_codes_and_blockers(tree, api, rnd):
    lao = tree.users["lao1"]
    r = api.post(conf_url(tree.lao1, "confirm"), {"round": rnd.pk, "scope": "learners"}, lao)
    assert r.status_code == 409 and r.json()["code"] == "children_not_confirmed"
    assert r.json()["blockers"] == [tree.school1.code, tree.school2.code, tree.cdc1.code]
    r = api.post(conf_url(tree.lao1, "confirm"), {"round": rnd.pk, "scope": "other_schools"}, lao)
    assert r.json()["code"] == "headcounts_missing" and r.json()["blockers"] == [tree.other1.code]
    r = api.post(
        conf_url(tree.school1, "confirm"), {"round": rnd.pk, "scope": "other_schools"}, tree.users["school1"]
    )
    assert r.status_code == 400 and "scope" in r.json()["errors"]
    r = api.post(
        conf_url(tree.school1, "confirm"), {"round": rnd.pk, "scope": "learners"}, tree.users["lao1"]
    )
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = api.post(
        conf_url(tree.school4, "confirm"), {"round": rnd.pk, "scope": "learners"}, tree.users["lao1"]
    )
    assert r.status_code == 404
    rnd.state = "closed"
    rnd.save()
    r = api.post(
        conf_url(tree.school1, "confirm"), {"round": rnd.pk, "scope": "learners"}, tree.users["school1"]
    )
    assert r.json()["code"] == "round_not_open"


def test_unlock_over_the_api(tree, api, rnd):
    confirm_lao1(tree, rnd)
    body = {"round": rnd.pk, "scope": "learners", "reason": "แก้ไขข้อมูล"}
    r = api.post(conf_url(tree.school1, "unlock"), body, tree.users["lao1"])
    assert r.status_code == 409 and r.json()["code"] == "parent_confirmed"
    r = api.post(conf_url(tree.school1, "unlock"), {**body, "reason": ""}, tree.users["lao1"])
    assert r.status_code == 400 and "reason" in r.json()["errors"]
    assert api.post(conf_url(tree.lao1, "unlock"), body, tree.users["p1"]).status_code == 200
    r = api.post(conf_url(tree.school1, "unlock"), body, tree.users["lao1"])
    assert r.status_code == 200 and r.json() == {"state": "open", "confirmed_at": None, "confirmed_by": None}
    r = api.post(conf_url(tree.school1, "unlock"), body, tree.users["lao1"])
    assert r.json()["code"] == "not_confirmed"


def test_unlock_requests_over_the_api(tree, api, rnd):
    confirm(tree, rnd, "school1")
    body = {"round": rnd.pk, "scope": "learners", "reason": "มีนักเรียนย้ายเข้า"}
    r = api.post(conf_url(tree.school1, "unlock-requests"), body, tree.users["school1"])
    assert r.status_code == 201, r.content
    req = r.json()
    assert (
        req["state"] == "pending"
        and req["requested_by"] == "u_school1"
        and req["organisation"] == tree.school1.code
    )
    r = api.post(conf_url(tree.school1, "unlock-requests"), body, tree.users["school1"])
    assert r.json()["code"] == "already_pending"
    listed = api.get("/api/v1/unlock-requests?state=pending", tree.users["lao1"]).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == req["id"]
    assert api.get("/api/v1/unlock-requests?state=pending", tree.users["lao2"]).json()["count"] == 0
    assert api.get("/api/v1/unlock-requests", tree.users["school1"]).json()["count"] == 1
    assert api.get("/api/v1/unlock-requests?page_size=501", tree.users["lao1"]).status_code == 400
    assert api.post(f"/api/v1/unlock-requests/{req['id']}/approve", {}, tree.users["lao2"]).status_code == 404
    assert (
        api.post(f"/api/v1/unlock-requests/{req['id']}/approve", {}, tree.users["school1"]).status_code == 403
    )
    r = api.post(f"/api/v1/unlock-requests/{req['id']}/approve", {}, tree.users["lao1"])
    assert r.status_code == 200 and r.json()["state"] == "approved" and r.json()["decided_by"] == "u_lao1"
    r = api.post(f"/api/v1/unlock-requests/{req['id']}/reject", {"reason": "x"}, tree.users["lao1"])
    assert r.status_code == 409 and r.json()["code"] == "already_decided"


def test_events_are_paginated_oldest_first_within_the_subtree(tree, api, rnd):
    confirm_lao1(tree, rnd)
    confirm(tree, rnd, "school3")
    r = api.get(conf_url(tree.lao1, f"events?round={rnd.pk}&page_size=2"), tree.users["lao1"])
    body = r.json()
    assert body["count"] == 4 and [e["organisation"] for e in body["results"]] == [
        tree.school1.code,
        tree.school2.code,
    ]
    assert body["results"][0]["action"] == "confirm" and body["results"][0]["actor"] == "u_school1"
    page2 = api.get(
        conf_url(tree.lao1, f"events?round={rnd.pk}&page_size=2&page=2"), tree.users["lao1"]
    ).json()
    assert [e["organisation"] for e in page2["results"]] == [tree.cdc1.code, tree.lao1.code]
    assert api.get(conf_url(tree.lao1, f"events?round={rnd.pk}"), tree.users["lao2"]).status_code == 404


def test_headcounts_confirmed_and_live_by_level_and_child(tree, api, rnd):
    counts(tree.school1, p1=(3, 2))
    counts(tree.school2, p1=(1, 1), k1=(4, 0))
    counts(tree.school3, m1=(5, 5))
    confirm(tree, rnd, "school1")
    enter(rnd, tree.other1, p1=(10, 20))
    confirm(tree, rnd, "lao1", "other_schools")
    enter(rnd, tree.other2, p2=(7, 7))  # entered but the LAO has not confirmed: live only
    user = tree.users["p1"]
    url = f"/api/v1/headcounts?round={rnd.pk}&organisation={tree.p1.code}"
    body = api.get(url + "&source=confirmed&scope=learners", user).json()
    assert body["rows"] == [
        {"class_level": "p1", "male": 3, "female": 2, "total": 5}
    ]  # exactly api.md's keys
    assert body["total"] == 5 and body["source"] == "confirmed" and body["scope"] == "learners"
    body = api.get(url + "&source=confirmed", user).json()
    assert body["total"] == 35
    live = api.get(url + "&source=live&scope=all", user).json()
    assert live["total"] == 5 + 6 + 10 + 30 + 14
    by_child = api.get(url + "&source=live&by=child", user).json()
    assert set(by_child["rows"][0]) == {"code", "name_th", "male", "female", "total"}
    assert [(r["code"], r["total"]) for r in by_child["rows"]] == [(tree.lao1.code, 41), (tree.lao2.code, 24)]
    other = api.get(url + "&source=live&scope=other_schools&by=child", user).json()
    assert [(r["code"], r["male"], r["female"]) for r in other["rows"]] == [(tree.lao1.code, 10, 20),
                                                                            (tree.lao2.code, 7, 7)]  # fmt: skip
    assert api.get(url.replace(tree.p1.code, tree.p2.code), user).status_code == 404
    assert api.get(url + "&source=nope", user).status_code == 400


@pytest.mark.parametrize("children", [120])
def test_confirmation_endpoint_query_budget(tree, api, rnd, django_assert_max_num_queries, children):
    from tests.factories import org

    for i in range(children):
        school = org("school", tree.lao1, code=f"10509{i:05d}")
        counts(school, p1=(i % 5, 1))
    api.token(tree.users["lao1"])
    with django_assert_max_num_queries(25):
        r = api.get(conf_url(tree.lao1, f"confirmation?round={rnd.pk}"), tree.users["lao1"])
    assert len(r.json()["children"]) == children + 4
    with django_assert_max_num_queries(15):
        api.get(
            f"/api/v1/headcounts?round={rnd.pk}&organisation={tree.lao1.code}&by=child", tree.users["lao1"]
        )
    with django_assert_max_num_queries(12):
        api.get(conf_url(tree.lao1, f"events?round={rnd.pk}"), tree.users["lao1"])


def test_bulk_unlock_over_the_api(tree, api, rnd):
    confirm_lao1(tree, rnd)
    body = {"round": rnd.pk, "codes": [tree.lao1.code, tree.lao2.code], "reason": "ตรวจใหม่"}
    r = api.post(conf_url(tree.p1, "unlock-children"), body, tree.users["p1"])
    assert r.status_code == 200
    assert [(i["code"], i["ok"], i["error_code"]) for i in r.json()] == [
        (tree.lao1.code, True, ""),
        (tree.lao2.code, False, "not_confirmed"),
    ]
    r = api.post(conf_url(tree.p1, "unlock-children"), {**body, "reason": ""}, tree.users["p1"])
    assert r.status_code == 400
    r = api.post(conf_url(tree.lao1, "unlock-children"), body, tree.users["lao1"])
    assert all(not i["ok"] for i in r.json())  # an LAO's children are not LAOs; nothing found to unlock


def test_lists_keep_their_query_budget(tree, api, rnd, django_assert_max_num_queries):
    from tests.factories import org

    schools = [org("school", tree.lao1, code=f"10508{i:05d}") for i in range(110)]
    from confirmations.models import Confirmation, ConfirmationEvent, UnlockRequest

    for s in schools:
        Confirmation.objects.create(round=rnd, organisation=s, scope="learners", state="confirmed")
        ConfirmationEvent.objects.create(round=rnd, organisation=s, scope="learners", action="confirm",
                                         actor_username="x")  # fmt: skip
        UnlockRequest.objects.create(round=rnd, organisation=s, scope="learners", reason="r",
                                     requested_by=tree.users["school1"])  # fmt: skip
    user = tree.users["lao1"]
    api.token(user)
    with django_assert_max_num_queries(10):
        r = api.get("/api/v1/unlock-requests?state=pending&page_size=500", user)
    assert r.json()["count"] == 110
    with django_assert_max_num_queries(10):
        r = api.get(conf_url(tree.lao1, f"events?round={rnd.pk}&page_size=500"), user)
    assert r.json()["count"] == 110
