"""The organisation loader (api.md load_organisations): the CSV columns, validation of every line, and the
all-or-nothing upsert by code. Used by `manage.py load_organisations` and the department's upload page."""

import dataclasses
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lec.lib import generations
from lec.lib.errors import FileProblems

from .models import DEPTH, PARENT_KIND, Affiliation, Kind, LaoType, Organisation
from .tree import derived_fields, tree_rebuild

# An organisation code is part of every URL and of the tree's paths: a "/" in one merged paths and widened a
# subtree (issue 12), so codes are restricted to a safe pattern.
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,20}\Z")
LOADER_COLUMNS = ["code", "kind", "name_th", "name_en", "parent_code", "lao_type", "affiliation"]
_FIELDS = ("kind", "name_th", "name_en", "lao_type", "affiliation", "is_active")


class LoadError(FileProblems):
    pass


@dataclasses.dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def summary(self) -> str:
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}"


def _clean(row: dict) -> dict:
    return {k: (v or "").strip() for k, v in row.items() if k is not None}


def _validate(rows: list[tuple[int, dict]], existing: dict[str, dict]) -> list[str]:
    problems: list[str] = []
    seen: dict[str, int] = {}
    by_code = {}
    kinds = set(Kind.values)
    for line, row in rows:
        code, kind = row.get("code", ""), row.get("kind", "")
        errs = []
        if not code:
            errs.append(_("code is empty"))
        elif not CODE_RE.match(code):
            errs.append(
                _("code %(code)r may use only letters, digits, - and _ (at most 20)") % {"code": code[:40]}
            )
        elif code in seen:
            errs.append(
                _("code %(code)s appears twice in the file (first at line %(line)s)")
                % {"code": code, "line": seen[code]}
            )
        else:
            seen[code] = line
        if kind not in kinds:
            errs.append(_("unknown kind %(kind)r") % {"kind": kind})
        if not row.get("name_th"):
            errs.append(_("name_th is required"))
        lao_type, affiliation = row.get("lao_type", ""), row.get("affiliation", "")
        if kind == Kind.LAO and lao_type not in LaoType.values:
            errs.append(_("lao_type must be one of %(values)s") % {"values": ", ".join(LaoType.values)})
        if kind != Kind.LAO and lao_type:
            errs.append(_("lao_type is only for LAOs"))
        if kind == Kind.OTHER_SCHOOL and affiliation not in Affiliation.values:
            errs.append(
                _("affiliation must be one of %(values)s") % {"values": ", ".join(Affiliation.values)}
            )
        if kind != Kind.OTHER_SCHOOL and affiliation:
            errs.append(_("affiliation is only for other-affiliation schools"))
        if row.get("is_active", "") not in ("", "1", "0"):
            errs.append(_("is_active must be 1 or 0"))
        old = existing.get(code)
        if old and kind in kinds and old["kind"] != kind:
            errs.append(_("kind cannot change from %(old)s to %(new)s") % {"old": old["kind"], "new": kind})
        if errs:
            problems.append(f"line {line}: " + "; ".join(errs))
        elif code not in by_code:
            by_code[code] = (line, row)
    # Parents are checked once every row's own kind is known.
    for _code, (line, row) in by_code.items():
        kind, parent_code = row["kind"], row.get("parent_code", "")
        want = PARENT_KIND[Kind(kind)]
        if want is None:
            if parent_code:
                problems.append(f"line {line}: " + _("a department has no parent_code"))
            continue
        if not parent_code:
            problems.append(
                f"line {line}: " + _("parent_code is required for kind %(kind)s") % {"kind": kind}
            )
            continue
        if parent_code in by_code:
            parent_kind = by_code[parent_code][1]["kind"]
        elif parent_code in existing:
            parent_kind = existing[parent_code]["kind"]
        elif parent_code in seen:
            continue  # the parent's own row is bad and already reported
        else:
            problems.append(f"line {line}: " + _("unknown parent_code %(code)s") % {"code": parent_code})
            continue
        if parent_kind != want:
            problems.append(
                f"line {line}: "
                + _("parent %(code)s is a %(parent)s; a %(kind)s needs a %(want)s")
                % {"code": parent_code, "parent": parent_kind, "kind": kind, "want": want}
            )
    problems.sort(key=lambda p: int(p.split(":")[0].split()[1]))
    return problems


@transaction.atomic
def organisations_load(*, rows: list[tuple[int, dict]]) -> LoadResult:
    """Upsert organisations by code from (line number, row) pairs; all or nothing."""
    rows = [(line, _clean(row)) for line, row in rows]
    existing = {
        o["code"]: o
        for o in Organisation.objects.values("id", "code", "kind", "parent_id", "parent__code", *_FIELDS[1:])
    }
    problems = _validate(rows, existing)
    if problems:
        raise LoadError(problems)

    result = LoadResult()
    loaded: dict[str, Organisation] = {}
    moved: list[Organisation] = []
    ordered = sorted(rows, key=lambda lr: DEPTH[Kind(lr[1]["kind"])])
    objects = {o.code: o for o in Organisation.objects.filter(code__in=[r["code"] for _l, r in rows])}
    parent_codes = {r.get("parent_code") for _l, r in rows if r.get("parent_code")} - set(objects)
    parents = {o.code: o for o in Organisation.objects.filter(code__in=parent_codes)}

    for depth in sorted({DEPTH[Kind(r["kind"])] for _l, r in ordered}):
        to_create, to_update = [], []
        for _line, row in ordered:
            if DEPTH[Kind(row["kind"])] != depth:
                continue
            code = row["code"]
            parent = None
            if row.get("parent_code"):
                pc = row["parent_code"]
                parent = loaded.get(pc) or objects.get(pc) or parents.get(pc)
            values = {
                "kind": row["kind"],
                "name_th": row["name_th"],
                "name_en": row.get("name_en", ""),
                "lao_type": row.get("lao_type", ""),
                "affiliation": row.get("affiliation", ""),
                "is_active": row.get("is_active", "") != "0",
                "parent": parent,
            }
            obj = objects.get(code)
            if obj is None:
                obj = Organisation(code=code, **values)
                for field, value in derived_fields(row["kind"], parent, code).items():
                    setattr(obj, field, value)
                to_create.append(obj)
            else:
                differs = any(getattr(obj, f) != values[f] for f in _FIELDS) or obj.parent_id != (
                    parent.id if parent else None
                )
                if differs:
                    if obj.parent_id != (parent.id if parent else None):
                        moved.append(obj)
                    for field, value in values.items():
                        setattr(obj, field, value)
                    if not obj.is_active and obj.closed_on is None:
                        obj.closed_on = timezone.localdate()
                    if obj.is_active:
                        obj.closed_on = None
                    for field, value in derived_fields(row["kind"], parent, code, obj.id).items():
                        setattr(obj, field, value)
                    to_update.append(obj)
                else:
                    result.unchanged += 1
            loaded[code] = obj
        Organisation.objects.bulk_create(to_create, batch_size=1000)
        # Provinces and LAOs point at themselves; that needs their new ids.
        self_ref = [o for o in to_create if o.kind in (Kind.PROVINCE, Kind.LAO)]
        for o in self_ref:
            if o.kind == Kind.PROVINCE:
                o.province_id = o.id
            else:
                o.lao_id = o.id
        Organisation.objects.bulk_update(self_ref, ["province_id", "lao_id"], batch_size=1000)
        Organisation.objects.bulk_update(
            to_update,
            ["kind", "name_th", "name_en", "lao_type", "affiliation", "is_active", "closed_on", "parent",
             "path", "depth", "province_id", "lao_id"],
            batch_size=1000,
        )  # fmt: skip
        result.created += len(to_create)
        result.updated += len(to_update)
    if moved:
        tree_rebuild(moved)
    if result.created or result.updated:
        generations.bump_everything()  # rows moved or closed: cached totals (docs/performance.md)
    return result
