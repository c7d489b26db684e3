"""Issue 12, hole 11: a round dated year 1 or 9999 with a ±14:00 offset was accepted, and from then on GET /rounds
answered 500 for everyone and the rounds_tick beat task failed on every run."""

import datetime as dt

import pytest
from django.db import connection

from confirmations.rounds import rounds_tick
from schools.models import Round
from tests.factories import RoundFactory


def _round(**kw) -> dict:
    body = {
        "academic_year": 2570,
        "term": 1,
        "census_date": "2027-06-10",
        "opens_at": "2027-05-15T08:00:00+07:00",
        "closes_at": "2027-06-30T16:30:00+07:00",
    }
    body.update(kw)
    return body


@pytest.mark.parametrize(
    "change, field",
    [
        ({"opens_at": "0001-01-01T00:00:00+14:00"}, "opens_at"),
        ({"closes_at": "9999-12-31T23:59:00-14:00"}, "closes_at"),
        ({"census_date": "9999-12-31"}, "census_date"),
        ({"census_date": "0001-01-01", "opens_at": "0001-01-02T00:00:00+14:00"}, "census_date"),
        ({"opens_at": "2031-05-15T08:00:00+07:00", "closes_at": "2031-06-30T16:30:00+07:00"}, "opens_at"),
        ({"academic_year": 99999}, "academic_year"),
    ],
)
def test_an_absurd_round_is_a_400_on_its_field(tree, api, change, field):
    response = api.post("/api/v1/rounds", _round(**change), tree.users["dept"])
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert not Round.objects.exists()
    assert api.get("/api/v1/rounds", tree.users["school1"]).status_code == 200


def test_a_sane_round_is_still_created(tree, api):
    response = api.post("/api/v1/rounds", _round(), tree.users["dept"])
    assert response.status_code == 201, response.content


def _store_absurd_round() -> int:
    """A round written past the service (an old row, a hand-made INSERT) whose closing time Python cannot read."""
    good = RoundFactory(state=Round.State.PLANNED, academic_year=2590)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE confirmations_round SET closes_at = '9999-12-31T23:59-14:00' WHERE id = %s", [good.pk]
            )
        else:
            cursor.execute(
                "UPDATE confirmations_round SET closes_at = '10000-01-01 13:59:00' WHERE id = %s", [good.pk]
            )
    return good.pk


def test_a_stored_absurd_round_breaks_neither_the_list_nor_the_tick(tree, api):
    bad = _store_absurd_round()
    ok = RoundFactory(state=Round.State.PLANNED, opens_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    response = api.get("/api/v1/rounds", tree.users["school1"])
    assert response.status_code == 200, response.content
    assert ok.pk in [r["id"] for r in response.json()]
    assert bad not in [r["id"] for r in response.json()]
    done = rounds_tick()
    assert (ok.pk, "opened") in done


def test_the_open_round_query_skips_an_absurd_open_row_as_the_orm_filter_does(tree):
    """open_round() is a plain query (issue 16): the same round as the ORM's readable() filter, the absurd row
    never read (one round at most is open: a unique constraint)."""
    from confirmations.selectors.rounds import all_rounds, open_round

    assert open_round() is None
    bad = _store_absurd_round()
    Round.objects.filter(pk=bad).update(state=Round.State.OPEN)
    assert open_round() is None  # open, but unreadable: not converted, not returned
    Round.objects.filter(pk=bad).update(state=Round.State.PLANNED)
    first = RoundFactory(state=Round.State.OPEN, academic_year=2570)
    found = open_round()
    assert found.pk == first.pk == all_rounds().filter(state=Round.State.OPEN).first().pk
    assert (found.closes_at, found.census_date, found.name) == (
        first.closes_at,
        first.census_date,
        first.name,
    )
