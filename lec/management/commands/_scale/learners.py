"""Learners and their counters for every seeded institution (COPY on PostgreSQL, bulk inserts elsewhere)."""

import datetime as dt
import json
import math
import random
from collections import Counter

from django.core.management.base import CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from lec.lib import levels as lv
from schools.models import Kind, Organisation
from students.models import Learner, LearnerCount

from .names import FIRST_F, FIRST_M, LAST_A, LAST_B
from .plan import CDC_LEVELS, national_id


class LearnerRows:
    """Builds the column values of every seeded learner for whatever fields the Learner model has."""

    KNOWN = (
        "national_id", "g_code", "prefix", "first_name", "last_name", "gender", "birth_date", "class_level", "room",
        "student_number", "enrolled_on", "nationality", "race", "religion", "status", "level_order",
    )  # fmt: skip

    def __init__(self, model, census: dt.date):
        self.model = model
        self.census = census
        self.now = timezone.now()
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
        self.columns = [f.column for f in self.fields]
        self.org_field = next(
            f
            for f in self.fields
            if isinstance(f, models.ForeignKey) and f.related_model is Organisation and not f.null
        )
        self.fill = {}
        for f in self.fields:
            if f.name in self.KNOWN or f is self.org_field:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.fill[f.name] = self.now
            elif f.has_default():
                self.fill[f.name] = f.get_default()
            elif f.null:
                self.fill[f.name] = None
            elif isinstance(f, (models.CharField, models.TextField)):
                self.fill[f.name] = ""
            else:
                raise CommandError(f"seed_scale does not know how to fill Learner.{f.name}")
        self.names = [self.org_field.name if f is self.org_field else f.name for f in self.fields]
        self.attnames = [f.attname for f in self.fields]
        self.is_json = {f.name for f in self.fields if isinstance(f, models.JSONField)}
        self.yy_max = (census.year + 543) % 100

    def institution(self, org: dict, rng: random.Random) -> tuple[list[dict], Counter]:
        kind, size, org_id, prov = org["kind"], org.get("size", 0), org["id"], org["province_code"]
        south = prov in ("94", "95", "96", "90", "91")
        if kind == Kind.CDC:
            codes, w = [c for c, _ in CDC_LEVELS], [x for _, x in CDC_LEVELS]
        else:
            codes, w = list(org["profile"]), None
        per_room = 30 if kind == Kind.CDC else 35
        rooms = {c: max(1, math.ceil(size / len(codes) / per_room)) for c in codes}
        out, counts = [], Counter()
        for idx in range(size):
            code = rng.choices(codes, w)[0] if w else codes[idx % len(codes)]
            level = lv.BY_CODE[code]
            male = rng.random() < 0.51
            r = rng.random()
            age = level.typical_age + (0 if r < 0.94 else 1 if r < 0.99 or kind == Kind.CDC else 2)
            birth = dt.date(self.census.year - age, self.census.month, self.census.day) - dt.timedelta(
                days=1 + rng.randrange(364)
            )
            if idx % 97 == 13:
                nid, gcode = None, f"G{rng.randint(61, self.yy_max):02d}{prov}{org_id:06d}{idx // 97:02d}"
                nationality = rng.choice(["เมียนมา", "ลาว", "กัมพูชา", "ไม่ระบุ"])
            else:
                first = 0 if idx % 53 == 7 else rng.choice((1, 1, 1, 1, 2, 3, 5, 8))
                nid, gcode = national_id(first, f"{org_id:06d}{idx:05d}"), None
                nationality = "ไทย" if first else rng.choice(["เมียนมา", "ลาว", "กัมพูชา"])
            if kind == Kind.CDC or age < 15:
                prefix = "เด็กชาย" if male else "เด็กหญิง"
            else:
                prefix = "นาย" if male else "นางสาว"
            rel = rng.random()
            religion = ("อิสลาม" if rel < 0.8 else "พุทธ") if south else ("พุทธ" if rel < 0.95 else "อิสลาม" if rel < 0.98 else "คริสต์")  # fmt: skip
            years_in = max(0, codes.index(code)) if kind != Kind.CDC else max(0, age - 2)
            enrolled = dt.date(self.census.year - years_in, 5, 16)
            if enrolled <= birth:
                enrolled = birth + dt.timedelta(days=400)
            out.append(
                {
                    "national_id": nid,
                    "g_code": gcode,
                    "prefix": prefix,
                    "first_name": rng.choice(FIRST_M if male else FIRST_F),
                    "last_name": rng.choice(LAST_A) + rng.choice(LAST_B),
                    "gender": "male" if male else "female",
                    "birth_date": birth,
                    "class_level": code,
                    "room": str(1 + rng.randrange(rooms[code])),
                    "student_number": f"{idx + 1:05d}",
                    "enrolled_on": min(enrolled, self.census),
                    "nationality": nationality,
                    "race": nationality,
                    "religion": religion,
                    "status": "active",
                    "level_order": level.order,
                }
            )
            counts[(code, "male" if male else "female")] += 1
        return out, counts

    def values(self, org_id: int, learner: dict) -> list:
        row = []
        for f, name in zip(self.fields, self.names, strict=True):
            if f is self.org_field:
                value = org_id
            elif name in learner:
                value = learner[name]
                if value is None and not f.null:
                    value = ""
            else:
                value = self.fill[name]
            if name in self.is_json and value is not None:
                value = json.dumps(value, ensure_ascii=False)
            row.append(value)
        return row


def create_learners(plan, orgs, round_, rng, log) -> dict[int, Counter]:
    """Every institution's learners and counters, drawn for all so the data is the same whichever ran before;
    written only for institutions not seeded yet. Returns {institution id: Counter((level, gender): n)}."""
    builder = LearnerRows(Learner, round_.census_date)
    seeded = set(
        Learner.objects.filter(
            **{f"{builder.org_field.name}__in": [o.id for o in orgs.values() if o.is_institution]}
        )
        .values_list(builder.org_field.attname, flat=True)
        .distinct()
    )
    counted = set(LearnerCount.objects.values_list("organisation_id", flat=True).distinct())
    counts: dict[int, Counter] = {}
    institutions = [r for r in plan if r["kind"] in (Kind.SCHOOL, Kind.CDC)]

    def generate():
        """(org id, learner) for every institution not seeded yet; counters recorded on the way. The
        generator is drawn for every institution so the data stays the same whichever ran before."""
        for r in institutions:
            org = orgs[r["code"]]
            learners, c = builder.institution(dict(r, id=org.id, province_code=r["code"][1:3]), rng)
            counts[org.id] = c
            if org.id not in seeded:
                for learner in learners:
                    yield org.id, learner

    pg = connection.vendor == "postgresql"
    table = connection.ops.quote_name(Learner._meta.db_table)
    written = 0
    with transaction.atomic():
        if pg:
            cols = ", ".join(connection.ops.quote_name(c) for c in builder.columns)
            with (
                connection.cursor() as cur,
                cur.connection.cursor().copy(f"COPY {table} ({cols}) FROM STDIN") as cp,
            ):
                for org_id, learner in generate():
                    cp.write_row(builder.values(org_id, learner))
                    written += 1
        else:
            batch = []
            for org_id, learner in generate():
                batch.append(
                    Learner(**dict(zip(builder.attnames, builder.values(org_id, learner), strict=True)))
                )
                written += 1
                if len(batch) >= 2000:
                    Learner.objects.bulk_create(batch)
                    batch = []
            Learner.objects.bulk_create(batch)
        log(f"{written} learners written")
        rows = [
            LearnerCount(organisation_id=org_id, class_level=lvl, gender=g, count=n)
            for org_id, c in counts.items()
            if org_id not in counted and org_id not in seeded
            for (lvl, g), n in c.items()
        ]
        LearnerCount.objects.bulk_create(rows, batch_size=10000)
    return counts
