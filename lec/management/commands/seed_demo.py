"""manage.py seed_demo — a small synthetic data set and one user per role for `make run` (api.md)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from accounts.models import User
from accounts.services import user_change_password, users_provision
from confirmations import demo as confirmations_demo
from schools import demo as schools_demo
from schools.loader import organisations_load
from schools.models import Organisation
from students import demo as students_demo

DEMO_PASSWORD = "lec-demo-2569"

ORGANISATIONS = [
    # code, kind, name_th, name_en, parent_code, lao_type, affiliation
    ("DLA", "department", "กรมส่งเสริมการปกครองท้องถิ่น", "Department of Local Administration", "", "", ""),
    (
        "50",
        "province",
        "สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัดเชียงใหม่",
        "Chiang Mai Provincial Office",
        "DLA",
        "",
        "",
    ),
    (
        "30",
        "province",
        "สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัดนครราชสีมา",
        "Nakhon Ratchasima Provincial Office",
        "DLA",
        "",
        "",
    ),
    ("5000001", "lao", "องค์การบริหารส่วนจังหวัดเชียงใหม่", "Chiang Mai PAO", "50", "pao", ""),
    ("5010101", "lao", "เทศบาลนครเชียงใหม่", "Chiang Mai City Municipality", "50", "city_municipality", ""),
    ("5010305", "lao", "องค์การบริหารส่วนตำบลสันผีเสื้อ", "San Phi Suea SAO", "50", "sao", ""),
    ("3000001", "lao", "องค์การบริหารส่วนจังหวัดนครราชสีมา", "Nakhon Ratchasima PAO", "30", "pao", ""),
    (
        "3010202",
        "lao",
        "เทศบาลตำบลโพธิ์กลาง",
        "Pho Klang Subdistrict Municipality",
        "30",
        "subdistrict_municipality",
        "",
    ),
    ("1050100001", "school", "โรงเรียนเทศบาลวัดเกตการาม", "Wat Ket Karam Municipal School", "5010101", "", ""),
    ("1050100002", "school", "โรงเรียนเทศบาลดอกเงิน", "Dok Ngoen Municipal School", "5010101", "", ""),
    ("2050100001", "cdc", "ศูนย์พัฒนาเด็กเล็กเทศบาลนครเชียงใหม่", "Chiang Mai City CDC", "5010101", "", ""),
    ("2050300001", "cdc", "ศูนย์พัฒนาเด็กเล็กบ้านสันผีเสื้อ", "Ban San Phi Suea CDC", "5010305", "", ""),
    ("1050000001", "school", "โรงเรียนองค์การบริหารส่วนจังหวัดเชียงใหม่", "Chiang Mai PAO School", "5000001", "", ""),
    (
        "1030000001",
        "school",
        "โรงเรียนองค์การบริหารส่วนจังหวัดนครราชสีมา",
        "Nakhon Ratchasima PAO School",
        "3000001",
        "",
        "",
    ),
    ("2030200001", "cdc", "ศูนย์พัฒนาเด็กเล็กเทศบาลตำบลโพธิ์กลาง", "Pho Klang CDC", "3010202", "", ""),
    (
        "9050300001",
        "other_school",
        "โรงเรียนบ้านสันผีเสื้อ (สพฐ.)",
        "Ban San Phi Suea School (OBEC)",
        "5010305",
        "",
        "obec",
    ),
    (
        "9050300002",
        "other_school",
        "โรงเรียนตำรวจตระเวนชายแดนบ้านแม่แฮ",
        "BPP School Ban Mae Hae",
        "5010305",
        "",
        "bpp",
    ),
    (
        "9050300003",
        "other_school",
        "โรงเรียนอนุบาลเอกชนสันผีเสื้อ",
        "San Phi Suea Private Kindergarten",
        "5010305",
        "",
        "private",
    ),
    (
        "9030200001",
        "other_school",
        "โรงเรียนบ้านโพธิ์กลาง (สพฐ.)",
        "Ban Pho Klang School (OBEC)",
        "3010202",
        "",
        "obec",
    ),
]

USERS = [
    # username, organisation, role shown in the README
    ("demo_department", "DLA", "department officer"),
    ("demo_province", "50", "province officer (Chiang Mai)"),
    ("demo_lao", "5010101", "LAO officer (Chiang Mai City Municipality)"),
    ("demo_sao", "5010305", "LAO officer (San Phi Suea SAO: other-affiliation schools)"),
    ("demo_school", "1050100001", "school staff (Wat Ket Karam Municipal School)"),
    ("demo_cdc", "2050100001", "CDC staff (Chiang Mai City CDC)"),
]

# Apps add their demo data through a `seed(stdout)` function in their demo module, in this order.
DEMO_MODULES = (students_demo, confirmations_demo, schools_demo)


class Command(BaseCommand):
    help = "Create the demo organisations, users, round and learners (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="allow in production mode")

    def handle(self, *args, force=False, **options):
        if getattr(settings, "PRODUCTION", False) and not force:
            raise CommandError(
                "seed_demo is refused in production mode (LEC_ENV=production); add --force to insist."
            )
        # Demo notifications would print whole e-mails on the console backend; keep them in memory instead.
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
            transaction.atomic(),
        ):
            fields = ["code", "kind", "name_th", "name_en", "parent_code", "lao_type", "affiliation"]
            rows = [(i + 2, dict(zip(fields, row, strict=True))) for i, row in enumerate(ORGANISATIONS)]
            result = organisations_load(rows=rows)
            self.stdout.write(f"organisations: {result.summary()}")
            new = [(u, o) for u, o, _ in USERS if not User.objects.filter(username=u).exists()]
            if new:
                users_provision(
                    rows=[(i + 2, {"username": u, "organisation_code": o, "email": f"{u}@example.invalid",
                                   "first_name": "", "last_name": ""}) for i, (u, o) in enumerate(new)]
                )  # fmt: skip
                for username, _org in new:
                    user_change_password(user=User.objects.get(username=username), password=DEMO_PASSWORD)
            if not User.objects.filter(username="admin").exists():
                User.objects.create_superuser("admin", "admin@example.invalid", DEMO_PASSWORD)
            for module in DEMO_MODULES:
                module.seed(self.stdout)
        self.stdout.write(f"organisations in the tree: {Organisation.objects.count()}")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, _org, role in USERS + [("admin", "", "Django admin")]:
            self.stdout.write(f"  {username:<18} {role}")
