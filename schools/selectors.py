"""Reads of the tree that pages and the API share, already limited by the policy."""

import dataclasses

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from accounts import policy

from .models import Kind, Organisation, OtherSchoolCount, OtherSchoolEntry, Round, subtree_q


def children_of(user, organisation: Organisation, kind: str | None = None) -> QuerySet[Organisation]:
    qs = (
        Organisation.objects.filter(parent=organisation)
        .filter(policy.visibility_q(user))
        .order_by("kind", "name_th", "code")
    )
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def other_schools_of(user, lao: Organisation) -> QuerySet[Organisation]:
    return children_of(user, lao, Kind.OTHER_SCHOOL)


# ---------------------------------------------------------------------------------------------------------------
# Other-affiliation headcounts: the LAO's grid, and live summaries for dashboards and reports (other apps read
# these rather than the tables).


@dataclasses.dataclass
class GridRow:
    school: Organisation
    entry: OtherSchoolEntry | None
    counts: dict[str, tuple[int, int]]  # level → (male, female); levels absent are 0
    levels: tuple = ()  # lec.lib.levels.Level the grid shows for this school (see shown_levels)

    @property
    def taught(self) -> list[str] | None:
        """The level codes the school teaches, or None when not known."""
        return self.school.levels_taught

    @property
    def entered(self) -> bool:
        return self.entry is not None

    @property
    def closed(self) -> bool:
        return bool(self.entry and self.entry.closed)

    @property
    def male(self) -> int:
        return sum(m for m, _f in self.counts.values())

    @property
    def female(self) -> int:
        return sum(f for _m, f in self.counts.values())

    @property
    def total(self) -> int:
        return self.male + self.female


@dataclasses.dataclass
class Grid:
    lao: Organisation
    round: object
    rows: list[GridRow]
    levels: tuple  # lec.lib.levels.Level of the school levels, in order

    @property
    def entered(self) -> int:
        return sum(1 for r in self.rows if r.entered)

    @property
    def missing(self) -> int:
        return len(self.rows) - self.entered

    def level_totals(self) -> dict[str, tuple[int, int]]:
        totals = {lvl.code: [0, 0] for lvl in self.levels}
        for row in self.rows:
            for level, (m, f) in row.counts.items():
                if level in totals:
                    totals[level][0] += m
                    totals[level][1] += f
        return {k: (m, f) for k, (m, f) in totals.items()}

    @property
    def male(self) -> int:
        return sum(r.male for r in self.rows)

    @property
    def female(self) -> int:
        return sum(r.female for r in self.rows)

    @property
    def total(self) -> int:
        return self.male + self.female


def _counts_of(entry: OtherSchoolEntry) -> dict[str, tuple[int, int]]:
    from lec.lib.levels import ORDER

    rows = sorted(entry.counts.all(), key=lambda c: ORDER.get(c.class_level, 99))
    return {c.class_level: (c.male, c.female) for c in rows}


def lao_other_schools(
    lao: Organisation, *, active_only: bool = True, missing_first_in=None
) -> QuerySet[Organisation]:
    """The LAO's own other-affiliation schools (the caller has already checked it may see the LAO). With
    `missing_first_in` (a round), the schools with no entry in it come first: they are what holds the LAO back."""
    qs = Organisation.objects.filter(parent=lao, kind=Kind.OTHER_SCHOOL).order_by("name_th", "code")
    if missing_first_in is not None:
        entered = OtherSchoolEntry.objects.filter(round_id=missing_first_in.pk, school=OuterRef("pk"))
        qs = qs.annotate(entered=Exists(entered)).order_by("entered", "name_th", "code")
    return qs.filter(is_active=True) if active_only else qs


def other_headcount_grid(*, lao: Organisation, round_, schools=None) -> Grid:
    """The grid of one LAO for one round: its active other-affiliation schools, each with its entry (or none)
    and counts. Three queries whatever the number of schools."""
    from lec.lib.levels import LEVELS, SCHOOL_CODES

    schools = list(schools if schools is not None else lao_other_schools(lao))
    entries = {
        e.school_id: e
        for e in OtherSchoolEntry.objects.filter(round_id=round_.pk, school__in=[s.pk for s in schools])
        .select_related("entered_by")
        .prefetch_related("counts")
    }
    rows = []
    for school in schools:
        entry = entries.get(school.pk)
        counts = _counts_of(entry) if entry else {}
        rows.append(GridRow(school=school, entry=entry, counts=counts, levels=shown_levels(school, counts)))
    shown = {lvl.code for row in rows for lvl in row.levels} if rows else set(SCHOOL_CODES)
    levels = tuple(lvl for lvl in LEVELS if lvl.code in shown)
    return Grid(lao=lao, round=round_, rows=rows, levels=levels)


def shown_levels(school: Organisation, counts: dict | None = None) -> tuple:
    """The class levels the grid offers for a school: those it teaches (every school level when not known), plus
    any level that already holds learners in the entry shown, so no saved number is ever hidden."""
    from lec.lib.levels import LEVELS, SCHOOL_CODES

    taught = set(SCHOOL_CODES if school.levels_taught is None else school.levels_taught)
    held = {level for level, (m, f) in (counts or {}).items() if m or f}
    return tuple(
        lvl for lvl in LEVELS if lvl.code in SCHOOL_CODES and (lvl.code in taught or lvl.code in held)
    )


def suggested_levels(schools) -> dict[int, tuple[object, list[str]]]:
    """For schools whose class levels are not known: {school id: (round, level codes)} from the latest round in
    which the school had learners, the levels with any. A suggestion for the LAO to check, never applied by
    itself. Two queries."""
    from lec.lib.levels import ORDER

    ids = [s.pk for s in schools if s.levels_taught is None]
    if not ids:
        return {}
    found: dict[int, tuple[tuple, object, set]] = {}
    rows = (
        OtherSchoolCount.objects.filter(entry__school_id__in=ids, entry__closed=False)
        .filter(Q(male__gt=0) | Q(female__gt=0))
        .values_list("entry__school_id", "entry__round_id", "entry__round__academic_year", "entry__round__term",
                     "class_level")
        .order_by()
    )  # fmt: skip
    for school_id, round_id, year, term, level in rows:
        key = (year, term)
        best = found.get(school_id)
        if best is None or key > best[0]:
            found[school_id] = (key, round_id, {level})
        elif key == best[0]:
            best[2].add(level)
    rounds = {r.pk: r for r in Round.objects.filter(pk__in={v[1] for v in found.values()})} if found else {}
    return {
        sid: (rounds.get(round_id), sorted(codes, key=lambda c: ORDER.get(c, 99)))
        for sid, (_key, round_id, codes) in found.items()
    }


def other_school_entry(*, school: Organisation, round_) -> OtherSchoolEntry | None:
    """One school's entry for the round with its counts (two queries), or None before the first save."""
    return (
        OtherSchoolEntry.objects.filter(round_id=round_.pk, school=school).prefetch_related("counts").first()
    )


def entry_counts(entry: OtherSchoolEntry | None) -> list[dict]:
    """api.md's counts list for an entry, in class-level order."""
    if entry is None:
        return []
    return [{"class_level": k, "male": m, "female": f} for k, (m, f) in _counts_of(entry).items()]


def previous_round_with_entries(*, lao: Organisation, round_):
    """The latest round before `round` in which this LAO entered other-affiliation headcounts, or None."""
    earlier = Q(academic_year__lt=round_.academic_year) | Q(
        academic_year=round_.academic_year, term__lt=round_.term
    )
    has_entries = OtherSchoolEntry.objects.filter(round=OuterRef("pk"), school__parent=lao)
    return (
        Round.objects.filter(earlier).filter(Exists(has_entries)).order_by("-academic_year", "-term").first()
    )


def previous_entries(*, lao: Organisation, round_) -> tuple[object, dict[int, tuple[bool, dict]]]:
    """For "copy from the previous round": (that round, {school id: (closed, {level: (male, female)})}); a
    prefill for the grid, never saved by itself."""
    previous = previous_round_with_entries(lao=lao, round_=round_)
    if previous is None:
        return None, {}
    entries = OtherSchoolEntry.objects.filter(round=previous, school__parent=lao).prefetch_related("counts")
    return previous, {e.school_id: (e.closed, _counts_of(e)) for e in entries}


@dataclasses.dataclass
class EntryProgress:
    schools: int = 0  # active other-affiliation schools
    entered: int = 0  # of those, with an entry for the round

    @property
    def missing(self) -> int:
        return self.schools - self.entered


def other_entry_progress(*, round_, laos=None, path: str | None = None) -> dict[int, EntryProgress]:
    """{LAO id: EntryProgress} for the LAOs given (objects or ids) or every LAO under `path`; LAOs with no
    active other-affiliation school are absent. Two queries."""
    schools = Organisation.objects.filter(kind=Kind.OTHER_SCHOOL, is_active=True)
    entries = OtherSchoolEntry.objects.filter(round_id=getattr(round_, "pk", round_), school__is_active=True)
    if laos is not None:
        ids = [getattr(lao, "pk", lao) for lao in laos]
        schools = schools.filter(parent_id__in=ids)
        entries = entries.filter(school__parent_id__in=ids)
    if path is not None:
        schools = schools.filter(subtree_q(path))
        entries = entries.filter(subtree_q(path, "school__path"))
    progress: dict[int, EntryProgress] = {}
    for row in schools.values("parent_id").annotate(n=Count("id")).order_by():
        progress[row["parent_id"]] = EntryProgress(schools=row["n"])
    for row in entries.values("school__parent_id").annotate(n=Count("id")).order_by():
        if row["school__parent_id"] in progress:
            progress[row["school__parent_id"]].entered = row["n"]
    return progress


def other_schools_missing(*, lao: Organisation, round_) -> QuerySet[Organisation]:
    """The LAO's active other-affiliation schools with no entry for the round (the blockers of its
    other_schools confirmation, design.md rule 3)."""
    entered = OtherSchoolEntry.objects.filter(round_id=getattr(round_, "pk", round_), school=OuterRef("pk"))
    return lao_other_schools(lao).exclude(Exists(entered))


def _summed(qs, key: str) -> dict[str, tuple[int, int]]:
    return {
        row[key]: (row["male"] or 0, row["female"] or 0)
        for row in qs.values(key).annotate(male=Sum("male"), female=Sum("female")).order_by(key)
    }


def other_counts_by_level(*, round_, path: str) -> dict[str, tuple[int, int]]:
    """Live other-affiliation headcounts under `path` by class level: {level: (male, female)}. One query."""
    from lec.lib.levels import ORDER

    qs = OtherSchoolCount.objects.filter(entry__round_id=getattr(round_, "pk", round_)).filter(
        subtree_q(path, "entry__school__path")
    )
    found = _summed(qs, "class_level")
    return dict(sorted(found.items(), key=lambda kv: ORDER.get(kv[0], 99)))


def other_counts_by_affiliation(*, round_, path: str) -> dict[str, tuple[int, int]]:
    """Live other-affiliation headcounts under `path` by affiliation: {affiliation: (male, female)}. One query."""
    qs = OtherSchoolCount.objects.filter(entry__round_id=getattr(round_, "pk", round_)).filter(
        subtree_q(path, "entry__school__path")
    )
    return _summed(qs.annotate(affiliation=F("entry__school__affiliation")), "affiliation")


def other_counts_by_school(*, round_, path: str) -> dict[int, tuple[int, int]]:
    """Live other-affiliation headcounts under `path` per school id: {school id: (male, female)}. One query."""
    qs = OtherSchoolCount.objects.filter(entry__round_id=getattr(round_, "pk", round_)).filter(
        subtree_q(path, "entry__school__path")
    )
    return _summed(qs.annotate(school_id=F("entry__school_id")), "school_id")


def lao_other_summary(lao: Organisation) -> dict:
    """For the LAO's page, in one query: its active and closed other-affiliation schools, how many active ones
    have an entry for the open round, and whether a round is open at all."""

    def counted(qs):
        return Coalesce(
            Subquery(qs.order_by().values("parent_id").annotate(n=Count("pk")).values("n")[:1]), 0
        )

    schools = Organisation.objects.filter(parent=OuterRef("pk"), kind=Kind.OTHER_SCHOOL)
    entered = OtherSchoolEntry.objects.filter(
        school__parent=OuterRef(OuterRef("pk")), school__is_active=True, round__state=Round.State.OPEN
    )
    return (
        Organisation.objects.filter(pk=lao.pk)
        .annotate(
            active=counted(schools.filter(is_active=True)),
            closed=counted(schools.filter(is_active=False)),
            entered=counted(schools.filter(is_active=True, pk__in=entered.values("school_id"))),
            round_open=Exists(Round.objects.filter(state=Round.State.OPEN)),
        )
        .values("active", "closed", "entered", "round_open")
        .get()
    )
