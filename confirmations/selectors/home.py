"""What a role must do next: the lock notice on learner pages, the latest unlock on an institution's home, and
the "what needs you now" panel of every role's home page (ui.md: task list, notification banner)."""

import dataclasses
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from accounts import policy
from accounts.models import User
from lec.lib import plain_sql as plain
from schools.models import Kind, Organisation, OtherSchoolEntry, Round

from ..models import Action, Confirmation, ConfirmationEvent, Notification, Scope, UnlockRequest
from .dashboard import dashboard
from .participation import INSTITUTIONS, blockers

REMINDER_GAP = timedelta(
    hours=6
)  # an LAO reminds one institution at most this often (confirmations.reminders)


def last_reminded(org_ids) -> dict[int, datetime]:
    """{institution id: when the level above last reminded it} (one plain query; none for no institution)."""
    ids = list(org_ids)
    if not ids:
        return {}
    convert = plain.converter(Notification, "created_at")
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT organisation_id, MAX(created_at) FROM {plain.table(Notification)} "  # noqa: S608
            f"WHERE kind = %s AND organisation_id IN ({', '.join(['%s'] * len(ids))}) GROUP BY organisation_id",
            [Notification.Kind.NUDGE, *ids],
        )
        return {org_id: convert(at) if convert else at for org_id, at in cur.fetchall()}


@dataclasses.dataclass
class LockNotice:
    """Why an institution's learners are locked, and whether it already asked for an unlock."""

    round: Round
    confirmed_at: datetime | None
    confirmed_by: str
    pending: UnlockRequest | None


def lock_notice(org: Organisation) -> LockNotice | None:
    """The confirmation that locks `org`'s learners (None when they are not locked): two queries, only when locked."""
    if not org.learners_locked:
        return None
    conf = (
        Confirmation.objects.filter(
            organisation=org,
            scope=Scope.LEARNERS,
            state=Confirmation.State.CONFIRMED,
            round__state=Round.State.OPEN,
        )
        .select_related("round", "confirmed_by")
        .order_by("-confirmed_at")
        .first()
    )
    if conf is None:
        return None
    pending = UnlockRequest.objects.filter(
        round=conf.round, organisation=org, scope=Scope.LEARNERS, state=UnlockRequest.State.PENDING
    ).first()
    who = conf.confirmed_by.get_full_name() or conf.confirmed_by.username if conf.confirmed_by else ""
    return LockNotice(conf.round, conf.confirmed_at, who, pending)


def last_unlock(round_: Round | None, org: Organisation) -> ConfirmationEvent | None:
    """The unlock that reopened `org` in this round, while it is still open (the home page's banner)."""
    if round_ is None:
        return None
    event = (
        ConfirmationEvent.objects.filter(round=round_, organisation=org)
        .filter(action__in=(Action.UNLOCK, Action.APPROVE_REQUEST, Action.CONFIRM))
        .order_by("-at", "-id")
        .first()
    )
    if event is None or event.action == Action.CONFIRM:
        return None
    return event


@dataclasses.dataclass
class Blocker:
    """An institution holding its LAO back: its page, who to contact, when it was last reminded."""

    org: Organisation
    contacts: list  # [(name, e-mail, phone)]
    reminded_at: datetime | None
    can_remind: bool


def blocker_rows(user, board) -> list[Blocker]:
    """The LAO dashboard's institutions not yet confirmed, with their contacts (two queries whatever their number)."""
    codes = set(board.blockers.get(Scope.LEARNERS, ()))
    orgs = [r.org for r in board.children if r.org.code in codes]
    contacts: dict[int, list] = {o.pk: [] for o in orgs}
    for org_id, first, last, username, email, phone in _contacts(list(contacts)):
        if email or phone:
            contacts[org_id].append((f"{first} {last}".strip() or username, email, phone))
    reminded = last_reminded(contacts)
    may = bool(orgs) and board.round_open and policy.can(user, "unlock_children", orgs[0])
    now = timezone.now()
    return [
        Blocker(
            o, contacts[o.pk], reminded.get(o.pk), may and not _recent(reminded.get(o.pk), now, REMINDER_GAP)
        )
        for o in orgs
    ]


def _contacts(org_ids: list[int]) -> list[tuple]:
    """[(organisation id, first name, last name, username, e-mail, phone)] of the active users of these
    organisations, by organisation and username (one plain query; none for no organisation)."""
    if not org_ids:
        return []
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT organisation_id, first_name, last_name, username, email, phone FROM {plain.table(User)} "  # noqa: S608
            f"WHERE is_active = %s AND organisation_id IN ({', '.join(['%s'] * len(org_ids))}) "
            "ORDER BY organisation_id, username",
            [True, *org_ids],
        )
        return cur.fetchall()


def _recent(at, now, gap) -> bool:
    return at is not None and now - at < gap


@dataclasses.dataclass
class NeedsYou:
    """The "what needs you now" panel of a role's home page."""

    round: Round | None
    kind: str
    steps: list = dataclasses.field(default_factory=list)  # institution: [(label, url, state, detail)]
    late: list = dataclasses.field(default_factory=list)  # children not yet confirmed (Organisation)
    late_total: int = 0
    requests: int = 0
    missing_other: int = 0
    unlocked: ConfirmationEvent | None = None
    confirmed: bool = False
    pending: UnlockRequest | None = None
    days_left: int = 0
    hours_left: int = 0


LATE_SHOWN = 10


def needs_you(round_: Round | None, org: Organisation) -> NeedsYou:
    """What the home page of `org`'s users asks them to do next in the open round (a few queries, never per row)."""
    panel = NeedsYou(round_, org.kind)
    if round_ is None or round_.state != Round.State.OPEN:
        return panel
    left = max(round_.closes_at - timezone.now(), timezone.timedelta(0))
    panel.days_left, panel.hours_left = left.days, left.seconds // 3600
    board = dashboard(round_, org)
    conf = board.scopes.get(Scope.LEARNERS)
    panel.confirmed = conf is not None and conf.state == Confirmation.State.CONFIRMED
    panel.pending = board.own_pending.get(Scope.LEARNERS)
    panel.requests = len(board.pending)
    if org.kind in INSTITUTIONS:
        panel.unlocked = None if panel.confirmed else last_unlock(round_, org)
        return panel
    if org.kind == Kind.LAO:
        late_codes = set(blockers(round_, org, Scope.LEARNERS))
        panel.missing_other = len(board.blockers.get(Scope.OTHER_SCHOOLS, ()))
    elif org.kind == Kind.PROVINCE:
        late_codes = set(board.blockers.get(Scope.LEARNERS, ()))
    else:
        late_codes = {r.org.code for r in board.children if r.learners != Confirmation.State.CONFIRMED}
    late = [r.org for r in board.children if r.org.code in late_codes]
    panel.late, panel.late_total = late[:LATE_SHOWN], len(late)
    return panel


@dataclasses.dataclass
class Progress:
    """The dashboard's progress, one set of numbers for the sentence, the bar, the chart and the table's rows:
    every row of the table is counted once, an institution as confirmed or not (awaiting an unlock still counts
    as confirmed: it is locked until the unlock), an other-affiliation school as entered or not (never confirmed)."""

    rows: int = 0  # rows of the table
    done: int = 0  # of which confirmed or entered
    institutions: int = 0
    institutions_done: int = 0
    others: int = 0
    others_entered: int = 0
    children_label: str = ""
    idle: int = 0  # children with nothing to confirm (no institution, no other-affiliation school)
    chart: dict = dataclasses.field(default_factory=dict)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.rows) if self.rows else 0


def progress(board) -> Progress:
    from django.utils.translation import gettext as _

    from .dashboard import ENTERED

    found = Progress()
    confirmed, entered, todo = [], [], []
    for row in board.children:
        if board.org.kind == Kind.LAO:
            if row.org.kind in INSTITUTIONS:
                found.institutions += 1
                ok = row.learners == Confirmation.State.CONFIRMED
                found.institutions_done += ok
                confirmed.append(int(ok)), entered.append(0), todo.append(int(not ok))
            else:
                found.others += 1
                ok = row.other_schools == ENTERED
                found.others_entered += ok
                confirmed.append(0), entered.append(int(ok)), todo.append(int(not ok))
        elif row.learners is None and row.other_schools is None:
            found.idle += 1
            confirmed.append(0), entered.append(0), todo.append(0)
        else:  # a province's LAOs, the department's provinces: their own children confirmed, out of how many
            # confirmed itself (an unlock request waiting does not undo that); the chart shows the row's own
            # progress below it, the same x/y as the table's progress column
            states = [s for s in (row.learners, row.other_schools) if s is not None]
            found.done += all(s == Confirmation.State.CONFIRMED for s in states)
            confirmed.append(row.done), entered.append(0), todo.append(max(row.total - row.done, 0))
    if board.org.kind == Kind.LAO:
        found.rows = found.institutions + found.others
        found.done = found.institutions_done + found.others_entered
    else:
        found.rows = len(board.children) - found.idle
    series = [{"label": str(_("Confirmed")), "data": confirmed, "color": "#00703c"}]
    if found.others:
        series.append(
            {"label": str(_("Entered (other-affiliation school)")), "data": entered, "color": "#1d70b8"}
        )
    series.append({"label": str(_("Not yet")), "data": todo, "color": "#f47738"})
    found.chart = {"labels": [r.org.name_th for r in board.children], "series": series}
    return found


def closed_other_schools(round_: Round, lao: Organisation) -> set[str]:
    """Codes of the LAO's other-affiliation schools entered as closed this round (shown as closed, not as zeros)."""
    return set(
        OtherSchoolEntry.objects.filter(round=round_, school__parent=lao, closed=True).values_list(
            "school__code", flat=True
        )
    )
