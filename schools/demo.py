"""Demo other-affiliation headcounts for seed_demo: two of San Phi Suea SAO's three schools entered in the open
round, the third left for the demo LAO officer to fill in; the first teaches อ.1–ป.6 (recorded), the others' class
levels are not known (every level shown, with a suggestion). Idempotent; nothing when no round is open."""

from .models import Kind, Organisation, OtherSchoolEntry, Round
from .services import other_school_headcounts_save

DEMO_ENTRIES = {
    "9050300001": {
        "closed": False,
        "counts": [
            {"class_level": "k2", "male": 8, "female": 10},
            {"class_level": "k3", "male": 9, "female": 7},
            {"class_level": "p1", "male": 14, "female": 12},
            {"class_level": "p2", "male": 11, "female": 15},
            {"class_level": "p3", "male": 13, "female": 12},
            {"class_level": "p4", "male": 10, "female": 9},
            {"class_level": "p5", "male": 12, "female": 14},
            {"class_level": "p6", "male": 9, "female": 11},
        ],
    },
    "9050300002": {
        "closed": False,
        "counts": [
            {"class_level": "k3", "male": 4, "female": 5},
            {"class_level": "p1", "male": 6, "female": 4},
            {"class_level": "p2", "male": 5, "female": 6},
            {"class_level": "p3", "male": 3, "female": 5},
        ],
    },
}

DEMO_TAUGHT = ("9050300001", ["k1", "k2", "k3", "p1", "p2", "p3", "p4", "p5", "p6"])


def seed(stdout) -> None:
    round_ = Round.objects.filter(state=Round.State.OPEN).first()
    lao = Organisation.objects.filter(code="5010305").first()
    if round_ is None or lao is None or lao.other_schools_locked:
        stdout.write("other-affiliation headcounts: skipped (no open round or the LAO is confirmed)")
        return
    Organisation.objects.filter(
        code=DEMO_TAUGHT[0], kind=Kind.OTHER_SCHOOL, levels_taught__isnull=True
    ).update(levels_taught=DEMO_TAUGHT[1])
    done = set(OtherSchoolEntry.objects.filter(round=round_, school__code__in=DEMO_ENTRIES).values_list(
        "school__code", flat=True))  # fmt: skip
    todo = {code: entry for code, entry in DEMO_ENTRIES.items() if code not in done}
    saved = (
        other_school_headcounts_save(lao=lao, round_=round_, entries=todo, acting_user=None) if todo else 0
    )
    stdout.write(f"other-affiliation headcounts: {saved} entered")
