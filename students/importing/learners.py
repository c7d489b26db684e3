"""The learner import: read the file, validate every row with the learner rules, find identities held elsewhere,
then write all or nothing through students.services.learners_bulk_upsert; and the job glue the Celery task calls."""

import contextlib
import dataclasses
from collections.abc import Callable

from django.db import transaction

from lec.jobs import pause_for_tests
from lec.lib.errors import Code, DomainError, learners_locked
from lec.lib.spreadsheets import FileRefused

from ..services import age_reference_date, learner_clean, learners_bulk_upsert
from .problems import Problem, active_elsewhere_line
from .table import Row, Table, read_table

_FIELD_KIND = {"national_id": "identity", "g_code": "identity", "birth_date": "date", "enrolled_on": "date",
               "class_level": "class_level"}  # fmt: skip
PREVIEW, IMPORT = "preview", "import"


@dataclasses.dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: int = 0
    problems: list[Problem] = dataclasses.field(default_factory=list)
    ignored: list[str] = dataclasses.field(default_factory=list)
    candidates: list[dict] = dataclasses.field(default_factory=list)
    sheet: str | None = None
    header_row: int = 1
    format: str = ""
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}"

    def problem_lines(self) -> list[str]:
        return [p.line() for p in self.problems] + [f"{len(self.problems)} problems"]

    def as_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["problems"] = [p.as_dict() for p in self.problems]
        return data


def _validate(organisation, table: Table, problems: list[Problem], report) -> list[tuple[Row, dict]]:
    """Every row through learner_clean; its messages become problems (one per cell not already reported).
    Returns the rows without any problem, with their cleaned data."""
    bad_cells = {(p.row, p.column) for p in problems}
    bad_rows = {p.row for p in problems}
    on = age_reference_date()
    items: list[tuple[Row, dict]] = []
    for i, row in enumerate(table.rows):
        cleaned, errors = learner_clean(organisation=organisation, data=row.data, on=on)
        for field, messages in errors.items():
            column = table.column_name(field)
            if (row.number, column) in bad_cells:
                continue
            for message in messages:
                problems.append(Problem(row.number, column, str(message), _FIELD_KIND.get(field, "value"),
                                        table.column_index(field)))  # fmt: skip
        if errors:
            bad_rows.add(row.number)
        elif row.number not in bad_rows:
            items.append((row, cleaned))
        if i % 1000 == 999:
            report(40 + 40 * i // max(len(table.rows), 1))
    return items


def _held_elsewhere(
    table: Table, items, conflicts: dict, outcome: Outcome, problems: list[Problem]
) -> set[int]:
    """A problem and a transfer candidate for each row whose identity is active at another institution; returns
    those rows' numbers."""
    column = table.columns["identity"]
    for row, cleaned in items:
        key = cleaned.get("national_id") or cleaned.get("g_code")
        if key not in conflicts:
            continue
        code, name = conflicts[key]
        problems.append(Problem(row.number, column.header, active_elsewhere_line(code), "active_elsewhere",
                                column.index))  # fmt: skip
        outcome.candidates.append({
            "row": row.number, "identity": key, "code": code, "name_th": name,
            "first_name": cleaned.get("first_name", ""), "last_name": cleaned.get("last_name", ""),
            "class_level": cleaned.get("class_level", ""),
        })  # fmt: skip
    return {c["row"] for c in outcome.candidates}


def _upsert(organisation, table, items, acting_user, write_now: bool, outcome, problems) -> bool:
    """Write (or count, in a dry run) the good rows; returns whether they were written. Without problems so far an
    import writes in one pass: the service refuses identities held elsewhere before writing anything, and those
    become problems here (and the counts are then a dry run of the rest)."""
    good = [cleaned for _row, cleaned in items]
    try:
        result = learners_bulk_upsert(organisation=organisation, items=good, acting_user=acting_user,
                                      dry_run=not write_now)  # fmt: skip
    except DomainError as exc:
        if exc.code != Code.IDENTITY_ACTIVE_ELSEWHERE:
            raise
        write_now = False
        blocked = _held_elsewhere(table, items, exc.extra.get("conflicts", {}), outcome, problems)
        good = [cleaned for row, cleaned in items if row.number not in blocked]
        result = learners_bulk_upsert(
            organisation=organisation, items=good, acting_user=acting_user, dry_run=True
        )
    outcome.created, outcome.updated, outcome.unchanged = result.created, result.updated, result.unchanged
    return write_now


def learners_import(
    *,
    organisation,
    source,
    filename: str,
    acting_user,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Outcome:
    """Import a learner file into one institution. Raises FileRefused (the file as a whole) or DomainError
    (`confirmed_locked`); returns an Outcome whose problems, when any, mean nothing was written."""
    organisation.refresh_from_db(fields=["learners_locked"])
    if organisation.learners_locked:
        raise learners_locked(organisation)
    report = progress or (lambda p: None)
    report(1)
    table = read_table(
        source, filename, progress=lambda n, total: report(min(40, 1 + n * 39 // max(total, n, 1)))
    )
    outcome = Outcome(rows=len(table.rows), ignored=table.ignored, sheet=table.sheet,
                      header_row=table.header_row, format=table.format)  # fmt: skip
    problems = list(table.problems)
    items = _validate(organisation, table, problems, report)
    report(80)
    write_now = not problems and not dry_run
    outcome.written = _upsert(organisation, table, items, acting_user, write_now, outcome, problems)
    problems.sort(key=lambda p: (p.row, p.col if p.col is not None else 10**6))
    outcome.problems = problems
    report(100 if outcome.written else 90)
    return outcome


# ---------------------------------------------------------------------------------------------------------------
# Background jobs (the Celery job task calls this with a claimed Job).


def import_job(job) -> None:
    """Run a learner import job's phase: `preview` (a dry run) or `import` (writes all or nothing)."""

    writing = job.phase == IMPORT

    def progress(percent: int) -> None:
        if writing:  # the heartbeat publishes it: an UPDATE here would hold the job row locked until commit
            job.progress, job.total = percent, 100
        else:
            job.set_progress(percent, 100)

    try:
        # The write and the job's end commit together or not at all: a worker killed mid-write leaves nothing
        # (PostgreSQL rolls its transaction back), and a run whose lease another worker took (finish raises
        # LeaseLost) rolls its rows back, so an import re-run after a crash writes its learners exactly once.
        with transaction.atomic() if writing else contextlib.nullcontext():
            with job.file.open("rb") as fh:
                outcome = learners_import(
                    organisation=job.organisation,
                    source=fh,
                    filename=job.filename,
                    acting_user=job.created_by,
                    dry_run=not writing,
                    progress=progress,
                )
            if writing:
                pause_for_tests(job)
            # a preview that found problems did its work (state done); an import with problems wrote nothing
            job.finish(result={**outcome.as_dict(), "phase": job.phase}, failed=writing and not outcome.ok)
    except FileRefused as exc:
        job.finish(result={"refused": exc.message, "kind": exc.kind, "phase": job.phase}, failed=True)
        return
    except DomainError as exc:
        job.finish(result={"refused": str(exc.message), "code": exc.code, "phase": job.phase}, failed=True)
        return
    if outcome.written:
        # the learners are in LEC now; the uploaded copy of their records is not kept
        job.file.delete(save=False)
        job.save(update_fields=["file"])
