"""Demo learners for seed_demo: about 40 synthetic learners per demo institution (never real people; IDs carry
valid check digits but are generated). Idempotent: an institution that already has learners is left alone."""

import datetime
import random

from django.utils import timezone

from lec.lib import levels
from schools.models import Kind, Organisation

from .identity import make_national_id
from .models import Learner
from .services import learner_clean, learners_bulk_upsert

BOYS = ["ธนากร", "ภูมิ", "กิตติพัฒน์", "ณัฐวุฒิ", "ปกรณ์", "วีรภัทร", "ศุภกร", "อนันต์", "ชยพล", "พีรพัฒน์"]
GIRLS = ["กานต์ธิดา", "ณัฐธิดา", "ปวีณา", "พิมพ์ชนก", "มณีรัตน์", "วรรณภา", "ศิริพร", "อรอุมา", "ชนิดา", "ภัทรา"]
SURNAMES = ["ใจดี", "สุขสันต์", "ศรีสุข", "แก้วมณี", "บุญมา", "คำแสน", "ทองดี", "อินทร์แก้ว", "จันทร์เพ็ญ", "วงศ์ใหญ่",
            "ปัญญาดี", "มีสุข"]  # fmt: skip
PER_INSTITUTION = 40


def _learners_for(org: Organisation, rng: random.Random, on: datetime.date) -> list[dict]:
    codes = levels.taught_by(org.kind)
    if org.kind == Kind.SCHOOL:
        codes = [c for c in codes if c.startswith(("k", "p"))]  # demo schools: kindergarten and primary
    province = org.path.split("/")[1] if org.path.count("/") >= 1 else "50"
    items = []
    for i in range(PER_INSTITUTION):
        level = codes[i % len(codes)]
        boy = rng.random() < 0.5
        age = levels.BY_CODE[level].typical_age
        born = datetime.date(on.year - age, rng.randint(1, 6), rng.randint(1, 28))
        if i % 13 == 7:
            identity = {"g_code": f"G66{province[:2]}{org.pk % 10000:04d}{i:04d}"}
        else:
            identity = {"national_id": make_national_id(f"1{org.pk % 100000:05d}{i:06d}")}
        adult = level.startswith("m") and age >= 15
        prefix = ("นาย" if adult else "เด็กชาย") if boy else ("นางสาว" if adult else "เด็กหญิง")
        items.append(
            {
                **identity,
                "prefix": prefix,
                "first_name": rng.choice(BOYS if boy else GIRLS),
                "last_name": rng.choice(SURNAMES),
                "birth_date": born,
                "class_level": level,
                "room": "" if org.kind == Kind.CDC else str(1 + i % 2),
                "nationality": "ไทย",
                "race": "ไทย",
                "religion": "พุทธ",
                "enrolled_on": datetime.date(on.year - 1, 5, 16),
            }
        )
    return items


def seed(stdout) -> None:
    today = timezone.localdate()
    rng = random.Random(2569)
    created = 0
    institutions = Organisation.objects.filter(kind__in=(Kind.SCHOOL, Kind.CDC), is_active=True).order_by(
        "code"
    )
    for org in institutions:
        if org.learners_locked or Learner.objects.filter(organisation=org).exists():
            continue
        cleaned = []
        for data in _learners_for(org, rng, today):
            item, errors = learner_clean(organisation=org, data=data, on=today)
            if errors:
                stdout.write(f"demo learner skipped at {org.code}: {errors}")
                continue
            cleaned.append(item)
        result = learners_bulk_upsert(organisation=org, items=cleaned, acting_user=None)
        created += result.created
    stdout.write(f"learners: {created} created")
