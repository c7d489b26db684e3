"""The headcount export (api.md GET /headcounts/export): one row per organisation at one level (LAO or institution)
under an organisation, male/female/total per class level with the DMC codes, as CSV (UTF-8 with BOM) or xlsx.
Confirmed institutions count from their snapshot, the others live while the round is open. Every export is
audited (who, what, filter, rows, checksum)."""

from collections import defaultdict

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.services import audit
from lec.lib import levels
from lec.lib.errors import invalid
from lec.lib.spreadsheets import csv_chunks, csv_response, escape, export_filename, xlsx_response
from schools.models import INSTITUTION_KINDS, Kind, Organisation, Round, subtree_q
from students.models import Gender, LearnerCount

from .models import Confirmation, HeadcountSnapshot, Scope

_LEVELS = ("lao", "institution")


def _organisations(organisation: Organisation, level: str) -> list[Organisation]:
    kinds = (Kind.LAO,) if level == "lao" else INSTITUTION_KINDS
    return list(
        Organisation.objects.filter(subtree_q(organisation.path), kind__in=kinds)
        .filter(Q(is_active=True) | Q(learner_counts__count__gt=0))
        .distinct()
        .order_by("path")
        .only("id", "code", "name_th", "kind", "lao_id")
    )


def _confirmed_institutions(round_: Round, organisation: Organisation) -> set[int]:
    return set(
        Confirmation.objects.filter(
            round=round_,
            scope=Scope.LEARNERS,
            state=Confirmation.State.CONFIRMED,
            organisation__kind__in=INSTITUTION_KINDS,
        )
        .filter(subtree_q(organisation.path, "organisation__path"))
        .values_list("organisation_id", flat=True)
    )


def _counts(round_: Round, organisation: Organisation, level: str) -> dict:
    """{organisation id: {class level: [male, female]}} summed to the rows' level."""
    confirmed = _confirmed_institutions(round_, organisation)
    counts: dict = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    group = "organisation__lao_id" if level == "lao" else "organisation_id"
    sources = []
    if round_.state == Round.State.OPEN:
        sources.append(
            LearnerCount.objects.filter(subtree_q(organisation.path, "organisation__path"), count__gt=0)
            .exclude(organisation_id__in=confirmed)
            .values_list(group, "class_level", "gender", "count")
        )
    snap_group = "school__lao_id" if level == "lao" else "school_id"
    sources.append(
        HeadcountSnapshot.objects.filter(
            confirmation__round=round_,
            confirmation__scope=Scope.LEARNERS,
            confirmation__state=Confirmation.State.CONFIRMED,
            school_id__in=confirmed,
        ).values_list(snap_group, "class_level", "gender", "count")
    )
    for source in sources:
        for key, lvl, gender, n in source:
            counts[key][lvl][0 if gender == Gender.MALE else 1] += n
    return counts


def _header_rows() -> list[list]:
    head1 = [_("Code"), _("Name"), _("State")]
    head2 = ["", "", ""]
    male, female, total = _("male"), _("female"), _("total")
    for lvl in levels.LEVELS:
        head1 += [f"{lvl.short} {male}", f"{lvl.short} {female}", f"{lvl.short} {total}"]
        dmc = f"DMC {lvl.dmc}" if lvl.dmc else ""
        head2 += [dmc, dmc, dmc]
    head1 += [_("Total male"), _("Total female"), _("Total")]
    head2 += ["", "", ""]
    return [head1, head2]


def _row(org: Organisation, state_label: str, by_level: dict) -> list:
    row = [org.code, org.name_th, state_label]
    total_male = total_female = 0
    for lvl in levels.LEVELS:
        male, female = by_level.get(lvl.code, (0, 0))
        row += [male, female, male + female]
        total_male, total_female = total_male + male, total_female + female
    row += [total_male, total_female, total_male + total_female]
    return [escape(c) if isinstance(c, str) else c for c in row]


def headcount_table(round_: Round, organisation: Organisation, level: str) -> tuple[list[list], list[list]]:
    """(two header rows, one row per organisation at `level` under `organisation`): code, name, state, then
    male/female/total per class level. Confirmed institutions count from their snapshot, others live."""
    if level not in _LEVELS:
        raise invalid("level", _("Choose lao or institution."))
    orgs = _organisations(organisation, level)
    states = dict(
        Confirmation.objects.filter(
            round=round_, scope=Scope.LEARNERS, organisation__in=[o.id for o in orgs]
        ).values_list("organisation_id", "state")
    )
    counts = _counts(round_, organisation, level)
    state_label = {Confirmation.State.CONFIRMED: _("confirmed"), Confirmation.State.OPEN: _("not confirmed")}
    rows = [
        _row(org, state_label.get(states.get(org.id), _("not confirmed")), counts.get(org.id, {}))
        for org in orgs
    ]
    return _header_rows(), rows


def headcounts_export(
    *, acting_user, round_: Round, organisation: Organisation, fmt: str, level: str, ip: str | None = None
):
    """The download of headcount_table (the caller authorised export_learners on `organisation`)."""
    if fmt not in ("csv", "xlsx"):
        raise invalid("format", _("Choose csv or xlsx."))
    header_rows, rows = headcount_table(round_, organisation, level)
    detail = {
        "format": fmt,
        "filter": {"round": round_.pk, "organisation": organisation.code, "level": level},
    }

    def log(count: int, checksum: str, complete: bool = True):
        audit(acting_user=acting_user, action="export_headcounts", organisation=organisation, object_ref=organisation.code,
              ip=ip, rows=count, checksum=checksum, complete=complete, **detail)  # fmt: skip

    name = export_filename(organisation.code, f"headcounts-{level}-{round_.academic_year}-{round_.term}", fmt)
    if fmt == "csv":
        chunks = csv_chunks(header_rows[0], [*header_rows[1:], *rows], lambda n, c, ok: log(n - 1, c, ok))
        return csv_response(name, chunks)
    return xlsx_response(name, _("Headcounts"), header_rows, rows, log)
