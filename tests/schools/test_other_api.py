"""api.md "Other-affiliation headcounts": the LAO's list, GET and PUT of one school's entry, the refusals, who may
read and write, and query budgets with many schools."""

import pytest

from schools.models import Kind, Organisation, OtherSchoolEntry
from tests.factories import org
from tests.schools.test_other_services import make_round

URL = "/api/v1/other-schools/{code}/headcounts?round={round}"


@pytest.fixture
def rnd(db):
    return make_round()


def put(api, user, rnd, body, code="9050100001"):
    return api.put(URL.format(code=code, round=rnd.pk), body, user)


def test_lao_lists_its_other_schools_closed_ones_included(api, tree):
    org(Kind.OTHER_SCHOOL, tree.lao1, code="9050100002", name_th="ก โรงเรียนปิด", is_active=False)
    r = api.get("/api/v1/organisations/5010101/other-schools", tree.users["lao1"])
    assert r.status_code == 200
    assert [(o["code"], o["is_active"], o["parent_code"], o["kind"]) for o in r.json()] == [
        ("9050100002", False, "5010101", "other_school"), ("9050100001", True, "5010101", "other_school")]  # fmt: skip
    assert api.get("/api/v1/organisations/5010101/other-schools", tree.users["p1"]).status_code == 200
    for user in ("lao2", "school1", "p2"):
        r = api.get("/api/v1/organisations/5010101/other-schools", tree.users[user])
        assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_entry_before_and_after_the_first_save(api, tree, rnd):
    lao = tree.users["lao1"]
    r = api.get(URL.format(code="9050100001", round=rnd.pk), lao)
    assert r.status_code == 200 and r.json() == {"entered": False, "closed": False, "counts": []}
    body = {"closed": False, "counts": [{"class_level": "p2", "male": 3, "female": 4},
                                        {"class_level": "k1", "male": 1, "female": 0}]}  # fmt: skip
    r = put(api, lao, rnd, body)
    assert r.status_code == 200, r.content
    expected = {"entered": True, "closed": False, "counts": [
        {"class_level": "k1", "male": 1, "female": 0}, {"class_level": "p2", "male": 3, "female": 4}]}  # fmt: skip
    assert r.json() == expected
    assert api.get(URL.format(code="9050100001", round=rnd.pk), lao).json() == expected
    # The province sees it too, read-only.
    assert api.get(URL.format(code="9050100001", round=rnd.pk), tree.users["p1"]).json() == expected


def test_put_replaces_the_entry_and_a_closed_school_has_no_counts(api, tree, rnd):
    lao = tree.users["lao1"]
    put(api, lao, rnd, {"closed": False, "counts": [{"class_level": "p1", "male": 3, "female": 4}]})
    r = put(api, lao, rnd, {"closed": True, "counts": []})
    assert r.status_code == 200 and r.json() == {"entered": True, "closed": True, "counts": []}
    r = put(api, lao, rnd, {"closed": True, "counts": [{"class_level": "p1", "male": 0, "female": 1}]})
    assert r.status_code == 400 and r.json()["code"] == "invalid" and "closed" in r.json()["errors"]
    assert api.get(URL.format(code="9050100001", round=rnd.pk), lao).json()["closed"] is True


@pytest.mark.parametrize(
    "counts, path",
    [
        ([{"class_level": "cdc2", "male": 1, "female": 1}], "counts.0.class_level"),
        ([{"class_level": "p1", "male": -1, "female": 1}], "counts.0.male"),
        ([{"class_level": "p1", "male": 1, "female": 2.5}], "counts.0.female"),
        ([{"class_level": "p1", "male": "abc", "female": 1}], "counts.0.male"),
        ([{"class_level": "p1", "male": 1, "female": 1}, {"class_level": "p1", "male": 1, "female": 1}],
         "counts.1.class_level"),
        ([{"class_level": "p9", "male": 1, "female": 1}], "counts.0.class_level"),
        ([{"male": 1, "female": 1}], "counts.0.class_level"),
    ],
)  # fmt: skip
def test_bad_counts_are_400_on_their_dotted_path_and_nothing_is_written(api, tree, rnd, counts, path):
    r = put(api, tree.users["lao1"], rnd, {"closed": False, "counts": counts})
    assert r.status_code == 400, r.content
    body = r.json()
    assert body["code"] == "invalid" and path in body["errors"] and body["detail"]
    assert not OtherSchoolEntry.objects.exists()


def test_messages_follow_accept_language(api, tree, rnd):
    body = {"closed": False, "counts": [{"class_level": "p1", "male": -1, "female": 0}]}
    th = put(api, tree.users["lao1"], rnd, body).json()["errors"]["counts.0.male"][0]
    en = api.put(URL.format(code="9050100001", round=rnd.pk), body, tree.users["lao1"],
                 HTTP_ACCEPT_LANGUAGE="en").json()["errors"]["counts.0.male"][0]  # fmt: skip
    assert en == "A count cannot be below 0." and th != en


def test_thai_digit_strings_are_accepted(api, tree, rnd):
    r = put(
        api,
        tree.users["lao1"],
        rnd,
        {"closed": False, "counts": [{"class_level": "ป.1", "male": "๑๒", "female": 0}]},
    )
    assert r.status_code == 200 and r.json()["counts"] == [{"class_level": "p1", "male": 12, "female": 0}]


@pytest.mark.parametrize("state", ["planned", "closed"])
def test_round_not_open_is_409(api, tree, state):
    rnd = make_round(2568, 2, state=state)
    r = put(api, tree.users["lao1"], rnd, {"closed": True, "counts": []})
    assert r.status_code == 409 and r.json()["code"] == "round_not_open"
    assert not OtherSchoolEntry.objects.exists()


def test_confirmed_scope_is_409_confirmed_locked(api, tree, rnd):
    Organisation.objects.filter(pk=tree.lao1.pk).update(other_schools_locked=True)
    r = put(api, tree.users["lao1"], rnd, {"closed": True, "counts": []})
    assert r.status_code == 409 and r.json()["code"] == "confirmed_locked"
    assert not OtherSchoolEntry.objects.exists()


def test_who_may_read_and_write(api, tree, rnd):
    body = {"closed": True, "counts": []}
    assert put(api, tree.users["p1"], rnd, body).status_code == 403
    assert put(api, tree.users["dept"], rnd, body).status_code == 403
    for name in ("lao2", "lao3", "p2", "school1", "cdc1"):  # cannot see it: 404, never 403
        assert put(api, tree.users[name], rnd, body).status_code == 404, name
        assert api.get(URL.format(code="9050100001", round=rnd.pk), tree.users[name]).status_code == 404
    assert api.get(URL.format(code="9050100001", round=rnd.pk)).status_code == 401
    assert not OtherSchoolEntry.objects.exists()
    # Another LAO's school, an institution and an unknown code are all "not found" for this LAO.
    for code in ("9050300001", "1050100001", "nope"):
        assert put(api, tree.users["lao1"], rnd, body, code=code).status_code == 404


def test_unknown_round_is_404_and_no_round_defaults_to_the_open_one(api, tree, rnd):
    lao = tree.users["lao1"]
    assert api.get(URL.format(code="9050100001", round=rnd.pk + 99), lao).status_code == 404
    r = api.put("/api/v1/other-schools/9050100001/headcounts", {"closed": True, "counts": []}, lao)
    assert r.status_code == 200 and OtherSchoolEntry.objects.get().round == rnd


def test_openapi_documents_the_operations(api, tree):
    schema = api.client.get("/api/v1/openapi.json").json()
    op = schema["paths"]["/api/v1/other-schools/{code}/headcounts"]["put"]
    assert {"200", "400", "403", "404", "409"} <= set(op["responses"])
    assert any(p["name"] == "round" for p in op["parameters"])


def test_query_budgets_with_many_schools(api, tree, rnd, django_assert_max_num_queries):
    lao = tree.users["lao1"]
    for i in range(45):
        org(Kind.OTHER_SCHOOL, tree.lao1, code=f"905018{i:04d}")
    api.token(lao)
    with django_assert_max_num_queries(8):
        r = api.get("/api/v1/organisations/5010101/other-schools", lao)
    assert r.status_code == 200 and len(r.json()) == 46
    body = {
        "closed": False,
        "counts": [{"class_level": c, "male": 9, "female": 9} for c in ("k1", "p1", "p2", "m1")],
    }
    put(api, lao, rnd, body)
    with django_assert_max_num_queries(10):
        assert api.get(URL.format(code="9050100001", round=rnd.pk), lao).status_code == 200
    with django_assert_max_num_queries(20):
        assert put(api, lao, rnd, body).status_code == 200


@pytest.mark.parametrize(
    "item, path",
    [
        ({"class_level": ["p1"], "male": 1, "female": 1}, "counts.0.class_level"),
        ({"class_level": {"x": 1}, "male": 1, "female": 1}, "counts.0.class_level"),
        ({"class_level": "p1", "male": {"n": 1}, "female": 1}, "counts.0.male"),
        ({"class_level": "p1", "male": [1], "female": 1}, "counts.0.male"),
        ({"class_level": "p1", "male": True, "female": 1}, "counts.0.male"),
        ({"class_level": "p1", "male": None, "female": "1e3"}, "counts.0.female"),
    ],
)
def test_odd_json_values_are_400_not_500(api, tree, rnd, item, path):
    r = put(api, tree.users["lao1"], rnd, {"closed": False, "counts": [item]})
    assert r.status_code == 400 and path in r.json()["errors"], r.content
    assert not OtherSchoolEntry.objects.exists()
