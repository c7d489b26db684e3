"""API schemas for learners and transfers (api.md "Learners"). Rules live in students.services.learner_clean so
messages are the same Thai ones as on the pages; the schemas type and document the fields."""

import datetime as dt
from typing import Literal

from ninja import Field, Schema


class Person(Schema):
    prefix: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    occupation: str | None = None
    income: float | None = Field(None, ge=0, le=10_000_000, description="Baht a month")
    phone: str | None = None
    relation: str | None = None


class Address(Schema):
    house_no: str | None = None
    moo: str | None = None
    road: str | None = None
    subdistrict: str | None = None
    district: str | None = None
    province: str | None = None
    postcode: str | None = None


class _Optional(Schema):
    national_id: str | None = None
    g_code: str | None = None
    gender: str | None = None
    student_number: str | None = None
    room: str | None = None
    enrolled_on: dt.date | None = None
    nationality: str | None = None
    race: str | None = None
    religion: str | None = None
    disadvantage: str | None = None
    disability: str | None = None
    shortages: list[str] | None = None
    weight_kg: float | None = None
    height_cm: float | None = None
    family_status: str | None = None
    father: Person | None = None
    mother: Person | None = None
    guardian: Person | None = None
    registered_address: Address | None = None
    current_address: Address | None = None


class LearnerIn(_Optional):
    prefix: str
    first_name: str
    last_name: str
    birth_date: dt.date
    class_level: str


class LearnerPatch(_Optional):
    prefix: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    birth_date: dt.date | None = None
    class_level: str | None = None
    version: int


class LearnerOut(Schema):
    id: int
    organisation: str
    national_id: str | None
    g_code: str | None
    prefix: str
    first_name: str
    last_name: str
    gender: str
    birth_date: dt.date
    class_level: str
    student_number: str
    room: str
    enrolled_on: dt.date
    nationality: str
    race: str
    religion: str
    disadvantage: str | None
    disability: str | None
    shortages: list[str]
    weight_kg: float | None
    height_cm: float | None
    family_status: str
    father: Person | None
    mother: Person | None
    guardian: Person | None
    registered_address: Address | None
    current_address: Address | None
    status: str
    left_on: dt.date | None
    left_note: str
    version: int


class LearnerList(Schema):
    count: int
    results: list[LearnerOut]


class LeaveIn(Schema):
    reason: Literal["transferred_out", "graduated", "no_identity", "dropped_out", "deceased"]
    left_on: dt.date
    note: str = Field("", max_length=1000)


class TransferIn(Schema):
    identity: str
    to_organisation: str
    class_level: str


class RejectIn(Schema):
    reason: str = Field("", max_length=1000)


class TransferOut(Schema):
    id: int
    learner: int
    identity: str
    from_organisation: str
    to_organisation: str
    class_level: str
    state: str
    reason: str
    requested_by: str | None
    decided_by: str | None


class TransferList(Schema):
    count: int
    results: list[TransferOut]
