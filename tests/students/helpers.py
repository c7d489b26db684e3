"""Synthetic learner data for tests: valid-checksum identities that belong to nobody."""

import datetime as dt
import itertools

from students.identity import make_national_id

_seq = itertools.count(1)


def nid(n: int | None = None) -> str:
    """A valid national ID starting with 1 (synthetic; the running part comes from `n`)."""
    n = next(_seq) if n is None else n
    return make_national_id(f"1{n:011d}")


def birth_for(level: str, on: dt.date | None = None) -> dt.date:
    """A birth date giving the level's typical age on `on` (default today)."""
    from lec.lib.levels import BY_CODE

    on = on or dt.date.today()
    return dt.date(on.year - BY_CODE[level].typical_age, 1, 1)


def learner_input(level="p1", **kw) -> dict:
    data = {
        "national_id": nid(),
        "prefix": "เด็กชาย",
        "first_name": "สมชาย",
        "last_name": "ใจดี",
        "birth_date": birth_for(level).isoformat(),
        "class_level": level,
    }
    data.update(kw)
    return data
