"""The plan of a seeded data set: every organisation as a dict with a deterministic code (nothing written here)."""

import csv
import random
from collections import defaultdict
from pathlib import Path

from django.conf import settings

from schools.models import Kind, LaoType

from .names import PLACE_A, PLACE_B

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

SCHOOL_PROFILES = [  # class levels an LAO school teaches, with how common the profile is
    (55, ("k1", "k2", "k3", "p1", "p2", "p3", "p4", "p5", "p6")),
    (20, ("prek", "k1", "k2", "k3", "p1", "p2", "p3", "p4", "p5", "p6", "m1", "m2", "m3")),
    (12, ("k1", "k2", "k3", "p1", "p2", "p3", "p4", "p5", "p6", "m1", "m2", "m3", "m4", "m5", "m6")),
    (10, ("m1", "m2", "m3", "m4", "m5", "m6")),
    (3, ("m1", "m2", "m3", "voc1", "voc2", "voc3")),
]
CDC_LEVELS = (("cdc2", 3), ("cdc3", 4), ("cdc4", 4), ("cdc5", 1))


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
    laos = _plan_laos(provs, {p["code"]: p["name_th"] for p in chosen}, fraction, rng)
    return rows + laos + _plan_institutions(laos, fraction, rng)


def _plan_laos(provs: list[dict], names: dict[str, str], fraction: float, rng: random.Random) -> list[dict]:
    """Each province's PAO (and Pattaya), then municipalities and SAOs spread over provinces by weight."""
    laos: list[dict] = []
    seq = defaultdict(int)

    def add_lao(prov: dict, lao_type: str, name_th: str, name_en: str):
        seq[prov["code"]] += 1
        laos.append(dict(code=f"{prov['code']}9{seq[prov['code']]:04d}", kind=Kind.LAO, parent=prov["code"],
                         lao_type=lao_type, name_th=name_th, name_en=name_en))  # fmt: skip

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
    return laos


def _plan_institutions(laos: list[dict], fraction: float, rng: random.Random) -> list[dict]:
    """Schools, CDCs and other-affiliation schools under the LAOs, by how likely each LAO type runs them."""
    rows: list[dict] = []
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
