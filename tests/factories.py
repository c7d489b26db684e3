"""factory-boy factories and a ready-made organisation tree for tests. Identities here are synthetic."""

import dataclasses
import datetime as dt
import json

import factory
from django.utils import timezone

from accounts.models import User
from accounts.services import user_reset_permissions
from schools.models import Kind, Organisation, OtherSchoolEntry, Round
from schools.tree import derived_fields

PASSWORD = "test-pass-2569"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = Kind.SCHOOL
    code = factory.Sequence(lambda n: f"T{n:06d}")
    name_th = factory.LazyAttribute(lambda o: f"หน่วยงานทดสอบ {o.code}")
    name_en = factory.LazyAttribute(lambda o: f"Test organisation {o.code}")
    parent = None
    lao_type = factory.LazyAttribute(lambda o: "sao" if o.kind == Kind.LAO else "")
    affiliation = factory.LazyAttribute(lambda o: "obec" if o.kind == Kind.OTHER_SCHOOL else "")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        obj = model_class(*args, **kwargs)
        for field, value in derived_fields(obj.kind, obj.parent, obj.code).items():
            setattr(obj, field, value)
        obj.save()
        if obj.kind in (Kind.PROVINCE, Kind.LAO):
            for field, value in derived_fields(obj.kind, obj.parent, obj.code, obj.id).items():
                setattr(obj, field, value)
            obj.save(update_fields=["province", "lao"])
        return obj


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    organisation = None
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def grants(obj, create, extracted, **kwargs):
        obj.save()
        if create and obj.organisation_id:
            user_reset_permissions(user=obj)


def org(kind, parent=None, code=None, **kw) -> Organisation:
    if code:
        kw["code"] = code
    return OrganisationFactory(kind=kind, parent=parent, **kw)


class RoundFactory(factory.django.DjangoModelFactory):
    """A round whose window contains now; `state` open unless told (only one round may be open)."""

    class Meta:
        model = Round

    academic_year = 2569
    term = 2
    census_date = factory.LazyAttribute(
        lambda r: dt.date(r.academic_year - 543, 6 if r.term == 1 else 11, 10)
    )
    opens_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))
    closes_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=14))
    state = Round.State.OPEN


def make_learner(organisation: Organisation, acting_user=None, **data):
    """A learner created through students.services.learner_create, so the counters stay right. `data` overrides
    tests.students.helpers.learner_input (level p1, a fresh synthetic national ID)."""
    from students.services import learner_create
    from tests.students.helpers import learner_input

    level = data.pop("class_level", "p1")
    return learner_create(
        organisation=organisation, data=learner_input(level, **data), acting_user=acting_user
    )


def make_confirmation(organisation: Organisation, round_, scope: str = "learners", user=None):
    """A confirmation made through confirmations.services by the organisation's own staff (snapshot, lock and
    event included); the preconditions of design.md rules 1–4 must hold."""
    from confirmations.services import confirmation_confirm

    user = user or User.objects.filter(organisation=organisation).first()
    return confirmation_confirm(acting_user=user, round_id=round_.pk, organisation=organisation, scope=scope)


def make_other_school_entry(
    school: Organisation, round_, closed: bool = False, acting_user=None, **per_level
):
    """An LAO's headcount entry for one other-affiliation school through schools.services; `per_level` is
    level=(male, female), e.g. p1=(3, 4)."""
    from schools.services import other_school_headcounts_save

    counts = [{"class_level": level, "male": m, "female": f} for level, (m, f) in per_level.items()]
    lao = school.parent
    acting_user = acting_user or User.objects.filter(organisation=lao).first()
    other_school_headcounts_save(
        lao=lao,
        round_=round_,
        acting_user=acting_user,
        entries={school.code: {"closed": closed, "counts": counts}},
    )
    return OtherSchoolEntry.objects.get(round=round_, school=school)


@dataclasses.dataclass
class OrgTree:
    """dept → p1 (lao1: school1, school2, cdc1, other1; lao2: school3, other2) and p2 (lao3: school4, cdc2)."""

    dept: Organisation
    p1: Organisation
    p2: Organisation
    lao1: Organisation
    lao2: Organisation
    lao3: Organisation
    school1: Organisation
    school2: Organisation
    cdc1: Organisation
    other1: Organisation
    school3: Organisation
    other2: Organisation
    school4: Organisation
    cdc2: Organisation
    users: dict

    @classmethod
    def build(cls) -> "OrgTree":
        dept = org(Kind.DEPARTMENT, code="DLA", name_th="กรมส่งเสริมการปกครองท้องถิ่น")
        p1 = org(Kind.PROVINCE, dept, code="50", name_th="สถจ.เชียงใหม่")
        p2 = org(Kind.PROVINCE, dept, code="30", name_th="สถจ.นครราชสีมา")
        lao1 = org(Kind.LAO, p1, code="5010101", name_th="เทศบาลนครเชียงใหม่", lao_type="city_municipality")
        lao2 = org(Kind.LAO, p1, code="5010305", name_th="อบต.สันผีเสื้อ")
        lao3 = org(
            Kind.LAO, p2, code="3010202", name_th="เทศบาลตำบลโพธิ์กลาง", lao_type="subdistrict_municipality"
        )
        nodes = dict(
            dept=dept, p1=p1, p2=p2, lao1=lao1, lao2=lao2, lao3=lao3,
            school1=org(Kind.SCHOOL, lao1, code="1050100001", name_th="โรงเรียนเทศบาลวัดเกตการาม"),
            school2=org(Kind.SCHOOL, lao1, code="1050100002", name_th="โรงเรียนเทศบาลดอกเงิน"),
            cdc1=org(Kind.CDC, lao1, code="2050100001", name_th="ศพด.เทศบาลนครเชียงใหม่"),
            other1=org(Kind.OTHER_SCHOOL, lao1, code="9050100001", name_th="โรงเรียนบ้านหนองหอย (สพฐ.)"),
            school3=org(Kind.SCHOOL, lao2, code="1050300001", name_th="โรงเรียนบ้านสันผีเสื้อ"),
            other2=org(Kind.OTHER_SCHOOL, lao2, code="9050300001", name_th="โรงเรียน ตชด. บ้านแม่แฮ", affiliation="bpp"),
            school4=org(Kind.SCHOOL, lao3, code="1030200001", name_th="โรงเรียนเทศบาลโพธิ์กลาง"),
            cdc2=org(Kind.CDC, lao3, code="2030200001", name_th="ศพด.โพธิ์กลาง"),
        )  # fmt: skip
        users = {
            name: UserFactory(username=f"u_{name}", organisation=o)
            for name, o in nodes.items()
            if o.kind != Kind.OTHER_SCHOOL
        }
        return cls(users=users, **nodes)


class ApiClient:
    """Calls /api/v1 as a given user with a bearer token."""

    def __init__(self, client):
        self.client = client
        self.tokens: dict[str, str] = {}

    def token(self, user) -> str:
        if user.username not in self.tokens:
            r = self.client.post(
                "/api/v1/auth/token",
                data=json.dumps({"username": user.username, "password": PASSWORD}),
                content_type="application/json",
            )
            assert r.status_code == 200, r.content
            self.tokens[user.username] = r.json()["token"]
        return self.tokens[user.username]

    def _call(self, method, path, user=None, json_body=None, **extra):
        headers = {}
        if user is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {self.token(user)}"
        headers.update(extra)
        kwargs = {}
        if json_body is not None:
            kwargs = {"data": json.dumps(json_body), "content_type": "application/json"}
        return getattr(self.client, method)(path, **kwargs, **headers)

    def get(self, path, user=None, **extra):
        return self._call("get", path, user, **extra)

    def post(self, path, body=None, user=None, **extra):
        return self._call("post", path, user, body if body is not None else {}, **extra)

    def put(self, path, body=None, user=None, **extra):
        return self._call("put", path, user, body if body is not None else {}, **extra)

    def patch(self, path, body=None, user=None, **extra):
        return self._call("patch", path, user, body if body is not None else {}, **extra)

    def delete(self, path, user=None, **extra):
        return self._call("delete", path, user, **extra)
