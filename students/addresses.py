"""Thai address lookup: a subdistrict (ตำบล/แขวง) typed on a learner's form offers its district, province and
postcode, from the packaged thai-address-database (npm, ISC; vendored in static/vendor/thai-address-database)."""

import functools
import json
from pathlib import Path

from django.conf import settings

DB_PATH = Path("vendor") / "thai-address-database" / "db.json"
MAX_RESULTS = 10


@functools.cache
def entries() -> tuple[dict, ...]:
    """Every (subdistrict, district, province, postcode), expanded from the package's compact form
    (the port of its preprocess(): numbers index `lookup`, letters A–Z a–z stand for `words`)."""
    path = Path(settings.BASE_DIR) / "static" / DB_PATH
    raw = json.loads(path.read_text(encoding="utf-8"))
    lookup, words = raw["lookup"].split("|"), raw["words"].split("|")

    def text(value) -> str:
        value = lookup[value] if isinstance(value, int) else value
        return "".join(
            words[ord(ch) - 65 if ch < "a" else 26 + ord(ch) - 97] if ch.isascii() and ch.isalpha() else ch
            for ch in value
        )

    out = []
    for province, districts in raw["data"]:
        for district, subdistricts in districts:
            for subdistrict, postcodes in subdistricts:
                for postcode in postcodes if isinstance(postcodes, list) else [postcodes]:
                    out.append(
                        {
                            "subdistrict": text(subdistrict),
                            "district": text(district),
                            "province": text(province),
                            "postcode": str(postcode),
                        }
                    )
    return tuple(out)


def search(query: str, limit: int = MAX_RESULTS) -> list[dict]:
    """Subdistricts starting with QUERY first, then those containing it (Thai text, spaces ignored)."""
    q = "".join((query or "").split())
    for prefix in ("ตำบล", "ต.", "แขวง"):
        q = q.removeprefix(prefix)
    if not q:
        return []
    starts = [e for e in entries() if e["subdistrict"].startswith(q)]
    inside = [e for e in entries() if q in e["subdistrict"] and not e["subdistrict"].startswith(q)]
    return (starts + inside)[:limit]
