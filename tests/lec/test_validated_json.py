"""Large API answers validated by a plain pydantic mirror of their schema (lec.lib.schemas.validated_json, issue
16): byte for byte what ninja would have sent for the same data, and still refused when the data does not fit."""

import json

import pydantic
import pytest
from ninja import Schema
from ninja.operation import ResponseObject
from ninja.responses import NinjaJSONEncoder

import confirmations.api
import students.api
from lec.lib import schemas
from students.models import SHORTAGES as _SHORTAGES
from tests.factories import RoundFactory, make_confirmation, make_learner, make_other_school_entry

pytestmark = pytest.mark.django_db
SHORTAGES = sorted(_SHORTAGES)[:2]


def ninja_body(schema, data) -> bytes:
    """What ninja's operation does with a handler's plain result (ninja/operation.py `_result_to_response`)."""
    wrapper = pydantic.create_model("Wrapper", __base__=Schema, response=(schema, ...))
    validated = wrapper.model_validate(
        ResponseObject(data), context={"request": None, "response_status": 200}
    )
    return json.dumps(validated.model_dump()["response"], cls=NinjaJSONEncoder).encode()


@pytest.fixture
def recorded(monkeypatch):
    calls = []

    def record(schema, data, status=200):
        response = schemas.validated_json(schema, data, status)
        calls.append((schema, data, response))
        return response

    monkeypatch.setattr(students.api, "validated_json", record)
    monkeypatch.setattr(confirmations.api, "validated_json", record)
    return calls


def test_the_learner_list_headcounts_and_confirmation_are_what_ninja_would_send(tree, api, recorded):
    round_ = RoundFactory()
    person = {"prefix": "นาย", "first_name": "สมศักดิ์", "last_name": "ใจดี", "occupation": "ค้าขาย",
              "income": 12000, "phone": "0812345678"}  # fmt: skip
    address = {"house_no": "12/3", "moo": "4", "subdistrict": "ในเมือง", "district": "เมือง", "province": "ขอนแก่น",
               "postcode": "40000"}  # fmt: skip
    make_learner(tree.school1, room="2", weight_kg="25.5", height_cm="120", father=person,
                 registered_address=address, shortages=SHORTAGES)  # fmt: skip
    make_learner(tree.school1, class_level="p2", prefix="เด็กหญิง", first_name='ก<b>"&')
    make_learner(tree.school2)
    make_confirmation(tree.school2, round_)
    make_other_school_entry(tree.other1, round_, p1=(3, 4))
    school, lao = tree.users["school1"], tree.users["lao1"]
    for path, user in [
        (f"/api/v1/organisations/{tree.school1.code}/learners?status=all", school),
        (f"/api/v1/organisations/{tree.lao1.code}/learners", lao),  # masked above the institution
        (f"/api/v1/organisations/{tree.lao1.code}/confirmation?round={round_.pk}", lao),
        (f"/api/v1/organisations/{tree.school2.code}/confirmation?round={round_.pk}", tree.users["school2"]),
        (f"/api/v1/headcounts?organisation={tree.lao1.code}&round={round_.pk}&source=live", lao),
        (f"/api/v1/headcounts?organisation={tree.lao1.code}&round={round_.pk}&by=child", lao),
    ]:
        response = api.get(path, user)
        assert response.status_code == 200, (path, response.content)
        schema, data, sent = recorded[-1]
        assert sent is response or sent.content == response.content
        assert response.content == ninja_body(schema, data), path
        assert response["Content-Type"] == "application/json; charset=utf-8"
    assert len(recorded) == 6
    listed = json.loads(recorded[0][2].content)
    assert listed["count"] == 2 and {r["first_name"] for r in listed["results"]} == {"สมชาย", 'ก<b>"&'}
    assert json.loads(recorded[4][2].content)["total"] == 3 + 4 + 3  # other school's 7 and three learners


def test_data_that_does_not_fit_the_schema_is_refused_as_ninja_would():
    from students.schemas import LearnerList

    with pytest.raises(pydantic.ValidationError):
        schemas.validated_json(LearnerList, {"count": 1, "results": [{"id": "not a number"}]})
    with pytest.raises(pydantic.ValidationError):
        ninja_body(LearnerList, {"count": 1, "results": [{"id": "not a number"}]})
