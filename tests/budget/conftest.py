"""The hand-computed world of issue 15: two LAOs, a school of 35 pupils, one of 130, a CDC, three
other-affiliation schools of different sizes (one closed), an unconfirmed school, a closed LAO school; the
FY2570 example rates. Everything is confirmed through the API, as the offices would."""

import dataclasses
import datetime
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from schools.models import Kind, Round
from students.models import LearnerCount
from tests.factories import ApiClient, RoundFactory, UserFactory, org

RATES = Path(__file__).resolve().parents[2] / "budget" / "data" / "rates_fy2570.csv"


@dataclasses.dataclass
class World:
    round: Round
    dept: object
    p1: object
    p2: object
    lao_a: object
    lao_b: object
    lao_c: object
    s35: object
    cdc: object
    o41: object
    s130: object
    o120: object
    o_closed: object
    s_open: object
    s_gone: object
    users: dict
    api: ApiClient

    def call(self, method, path, who, body=None):
        user = self.users[who]
        if method == "get":
            return self.api.get(path, user=user)
        return getattr(self.api, method)(path, body or {}, user=user)


def counts(institution, **per_level):
    """counts(school, p1=(5, 5)): the live counters (male, female) an institution's learners would leave."""
    for level, (male, female) in per_level.items():
        for gender, n in (("male", male), ("female", female)):
            LearnerCount.objects.update_or_create(
                organisation=institution, class_level=level, gender=gender, defaults={"count": n}
            )


def make_round(year=2569, term=1, state="open") -> Round:
    return RoundFactory(academic_year=year, term=term, census_date=datetime.date(2026, 6, 10), state=state)


def build_world(client) -> World:
    call_command("load_budget_rates", str(RATES), stdout=io.StringIO())
    dept = org(Kind.DEPARTMENT, code="DLA", name_th="กรมส่งเสริมการปกครองท้องถิ่น")
    p1 = org(Kind.PROVINCE, dept, code="50", name_th="สถจ.เชียงใหม่")
    p2 = org(Kind.PROVINCE, dept, code="30", name_th="สถจ.นครราชสีมา")
    lao_a = org(Kind.LAO, p1, code="LAO-A", name_th="เทศบาลตำบลเอ")
    lao_b = org(Kind.LAO, p1, code="LAO-B", name_th="อบต.บี")
    lao_c = org(Kind.LAO, p2, code="LAO-C", name_th="อบต.ซี")
    nodes = dict(
        s35=org(Kind.SCHOOL, lao_a, code="S35", name_th="โรงเรียนสามสิบห้า"),
        cdc=org(Kind.CDC, lao_a, code="CDC20", name_th="ศพด.ยี่สิบ"),
        o41=org(Kind.OTHER_SCHOOL, lao_a, code="O41", name_th="โรงเรียนสี่สิบเอ็ด (สพฐ.)"),
        s130=org(Kind.SCHOOL, lao_b, code="S130", name_th="โรงเรียนร้อยสามสิบ"),
        o120=org(Kind.OTHER_SCHOOL, lao_b, code="O120", name_th="โรงเรียนร้อยยี่สิบ (สพฐ.)"),
        o_closed=org(Kind.OTHER_SCHOOL, lao_b, code="OCLOSED", name_th="โรงเรียนที่ปิดแล้ว (สพฐ.)"),
        s_open=org(Kind.SCHOOL, lao_b, code="SOPEN", name_th="โรงเรียนที่ยังไม่ยืนยัน"),
        s_gone=org(Kind.SCHOOL, lao_b, code="SGONE", name_th="โรงเรียนที่ยุบแล้ว", is_active=False),
        school_c=org(Kind.SCHOOL, lao_c, code="SC", name_th="โรงเรียนซี"),
    )
    counts(nodes["s35"], k3=(3, 2), p1=(5, 5), p6=(6, 6), m1=(4, 4))  # 35 pupils
    counts(nodes["cdc"], cdc2=(3, 3), cdc3=(7, 7))  # 20 children
    counts(nodes["s130"], k1=(10, 10), p1=(15, 15), p2=(15, 15), m4=(10, 10), voc1=(15, 15))  # 130 pupils
    counts(nodes["s_open"], p1=(50, 50))  # not confirmed: must not count
    counts(nodes["school_c"], p1=(1, 1))  # not confirmed either
    users = {
        name: UserFactory(username=f"b_{name}", organisation=o)
        for name, o in {
            "dept": dept,
            "p1": p1,
            "p2": p2,
            "lao_a": lao_a,
            "lao_b": lao_b,
            "lao_c": lao_c,
            **nodes,
        }.items()  # fmt: skip
        if o.kind != Kind.OTHER_SCHOOL
    }
    rnd = make_round()
    world = World(rnd, dept, p1, p2, lao_a, lao_b, lao_c, users=users, api=ApiClient(client),
                  **{k: v for k, v in nodes.items() if k != "school_c"})  # fmt: skip
    for name in ("s35", "cdc", "s130"):
        r = world.call("post", f"/api/v1/organisations/{nodes[name].code}/confirm", name,
                       {"round": rnd.pk, "scope": "learners"})  # fmt: skip
        assert r.status_code == 200, r.content
    entries = {
        "o41": {"closed": False, "counts": [{"class_level": "p1", "male": 10, "female": 11},
                                            {"class_level": "p2", "male": 10, "female": 10}]},
        "o120": {"closed": False, "counts": [{"class_level": "k2", "male": 10, "female": 10},
                                             {"class_level": "p3", "male": 30, "female": 30},
                                             {"class_level": "m2", "male": 20, "female": 20}]},
        "o_closed": {"closed": True, "counts": []},
    }  # fmt: skip
    for name, body in entries.items():
        lao = "lao_a" if name == "o41" else "lao_b"
        r = world.call(
            "put", f"/api/v1/other-schools/{nodes[name].code}/headcounts?round={rnd.pk}", lao, body
        )
        assert r.status_code == 200, r.content
    for lao in ("lao_a", "lao_b"):
        code = getattr(world, lao).code
        r = world.call(
            "post", f"/api/v1/organisations/{code}/confirm", lao, {"round": rnd.pk, "scope": "other_schools"}
        )
        assert r.status_code == 200, r.content
    return world


@pytest.fixture
def world(db, client) -> World:
    return build_world(client)
