"""Which round a page or request is about."""

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lec.lib.errors import NotFound
from schools.models import Round

# Rounds dated within these years only (confirmations.rounds refuses others). A row outside them, written past
# the service, is never read: its datetimes may not even fit Python's (year 0 or 10000 once converted to UTC),
# and one such row used to make GET /rounds, the banner on every page and the beat task fail for everybody.
FIRST_YEAR, LAST_YEAR = 2000, 2200
_LOW = dt.datetime(FIRST_YEAR, 1, 1, tzinfo=dt.UTC)
_HIGH = dt.datetime(LAST_YEAR + 1, 1, 1, tzinfo=dt.UTC)


def readable() -> Q:
    """Rounds whose dates are in range, tested in SQL before any row is converted (both bounds on each field:
    SQLite compares the stored text, where '10000-…' sorts before '2000-…')."""
    return Q(
        opens_at__gte=_LOW, opens_at__lt=_HIGH, closes_at__gte=_LOW, closes_at__lt=_HIGH,
        census_date__gte=_LOW.date(), census_date__lt=_HIGH.date(),
    )  # fmt: skip


def all_rounds() -> QuerySet[Round]:
    return Round.objects.filter(readable())


def open_round() -> Round | None:
    """The open round (readable dates only), as `all_rounds().filter(state=OPEN).first()` would give it, in one
    plain query: every page asks for it (the banner, and most views again), and compiling the ORM's seven
    conditions cost five times what the query does (issue 16)."""
    from django.db import connections, router

    connection = connections[router.db_for_read(Round)]
    ops, quote = connection.ops, connection.ops.quote_name
    at, day = ops.adapt_datetimefield_value, ops.adapt_datefield_value
    sql = (
        f"SELECT * FROM {quote(Round._meta.db_table)} WHERE state = %s"
        " AND opens_at >= %s AND opens_at < %s AND closes_at >= %s AND closes_at < %s"
        " AND census_date >= %s AND census_date < %s ORDER BY id LIMIT 1"
    )
    params = [
        Round.State.OPEN.value,
        at(_LOW),
        at(_HIGH),
        at(_LOW),
        at(_HIGH),
        day(_LOW.date()),
        day(_HIGH.date()),
    ]
    found = list(Round.objects.raw(sql, params))
    return found[0] if found else None


def banner_round() -> Round | None:
    """The open round for the banner on every page, with `days_left` / `hours_left` for the countdown."""
    round_ = open_round()
    if round_ is not None:
        left = max(round_.closes_at - timezone.now(), timezone.timedelta(0))
        round_.days_left = left.days
        round_.hours_left = left.seconds // 3600
    return round_


def round_id_param(value) -> int:
    """A round id from a query string or form: digits within the id column's range, else 404 (`?round=abc` and
    `?round=99999999999999999999` were 500s)."""
    text = str(value).strip()
    if not text.isdigit() or not 0 < int(text) < 2**31:
        raise NotFound(_("There is no such round."))
    return int(text)


def current_round(round_id=None) -> Round | None:
    """The round asked for (404 when it is not a round id), else the open one, else the most recent."""
    if round_id:
        return all_rounds().filter(pk=round_id_param(round_id)).first()
    return open_round() or all_rounds().order_by("-academic_year", "-term").first()


def rounds() -> QuerySet[Round]:
    return all_rounds().order_by("-academic_year", "-term")
