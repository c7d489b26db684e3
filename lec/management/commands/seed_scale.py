"""manage.py seed_scale --fraction F — a synthetic, national-shaped data set for benchmarks (api.md, issue 7).

F = 1.0: 76 provinces, about 7,850 LAOs of the real type proportions, 1,100 schools, 18,000 CDCs, 30,000
other-affiliation schools, about 1.5 M learners; F = 0.01 one hundredth of each (at least one province).
Everything is derived from a fixed random seed, so running it again on the same database finds every
organisation, user and learner already there and adds nothing. On PostgreSQL learners go in with COPY.

Choices: other-affiliation schools get no user (they have no staff in LEC, their LAO enters their
headcounts); seeded learners get no history rows (history starts with the first real change).
"""

import csv
import datetime as dt
import importlib
import json
import math
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import OrganisationUserObjectPermission, User
from accounts.services import _permissions_by_codename, default_grants
from lec.lib import generations
from lec.lib import levels as lv
from schools.models import DEPTH, Kind, LaoType, Organisation

DEFAULT_PASSWORD = "lec-scale-2569"
SEED = 2569
PROVINCES_CSV = Path(settings.BASE_DIR) / "schools" / "data" / "provinces.csv"

# domain.md "Scale": LAOs (2020) by type; institutions and other-affiliation schools at F = 1.0.
LAO_TYPES = {
    LaoType.CITY: 30,
    LaoType.TOWN: 190,
    LaoType.SUBDISTRICT: 2242,
    LaoType.SAO: 5312,
}
SCHOOLS, CDCS, OTHER_SCHOOLS = 1100, 18000, 30000
# How likely each LAO type is to run a school / a CDC / to have other-affiliation schools in its area.
WEIGHTS = {
    Kind.SCHOOL: {"pao": 8, "city_municipality": 9, "town_municipality": 3, "subdistrict_municipality": 0.35,
                  "sao": 0.02, "pattaya": 9},
    Kind.CDC: {"pao": 0.1, "city_municipality": 5, "town_municipality": 3.5, "subdistrict_municipality": 2.4,
               "sao": 2.35, "pattaya": 6},
    Kind.OTHER_SCHOOL: {"pao": 0, "city_municipality": 3, "town_municipality": 4, "subdistrict_municipality": 4,
                        "sao": 3.85, "pattaya": 4},
}  # fmt: skip

PLACE_A = [
    "บ้าน",
    "หนอง",
    "ดอน",
    "โคก",
    "นา",
    "ห้วย",
    "วัง",
    "ท่า",
    "บาง",
    "ทุ่ง",
    "สัน",
    "แม่",
    "ป่า",
    "โพธิ์",
    "ไผ่",
    "หัว",
    "เวียง",
    "นาง",
    "ศรี",
    "ชัย",
]
PLACE_B = [
    "แก้ว",
    "ทอง",
    "ใหญ่",
    "น้อย",
    "งาม",
    "เหนือ",
    "ใต้",
    "หลวง",
    "ยาง",
    "คำ",
    "สวรรค์",
    "เจริญ",
    "พัฒนา",
    "ขาม",
    "บัว",
    "กลาง",
    "สะอาด",
    "ทราย",
    "โพธิ์",
    "แดง",
    "ขาว",
    "เขียว",
    "มะม่วง",
    "ตาล",
    "กุ่ม",
    "ไทร",
    "ปลาดุก",
    "ช้าง",
    "เสือ",
]
FIRST_M = [
    "ธนกร",
    "ภูมิพัฒน์",
    "ณัฐวุฒิ",
    "กิตติพัฒน์",
    "ศุภกร",
    "ปกรณ์",
    "ธีรภัทร",
    "วรเมธ",
    "พีรพัฒน์",
    "ชยพล",
    "อนุชา",
    "สมชาย",
    "ประเสริฐ",
    "ก้องภพ",
    "ธนภัทร",
    "ภาคิน",
    "ปุณณวิช",
    "รัชชานนท์",
    "ณัฐภัทร",
    "กฤษดา",
    "วีรยุทธ",
    "อภิสิทธิ์",
    "ธีรวัฒน์",
    "สิรวิชญ์",
    "ภัทรพล",
    "จิรายุ",
    "ศักดิ์ดา",
    "นพดล",
    "เจษฎา",
    "ชินวัตร",
]
FIRST_F = [
    "ณัฐธิดา",
    "กัญญาณัฐ",
    "ปุณยวีร์",
    "พิมพ์ชนก",
    "ชนัญชิดา",
    "ศิริพร",
    "อรอุมา",
    "สุภาวดี",
    "วรรณิศา",
    "ธัญชนก",
    "ภัทราภรณ์",
    "กมลชนก",
    "ณิชาภัทร",
    "ปวีณ์ธิดา",
    "อภิญญา",
    "จิราพร",
    "นภัสสร",
    "ชุติมา",
    "พัชราภา",
    "รัตนาภรณ์",
    "สุนิสา",
    "ขวัญข้าว",
    "ใบเตย",
    "มินตรา",
    "ปาริชาติ",
    "ศศิธร",
    "วิมลรัตน์",
    "อัญชลี",
    "เบญจมาศ",
    "ดวงใจ",
]
LAST_A = [
    "ศรี",
    "สุข",
    "ทอง",
    "แก้ว",
    "บุญ",
    "ใจ",
    "มั่น",
    "วงศ์",
    "ชัย",
    "พร",
    "ประ",
    "สม",
    "รัตน์",
    "เพชร",
    "จันทร์",
    "ทิพย์",
    "อินทร์",
    "กาญจน์",
    "นาค",
    "คำ",
]
LAST_B = [
    "สวัสดิ์",
    "ดี",
    "งาม",
    "มี",
    "เจริญ",
    "ศักดิ์",
    "สกุล",
    "พันธ์",
    "วิเศษ",
    "ประเสริฐ",
    "รักษ์",
    "บุตร",
    "สุวรรณ",
    "ยืน",
    "ทรัพย์",
    "ภักดี",
]
SCHOOL_PROFILES = [  # class levels an LAO school teaches, with how common the profile is
    (55, ("k1", "k2", "k3", "p1", "p2", "p3", "p4", "p5", "p6")),
    (20, ("prek", "k1", "k2", "k3", "p1", "p2", "p3", "p4", "p5", "p6", "m1", "m2", "m3")),
    (12, ("k1", "k2", "k3", "p1", "p2", "p3", "p4", "p5", "p6", "m1", "m2", "m3", "m4", "m5", "m6")),
    (10, ("m1", "m2", "m3", "m4", "m5", "m6")),
    (3, ("m1", "m2", "m3", "voc1", "voc2", "voc3")),
]
CDC_LEVELS = (("cdc2", 3), ("cdc3", 4), ("cdc4", 4), ("cdc5", 1))
SHARE_CONFIRMED_LAO = 0.35  # LAOs whose institutions all confirmed and that confirmed themselves
SHARE_CONFIRMED_INSTITUTION = 0.55  # of the institutions under the other LAOs


def check_digit(twelve: str) -> str:
    total = sum(int(d) * (13 - i) for i, d in enumerate(twelve))
    return str((11 - total % 11) % 10)


def national_id(first: int, body11: str) -> str:
    twelve = f"{first}{body11}"
    return twelve + check_digit(twelve)


def _place(rng: random.Random) -> str:
    return rng.choice(PLACE_A) + rng.choice(PLACE_B)


def _split(total: int, weights: list[float], rng: random.Random) -> list[int]:
    """`total` items spread over len(weights) buckets, multinomially by weight."""
    out = [0] * len(weights)
    if total <= 0 or not weights or sum(weights) <= 0:
        return out
    for i in rng.choices(range(len(weights)), weights=weights, k=total):
        out[i] += 1
    return out


# --- the plan: every organisation, with a deterministic code ----------------------------------------------


def plan_organisations(fraction: float, rng: random.Random) -> list[dict]:
    with PROVINCES_CSV.open(encoding="utf-8-sig") as fh:
        provinces = [r for r in csv.DictReader(fh) if r["code"] != "10"]
    n_prov = max(1, min(len(provinces), round(len(provinces) * fraction)))
    chosen = [provinces[i * len(provinces) // n_prov] for i in range(n_prov)]
    rows = [dict(code="DLA", kind=Kind.DEPARTMENT, name_th="กรมส่งเสริมการปกครองท้องถิ่น",
                 name_en="Department of Local Administration", parent=None)]  # fmt: skip
    for p in chosen:
        rows.append(dict(code=p["code"], kind=Kind.PROVINCE, parent="DLA",
                         name_th=f"สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัด{p['name_th']}",
                         name_en=f"{p['name_en']} Provincial Office", weight=rng.uniform(0.4, 2.2)))  # fmt: skip
    provs = rows[1:]
    laos: list[dict] = []
    seq = defaultdict(int)

    def add_lao(prov: dict, lao_type: str, name_th: str, name_en: str):
        seq[prov["code"]] += 1
        laos.append(dict(code=f"{prov['code']}9{seq[prov['code']]:04d}", kind=Kind.LAO, parent=prov["code"],
                         lao_type=lao_type, name_th=name_th, name_en=name_en))  # fmt: skip

    names = {p["code"]: p["name_th"] for p in chosen}
    for prov in provs:
        add_lao(
            prov,
            LaoType.PAO,
            f"องค์การบริหารส่วนจังหวัด{names[prov['code']]}",
            f"{prov['name_en'].removesuffix(' Provincial Office')} PAO",
        )
        if prov["code"] == "20":
            add_lao(prov, LaoType.PATTAYA, "เมืองพัทยา", "Pattaya City")
    prefix = {
        LaoType.CITY: ("เทศบาลนคร", "City Municipality"),
        LaoType.TOWN: ("เทศบาลเมือง", "Town Municipality"),
        LaoType.SUBDISTRICT: ("เทศบาลตำบล", "Subdistrict Municipality"),
        LaoType.SAO: ("องค์การบริหารส่วนตำบล", "SAO"),
    }
    weights = [p["weight"] for p in provs]
    for lao_type, national in LAO_TYPES.items():
        for prov, n in zip(provs, _split(round(national * fraction), weights, rng), strict=True):
            for _ in range(n):
                th, en = prefix[lao_type]
                add_lao(prov, lao_type, th + _place(rng), f"{en} {seq[prov['code']] + 1}")
    rows += laos
    inst_seq = defaultdict(int)
    for kind, national, lead in (
        (Kind.SCHOOL, SCHOOLS, "1"),
        (Kind.CDC, CDCS, "2"),
        (Kind.OTHER_SCHOOL, OTHER_SCHOOLS, "9"),
    ):
        w = [WEIGHTS[kind][lao["lao_type"]] for lao in laos]
        for lao, n in zip(laos, _split(round(national * fraction), w, rng), strict=True):
            for _ in range(n):
                prov = lao["parent"]
                inst_seq[(lead, prov)] += 1
                code = f"{lead}{prov}5{inst_seq[(lead, prov)]:06d}"
                place = _place(rng)
                row = dict(code=code, kind=kind, parent=lao["code"], name_en=f"{kind.label} {code}")
                if kind == Kind.SCHOOL:
                    row["name_th"] = f"โรงเรียน{lao['name_th'].split('ส่วน')[-1]}{place}"
                    row["profile"] = rng.choices(
                        [p for _, p in SCHOOL_PROFILES], [w for w, _ in SCHOOL_PROFILES]
                    )[0]
                    row["size"] = max(40, min(3500, int(rng.lognormvariate(6.35, 0.6))))
                elif kind == Kind.CDC:
                    row["name_th"] = f"ศูนย์พัฒนาเด็กเล็ก{place}"
                    row["size"] = max(5, min(250, int(rng.lognormvariate(3.55, 0.5))))
                    if rng.random() < 0.004:  # a few closed centres: no learners, not participating
                        row["is_active"], row["size"] = False, 0
                else:
                    aff = rng.choices(["obec", "bpp", "private", "other"], [80, 3, 15, 2])[0]
                    row["affiliation"] = aff
                    row["name_th"] = {"obec": "โรงเรียนบ้าน", "bpp": "โรงเรียนตำรวจตระเวนชายแดนบ้าน",
                                      "private": "โรงเรียนเอกชน", "other": "โรงเรียน"}[aff] + place  # fmt: skip
                rows.append(row)
    return rows


# --- learners -----------------------------------------------------------------------------------------------


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


# --- the command --------------------------------------------------------------------------------------------


def _optional_model(label: str):
    try:
        return apps.get_model(label)
    except LookupError:
        return None


class Command(BaseCommand):
    help = "Seed a synthetic national-shaped data set of the given fraction (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--fraction", type=float, required=True, help="1.0 = the whole country")
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="password of every seeded user")
        parser.add_argument("--force", action="store_true", help="allow in production mode")
        parser.add_argument("--seed", type=int, default=SEED, help=argparse_suppress())

    def log(self, msg: str):
        if self.verbosity >= 2:
            self.stderr.write(f"[{time.monotonic() - self.t0:7.1f}s] {msg}")

    def handle(self, *args, fraction, password, force, seed, verbosity=1, **options):
        if getattr(settings, "PRODUCTION", False) and not force:
            raise CommandError(
                "seed_scale is refused in production mode (LEC_ENV=production); add --force to insist."
            )
        if not 0 < fraction <= 1.0:
            raise CommandError("--fraction must be in (0, 1]")
        self.verbosity, self.t0 = verbosity, time.monotonic()
        rng = random.Random(seed)
        plan = plan_organisations(fraction, rng)
        self.log(f"planned {len(plan)} organisations")
        with transaction.atomic():
            orgs = self.create_organisations(plan)
        self.log("organisations in place")
        with transaction.atomic():
            self.create_users(plan, orgs, password)
        self.log("users in place")
        from schools.models import Round

        with transaction.atomic():
            rnd = self.open_round(Round)
        learner_model = _optional_model("students.Learner")
        confirm = ConfirmationPlan(plan, random.Random(seed + 1))
        counts: dict[int, Counter] = {}
        if learner_model is not None:
            counts = self.create_learners(plan, orgs, learner_model, rnd, random.Random(seed + 2))
            self.log("learners in place")
        self.create_confirmations(plan, orgs, rnd, confirm, counts, random.Random(seed + 3))
        self.log("round state in place")
        generations.bump_everything()  # written around the services: no cached total may survive it
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        for kind in Kind.values:
            self.stdout.write(f"{kind}: {Organisation.objects.filter(kind=kind).count()}")
        if learner_model is not None:
            self.stdout.write(f"learner: {learner_model.objects.count()}")
        self.stdout.write(f"user: {User.objects.count()}")

    # organisations ------------------------------------------------------------------------------------------

    def create_organisations(self, plan: list[dict]) -> dict[str, Organisation]:
        existing = {o.code: o for o in Organisation.objects.filter(code__in=[r["code"] for r in plan])}
        for depth in range(4):
            new = []
            for r in plan:
                if DEPTH[Kind(r["kind"])] != depth or r["code"] in existing:
                    continue
                parent = existing[r["parent"]] if r["parent"] else None
                o = Organisation(
                    kind=r["kind"], code=r["code"], name_th=r["name_th"], name_en=r.get("name_en", ""),
                    parent=parent, lao_type=r.get("lao_type", ""), affiliation=r.get("affiliation", ""),
                    is_active=r.get("is_active", True),
                    path=f"{parent.path}/{r['code']}" if parent else r["code"], depth=depth,
                    province_id=parent.province_id if depth == 3 else parent.id if depth == 2 else None,
                    lao_id=parent.id if depth == 3 else None,
                )  # fmt: skip
                if not o.is_active:
                    o.closed_on = dt.date(2023, 3, 31)
                new.append(o)
            Organisation.objects.bulk_create(new, batch_size=5000)
            if depth in (1, 2) and new:
                ids = [o.id for o in new]
                if ids[0] is None:  # a backend that does not return ids
                    new = list(Organisation.objects.filter(code__in=[o.code for o in new]))
                    ids = [o.id for o in new]
                Organisation.objects.filter(id__in=ids).update(
                    **{("province_id" if depth == 1 else "lao_id"): F("id")}
                )
                for o in new:
                    setattr(o, "province_id" if depth == 1 else "lao_id", o.id)
            for o in new:
                existing[o.code] = o
            if new and new[0].id is None:
                existing.update(
                    {o.code: o for o in Organisation.objects.filter(code__in=[o.code for o in new])}
                )
        return existing

    def create_users(self, plan: list[dict], orgs: dict[str, Organisation], password: str):
        wanted = {f"u{r['code']}": orgs[r["code"]] for r in plan if r["kind"] != Kind.OTHER_SCHOOL}
        have = set(User.objects.filter(username__in=list(wanted)).values_list("username", flat=True))
        hashed = make_password(password)  # once: PBKDF2 per user would take hours at 27,000 users
        new = [
            User(username=u, organisation=o, password=hashed, email=f"{u}@scale.invalid")
            for u, o in wanted.items()
            if u not in have
        ]
        User.objects.bulk_create(new, batch_size=5000)
        if new and new[0].pk is None:
            new = list(
                User.objects.filter(username__in=[u.username for u in new]).select_related("organisation")
            )
        OrganisationUserObjectPermission.objects.bulk_create(
            default_grants(new, _permissions_by_codename()), batch_size=10000
        )

    def open_round(self, Round):
        rnd = Round.objects.filter(state=Round.State.OPEN).first()
        if rnd:
            return rnd
        now = timezone.localtime()
        be = now.year + 543
        if now.month >= 10 or now.month < 4:
            year, term, census = (
                (be if now.month >= 10 else be - 1),
                2,
                dt.date(now.year if now.month >= 10 else now.year - 1, 11, 10),
            )
        else:
            year, term, census = be, 1, dt.date(now.year, 6, 10)
        rnd, _ = Round.objects.get_or_create(
            academic_year=year,
            term=term,
            defaults=dict(
                census_date=census, opens_at=now - dt.timedelta(days=14), closes_at=now + dt.timedelta(days=7)
            ),
        )
        Round.objects.filter(pk=rnd.pk).update(state=Round.State.OPEN)
        rnd.refresh_from_db()
        return rnd

    # learners and counters ---------------------------------------------------------------------------------

    def create_learners(self, plan, orgs, Learner, rnd, rng) -> dict[int, Counter]:
        from students.models import LearnerCount

        builder = LearnerRows(Learner, rnd.census_date)
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
            self.log(f"{written} learners written")
            rows = [
                LearnerCount(organisation_id=org_id, class_level=lvl, gender=g, count=n)
                for org_id, c in counts.items()
                if org_id not in counted and org_id not in seeded
                for (lvl, g), n in c.items()
            ]
            LearnerCount.objects.bulk_create(rows, batch_size=10000)
        return counts

    # the round's state ------------------------------------------------------------------------------------

    def create_confirmations(self, plan, orgs, rnd, confirm: "ConfirmationPlan", counts, rng):
        try:
            module = importlib.import_module("confirmations.seeding")
        except ModuleNotFoundError:
            module = None
        hook = getattr(module, "seed_round_state", None) if module else None
        if hook is None:
            hook = globals().get("seed_round_state")
        if hook is not None:
            hook(plan=plan, orgs=orgs, rnd=rnd, confirm=confirm, counts=counts, rng=rng, log=self.log)


def argparse_suppress():
    import argparse

    return argparse.SUPPRESS


class ConfirmationPlan:
    """Which organisations are confirmed in the seeded round, respecting the invariant: a confirmed LAO has
    every active institution confirmed; a confirmed `other_schools` scope has an entry for every school."""

    def __init__(self, plan: list[dict], rng: random.Random):
        children = defaultdict(list)
        for r in plan:
            if r.get("parent"):
                children[r["parent"]].append(r)
        self.institutions_confirmed: set[str] = set()
        self.lao_learners_confirmed: set[str] = set()
        self.lao_other_entered: dict[str, set[str]] = {}
        self.lao_other_confirmed: set[str] = set()
        self.provinces_confirmed: set[str] = set()
        for r in plan:
            if r["kind"] != Kind.LAO:
                continue
            kids = children[r["code"]]
            inst = [
                k["code"] for k in kids if k["kind"] in (Kind.SCHOOL, Kind.CDC) and k.get("is_active", True)
            ]
            other = [k["code"] for k in kids if k["kind"] == Kind.OTHER_SCHOOL]
            if inst:
                if rng.random() < SHARE_CONFIRMED_LAO:
                    self.institutions_confirmed.update(inst)
                    self.lao_learners_confirmed.add(r["code"])
                else:
                    self.institutions_confirmed.update(
                        c for c in inst if rng.random() < SHARE_CONFIRMED_INSTITUTION
                    )
            if other:
                x = rng.random()
                if x < 0.4:
                    self.lao_other_entered[r["code"]] = set(other)
                    self.lao_other_confirmed.add(r["code"])
                elif x < 0.7:
                    self.lao_other_entered[r["code"]] = set(other)
                elif x < 0.9:
                    self.lao_other_entered[r["code"]] = {c for c in other if rng.random() < 0.5}
        # A province confirms once every participating LAO confirmed every scope; rare mid-round.
        for p in (r for r in plan if r["kind"] == Kind.PROVINCE):
            ok = True
            for lao in children[p["code"]]:
                kids = children[lao["code"]]
                has_inst = any(
                    k["kind"] in (Kind.SCHOOL, Kind.CDC) and k.get("is_active", True) for k in kids
                )
                has_other = any(k["kind"] == Kind.OTHER_SCHOOL for k in kids)
                if has_inst and lao["code"] not in self.lao_learners_confirmed:
                    ok = False
                if has_other and lao["code"] not in self.lao_other_confirmed:
                    ok = False
            if ok:
                self.provinces_confirmed.add(p["code"])


OTHER_PROFILES = {
    "obec": ("k1", "k2", "k3", "p1", "p2", "p3", "p4", "p5", "p6"),
    "bpp": ("k2", "k3", "p1", "p2", "p3", "p4", "p5", "p6"),
    "private": ("k1", "k2", "k3", "p1", "p2", "p3", "p4", "p5", "p6", "m1", "m2", "m3"),
    "other": ("p1", "p2", "p3", "p4", "p5", "p6"),
}


def seed_round_state(*, plan, orgs, rnd, confirm: ConfirmationPlan, counts, rng, log):
    """Other-affiliation entries, confirmations, their snapshots, events and the edit locks, written in bulk
    exactly as confirmations.services would leave them (snapshots equal the live counts; locks set)."""
    from confirmations.models import Confirmation, ConfirmationEvent, HeadcountSnapshot, Scope
    from schools.models import OtherSchoolCount, OtherSchoolEntry

    users = dict(
        User.objects.filter(username__in=[f"u{r['code']}" for r in plan]).values_list("username", "id")
    )
    now = timezone.now()
    with transaction.atomic():
        # Other-affiliation entries.
        entered_codes = {c for codes in confirm.lao_other_entered.values() for c in codes}
        have = set(
            OtherSchoolEntry.objects.filter(round=rnd, school__code__in=entered_codes).values_list(
                "school__code", flat=True
            )
        )
        entries, entry_counts = [], []
        for r in plan:
            if r["kind"] != Kind.OTHER_SCHOOL or r["code"] not in entered_codes or r["code"] in have:
                continue
            school = orgs[r["code"]]
            closed = rng.random() < 0.01
            e = OtherSchoolEntry(round=rnd, school=school, lao=orgs[r["parent"]], closed=closed,
                                 entered_by_id=users.get(f"u{r['parent']}"))  # fmt: skip
            entries.append(e)
            levels = [] if closed else OTHER_PROFILES[r.get("affiliation") or "obec"]
            size = rng.randint(4, 45)
            entry_counts.append([(lvl, rng.randint(0, size), rng.randint(0, size)) for lvl in levels])
        OtherSchoolEntry.objects.bulk_create(entries, batch_size=5000)
        if entries and entries[0].pk is None:
            by_school = dict(OtherSchoolEntry.objects.filter(round=rnd).values_list("school_id", "id"))
            for e in entries:
                e.pk = e.id = by_school[e.school_id]
        OtherSchoolCount.objects.bulk_create(
            [OtherSchoolCount(entry=e, class_level=lvl, male=m, female=f)
             for e, rows in zip(entries, entry_counts, strict=True) for lvl, m, f in rows],
            batch_size=10000,
        )  # fmt: skip
        log(f"{len(entries)} other-affiliation entries")

        # Confirmations.
        done = set(Confirmation.objects.filter(round=rnd).values_list("organisation__code", "scope"))
        wanted = [(c, Scope.LEARNERS) for c in sorted(confirm.institutions_confirmed)]
        wanted += [(c, Scope.LEARNERS) for c in sorted(confirm.lao_learners_confirmed)]
        wanted += [(c, Scope.OTHER_SCHOOLS) for c in sorted(confirm.lao_other_confirmed)]
        wanted += [(c, Scope.LEARNERS) for c in sorted(confirm.provinces_confirmed)]
        wanted = [(c, s) for c, s in wanted if (c, s) not in done]
        confs = []
        for code, scope in wanted:
            org = orgs[code]
            at = now - dt.timedelta(minutes=rng.randint(60, 14 * 24 * 60))
            confs.append(Confirmation(round=rnd, organisation=org, scope=scope, state=Confirmation.State.CONFIRMED,
                                      confirmed_at=at, confirmed_by_id=users.get(f"u{code}")))  # fmt: skip
        Confirmation.objects.bulk_create(confs, batch_size=5000)
        if confs and confs[0].pk is None:
            ids = {
                (o, s): i
                for o, s, i in Confirmation.objects.filter(round=rnd).values_list(
                    "organisation_id", "scope", "id"
                )
            }
            for c in confs:
                c.pk = c.id = ids[(c.organisation_id, c.scope)]
        other_rows = defaultdict(list)  # LAO id → its entries' rows
        for e, rows in zip(entries, entry_counts, strict=True):
            for lvl, m, f in rows:
                other_rows[e.lao_id] += [(e.school_id, lvl, "male", m), (e.school_id, lvl, "female", f)]
        snaps, events = [], []
        for c in confs:
            org = c.organisation
            rows = []
            if c.scope == Scope.LEARNERS and org.is_institution:
                rows = [
                    (org.id, lvl, g, n) for (lvl, g), n in sorted(counts.get(org.id, Counter()).items()) if n
                ]
            elif c.scope == Scope.OTHER_SCHOOLS:
                rows = other_rows.get(org.id, [])
            snaps += [HeadcountSnapshot(confirmation=c, school_id=s, class_level=lvl, gender=g, count=n)
                      for s, lvl, g, n in rows]  # fmt: skip
            events.append(
                ConfirmationEvent(
                    round=rnd, organisation=org, scope=c.scope, action="confirm", actor_id=c.confirmed_by_id,
                    actor_username=f"u{org.code}" if c.confirmed_by_id else "", at=c.confirmed_at,
                    counts={f"{s}:{lvl}:{g}": n for s, lvl, g, n in rows} if org.is_institution else None,
                )
            )  # fmt: skip
        HeadcountSnapshot.objects.bulk_create(snaps, batch_size=10000)
        ConfirmationEvent.objects.bulk_create(events, batch_size=5000)
        learners_ids = [c.organisation_id for c in confs if c.scope == Scope.LEARNERS]
        other_ids = [c.organisation_id for c in confs if c.scope == Scope.OTHER_SCHOOLS]
        for i in range(0, len(learners_ids), 5000):
            Organisation.objects.filter(id__in=learners_ids[i : i + 5000]).update(learners_locked=True)
        for i in range(0, len(other_ids), 5000):
            Organisation.objects.filter(id__in=other_ids[i : i + 5000]).update(other_schools_locked=True)
        log(f"{len(confs)} confirmations, {len(snaps)} snapshot rows")
