"""Other-affiliation headcounts: cell validation, the all-or-nothing grid save, the closed-school rule, the edit
lock and the round, the LAO's add/close of schools, copy from the previous round and the live summaries."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from accounts.models import AuditLog
from lec.lib.errors import DomainError, Forbidden, Invalid
from lec.lib.thai import format_datetime
from schools import selectors
from schools.models import Kind, Organisation, OtherSchoolCount, OtherSchoolEntry, Round
from schools.services import (
    CountError,
    entry_version,
    levels_label,
    other_school_add,
    other_school_close,
    other_school_headcount_save,
    other_school_headcounts_save,
    other_school_reopen,
    parse_count,
)
from tests.factories import RoundFactory, org


def make_round(year=2569, term=1, state="open"):
    now = timezone.now()
    return RoundFactory(academic_year=year, term=term, opens_at=now - dt.timedelta(days=1), state=state)


@pytest.fixture
def rnd(db):
    return make_round()


@pytest.fixture
def lao_user(tree):
    return tree.users["lao1"]


def counts_of(school, rnd):
    entry = OtherSchoolEntry.objects.get(school=school, round=rnd)
    return entry.closed, {c.class_level: (c.male, c.female) for c in entry.counts.all()}


# --- parse_count -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [(0, 0), (12, 12), ("12", 12), (" 7 ", 7), ("๑๒", 12), ("๐", 0), ("", 0), (None, 0), ("1,234", 1234),
     (3.0, 3), ("+5", 5)],
)  # fmt: skip
def test_counts_accept_whole_numbers_thai_digits_and_blank(raw, expected):
    assert parse_count(raw) == expected


@pytest.mark.parametrize("raw", [-1, "-3", "2.5", 2.5, "abc", "12a", True, False, "1,23", "100000"])
def test_counts_refuse_negatives_fractions_text_booleans_and_absurd_sizes(raw):
    with pytest.raises(CountError):
        parse_count(raw)


# --- the grid save -----------------------------------------------------------------------------------------------


def test_grid_save_writes_every_school_and_skips_zero_levels(tree, rnd, lao_user):
    other3 = org(Kind.OTHER_SCHOOL, tree.lao1, code="9050100003")
    saved = other_school_headcounts_save(
        lao=tree.lao1, round_=rnd, acting_user=lao_user,
        entries={
            "9050100001": {"closed": False, "counts": [{"class_level": "p1", "male": "๑๐", "female": 12},
                                                       {"class_level": "p2", "male": 0, "female": ""}]},
            other3.code: {"closed": True, "counts": []},
        },
    )  # fmt: skip
    assert saved == 2
    assert counts_of(tree.other1, rnd) == (False, {"p1": (10, 12)})
    assert counts_of(other3, rnd) == (True, {})
    entry = OtherSchoolEntry.objects.get(school=tree.other1, round=rnd)
    assert entry.lao == tree.lao1 and entry.entered_by == lao_user
    log = AuditLog.objects.get(action="other_headcounts_save")
    assert log.organisation == tree.lao1 and log.detail["schools"]["9050100001"] == {
        "closed": False, "male": 10, "female": 12}  # fmt: skip


def test_grid_save_replaces_the_previous_entry(tree, rnd, lao_user):
    entries = {"9050100001": {"closed": False, "counts": [{"class_level": "p1", "male": 5, "female": 5}]}}
    other_school_headcounts_save(lao=tree.lao1, round_=rnd, entries=entries, acting_user=lao_user)
    entries = {"9050100001": {"closed": False, "counts": [{"class_level": "m1", "male": 1, "female": 2}]}}
    other_school_headcounts_save(lao=tree.lao1, round_=rnd, entries=entries, acting_user=lao_user)
    assert counts_of(tree.other1, rnd) == (False, {"m1": (1, 2)})
    assert OtherSchoolEntry.objects.count() == 1


@pytest.mark.parametrize(
    "cell, key",
    [
        ({"class_level": "p1", "male": -1, "female": 0}, "9050100001.p1.male"),
        ({"class_level": "p1", "male": 0, "female": "2.5"}, "9050100001.p1.female"),
        ({"class_level": "p1", "male": "ten", "female": 0}, "9050100001.p1.male"),
        ({"class_level": "cdc3", "male": 1, "female": 0}, "9050100001.counts.1.class_level"),
        ({"class_level": "zz", "male": 1, "female": 0}, "9050100001.counts.1.class_level"),
        ({"class_level": "k1", "male": 1, "female": 0}, "9050100001.counts.1.class_level"),  # k1 twice
    ],
)
def test_one_bad_cell_refuses_the_whole_grid_and_names_the_cell(tree, rnd, lao_user, cell, key):
    other3 = org(Kind.OTHER_SCHOOL, tree.lao1, code="9050100003")
    entries = {
        other3.code: {"closed": False, "counts": [{"class_level": "p1", "male": 3, "female": 4}]},
        "9050100001": {"closed": False, "counts": [{"class_level": "k1", "male": 1, "female": 1}, cell]},
    }
    with pytest.raises(Invalid) as exc:
        other_school_headcounts_save(lao=tree.lao1, round_=rnd, entries=entries, acting_user=lao_user)
    assert list(exc.value.errors) == [key]
    assert not OtherSchoolEntry.objects.exists() and not OtherSchoolCount.objects.exists()
    assert not AuditLog.objects.filter(action="other_headcounts_save").exists()


def test_every_bad_cell_gets_its_own_message(tree, rnd, lao_user):
    entries = {"9050100001": {"closed": False, "counts": [
        {"class_level": "p1", "male": -1, "female": "x"}, {"class_level": "p2", "male": "1.5", "female": 1}]}}  # fmt: skip
    with pytest.raises(Invalid) as exc:
        other_school_headcounts_save(lao=tree.lao1, round_=rnd, entries=entries, acting_user=lao_user)
    assert set(exc.value.errors) == {"9050100001.p1.male", "9050100001.p1.female", "9050100001.p2.male"}
    assert "0" in exc.value.errors["9050100001.p1.male"][0]  # "ต้องไม่ต่ำกว่า 0"


def test_a_closed_school_must_have_every_count_zero(tree, rnd, lao_user):
    entries = {"9050100001": {"closed": True, "counts": [{"class_level": "p1", "male": 1, "female": 0}]}}
    with pytest.raises(Invalid) as exc:
        other_school_headcounts_save(lao=tree.lao1, round_=rnd, entries=entries, acting_user=lao_user)
    assert list(exc.value.errors) == ["9050100001.closed"]
    assert not OtherSchoolEntry.objects.exists()
    entries = {"9050100001": {"closed": True, "counts": [{"class_level": "p1", "male": "0", "female": ""}]}}
    other_school_headcounts_save(lao=tree.lao1, round_=rnd, entries=entries, acting_user=lao_user)
    assert counts_of(tree.other1, rnd) == (True, {})


def test_a_school_of_another_lao_cannot_be_slipped_into_the_grid(tree, rnd, lao_user):
    entries = {"9050300001": {"closed": False, "counts": [{"class_level": "p1", "male": 1, "female": 1}]}}
    with pytest.raises(Invalid) as exc:
        other_school_headcounts_save(lao=tree.lao1, round_=rnd, entries=entries, acting_user=lao_user)
    assert list(exc.value.errors) == ["9050300001.closed"]
    assert not OtherSchoolEntry.objects.exists()


def test_the_edit_lock_refuses_and_writes_nothing(tree, rnd, lao_user):
    Organisation.objects.filter(pk=tree.lao1.pk).update(other_schools_locked=True)
    entries = {"9050100001": {"closed": False, "counts": [{"class_level": "p1", "male": 1, "female": 1}]}}
    with pytest.raises(DomainError) as exc:
        other_school_headcounts_save(lao=tree.lao1, round_=rnd, entries=entries, acting_user=lao_user)
    assert exc.value.code == "confirmed_locked"
    with pytest.raises(DomainError) as exc:
        other_school_headcount_save(
            school=tree.other1, round_=rnd, closed=False, counts=[], acting_user=lao_user
        )
    assert exc.value.code == "confirmed_locked"
    assert not OtherSchoolEntry.objects.exists()


def test_the_lock_is_read_from_the_database_not_the_object_in_hand(tree, rnd, lao_user):
    stale = Organisation.objects.get(pk=tree.lao1.pk)
    Organisation.objects.filter(pk=tree.lao1.pk).update(other_schools_locked=True)
    with pytest.raises(DomainError):
        other_school_headcounts_save(lao=stale, round_=rnd, entries={"9050100001": {"closed": True}},
                                     acting_user=lao_user)  # fmt: skip
    assert not OtherSchoolEntry.objects.exists()


@pytest.mark.parametrize("state", ["planned", "closed"])
def test_only_an_open_round_takes_entries(tree, lao_user, state):
    rnd = make_round(state=state)
    with pytest.raises(DomainError) as exc:
        other_school_headcounts_save(lao=tree.lao1, round_=rnd, entries={"9050100001": {"closed": True}},
                                     acting_user=lao_user)  # fmt: skip
    assert exc.value.code == "round_not_open"
    assert not OtherSchoolEntry.objects.exists()


def test_only_the_laos_officers_may_save(tree, rnd):
    entries = {"9050100001": {"closed": True}}
    with pytest.raises(Forbidden):
        other_school_headcounts_save(lao=tree.lao1, round_=rnd, entries=entries, acting_user=tree.users["p1"])
    with pytest.raises(DomainError):  # another LAO's officer does not even see it
        other_school_headcounts_save(
            lao=tree.lao1, round_=rnd, entries=entries, acting_user=tree.users["lao2"]
        )
    assert not OtherSchoolEntry.objects.exists()


def test_single_school_save_keys_problems_by_api_path(tree, rnd, lao_user):
    with pytest.raises(Invalid) as exc:
        other_school_headcount_save(
            school=tree.other1, round_=rnd, closed=True, acting_user=lao_user,
            counts=[{"class_level": "p1", "male": 1, "female": 0}, {"class_level": "cdc2", "male": 0, "female": 0}],
        )  # fmt: skip
    assert set(exc.value.errors) == {"counts.1.class_level", "closed"}


# --- add, close, reopen ------------------------------------------------------------------------------------------


def test_lao_adds_a_school_that_opened(tree, lao_user):
    school = other_school_add(lao=tree.lao1, code=" ๙๐๕๐๑๐๐๐๐๙ ", name_th="โรงเรียนเอกชนใหม่",
                              affiliation="private", acting_user=lao_user)  # fmt: skip
    school.refresh_from_db()
    assert (school.code, school.kind, school.parent, school.path) == (
        "9050100009", "other_school", tree.lao1, "DLA/50/5010101/9050100009")  # fmt: skip
    assert school.lao_id == tree.lao1.pk and school.province_id == tree.p1.pk and school.is_active
    assert AuditLog.objects.filter(action="other_school_add", object_ref="9050100009").exists()


def test_adding_refuses_a_used_code_a_missing_name_and_an_unknown_affiliation(tree, lao_user):
    with pytest.raises(Invalid) as exc:
        other_school_add(
            lao=tree.lao1, code="1050100001", name_th=" ", affiliation="church", acting_user=lao_user
        )
    assert set(exc.value.errors) == {"code", "name_th", "affiliation"}


def test_adding_needs_the_laos_permission_and_no_lock(tree, rnd):
    with pytest.raises(Forbidden):
        other_school_add(
            lao=tree.lao1, code="X1", name_th="ก", affiliation="obec", acting_user=tree.users["p1"]
        )
    Organisation.objects.filter(pk=tree.lao1.pk).update(other_schools_locked=True)
    with pytest.raises(DomainError) as exc:
        other_school_add(lao=tree.lao1, code="X1", name_th="ก", affiliation="obec",
                         acting_user=tree.users["lao1"])  # fmt: skip
    assert exc.value.code == "confirmed_locked"
    assert not Organisation.objects.filter(code="X1").exists()


def test_closing_a_school_keeps_it_and_marks_its_open_round_entry_closed(tree, rnd, lao_user):
    other_school_headcounts_save(lao=tree.lao1, round_=rnd, acting_user=lao_user, entries={
        "9050100001": {"closed": False, "counts": [{"class_level": "p1", "male": 5, "female": 5}]}})  # fmt: skip
    other_school_close(school=tree.other1, closed_on=dt.date(2026, 5, 31), acting_user=lao_user)
    school = Organisation.objects.get(pk=tree.other1.pk)
    assert not school.is_active and school.closed_on == dt.date(2026, 5, 31)
    assert counts_of(school, rnd) == (True, {})
    assert list(selectors.other_schools_missing(lao=tree.lao1, round_=rnd)) == []
    with pytest.raises(DomainError) as exc:
        other_school_close(school=school, acting_user=lao_user)
    assert exc.value.code == "not_active"
    other_school_reopen(school=school, acting_user=lao_user)
    school.refresh_from_db()
    assert school.is_active and school.closed_on is None


def test_closing_refuses_a_future_date(tree, lao_user):
    with pytest.raises(Invalid) as exc:
        other_school_close(school=tree.other1, closed_on=timezone.localdate() + dt.timedelta(days=1),
                           acting_user=lao_user)  # fmt: skip
    assert list(exc.value.errors) == ["closed_on"]
    assert Organisation.objects.get(pk=tree.other1.pk).is_active


# --- selectors ---------------------------------------------------------------------------------------------------


def test_copy_from_previous_round_prefills_without_saving(tree, lao_user):
    old = make_round(2568, 2, state="open")
    other_school_headcounts_save(lao=tree.lao1, round_=old, acting_user=lao_user, entries={
        "9050100001": {"closed": False, "counts": [{"class_level": "p3", "male": 7, "female": 8}]}})  # fmt: skip
    make_round(2568, 1, state="closed")
    Round.objects.filter(pk=old.pk).update(state="closed")
    new = make_round(2569, 1)
    previous, values = selectors.previous_entries(lao=tree.lao1, round_=new)
    assert previous == old
    assert values == {tree.other1.pk: (False, {"p3": (7, 8)})}
    assert not OtherSchoolEntry.objects.filter(round=new).exists()
    assert selectors.previous_entries(lao=tree.lao2, round_=new) == (None, {})


def test_grid_and_summaries(tree, rnd, lao_user, django_assert_max_num_queries):
    for i in range(45):
        org(Kind.OTHER_SCHOOL, tree.lao1, code=f"905019{i:04d}", affiliation="private" if i % 2 else "obec")
    entries = {f"905019{i:04d}": {"closed": False, "counts": [{"class_level": "p1", "male": 1, "female": 2},
                                                            {"class_level": "m1", "male": 3, "female": 0}]}
               for i in range(40)}  # fmt: skip
    other_school_headcounts_save(lao=tree.lao1, round_=rnd, entries=entries, acting_user=lao_user)
    with django_assert_max_num_queries(3):
        grid = selectors.other_headcount_grid(lao=tree.lao1, round_=rnd)
        assert (len(grid.rows), grid.entered, grid.missing) == (46, 40, 6)
        assert grid.level_totals()["p1"] == (40, 80) and (grid.male, grid.female) == (160, 80)
    with django_assert_max_num_queries(2):
        progress = selectors.other_entry_progress(round_=rnd, path=tree.p1.path)
    assert (progress[tree.lao1.pk].schools, progress[tree.lao1.pk].entered) == (46, 40)
    assert progress[tree.lao2.pk].missing == 1 and tree.lao3.pk not in progress
    assert selectors.other_counts_by_level(round_=rnd, path=tree.dept.path) == {
        "p1": (40, 80),
        "m1": (120, 0),
    }
    by_aff = selectors.other_counts_by_affiliation(round_=rnd, path=tree.lao1.path)
    assert by_aff == {"obec": (80, 40), "private": (80, 40)}
    assert selectors.other_counts_by_level(round_=rnd, path=tree.lao2.path) == {}
    assert selectors.other_schools_missing(lao=tree.lao1, round_=rnd).count() == 6


# --- written for mutation testing (docs/testing.md "Mutation testing") ------------------------------------------
# The exact message of each refused count and cell (each says what to do), the edges of the limits, the
# single-school save's keys, the versions check, and what a save writes besides the counts.


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (True, "Enter a whole number of 0 or more."),
        (2.5, "Enter a whole number, without decimals."),
        ("2.5", "Enter a whole number, without decimals."),
        (".5", "Enter a whole number, without decimals."),
        ("-3", "A count cannot be below 0."),
        ("- 3", "A count cannot be below 0."),
        ("-2.5", "A count cannot be below 0."),
        (-1, "A count cannot be below 0."),
        ("abc", "Enter a number of learners using digits, for example 25."),
        ("1,23", "Enter a number of learners using digits, for example 25."),
        ("100000", "Check this number: a count above 99,999 learners in one class level is not possible."),
        (100_000, "Check this number: a count above 99,999 learners in one class level is not possible."),
        ("1,000,000", "Check this number: a count above 99,999 learners in one class level is not possible."),
    ],
)
def test_each_refused_count_says_why(raw, message):
    with translation.override("en"), pytest.raises(CountError) as exc:
        parse_count(raw)
    assert str(exc.value) == message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(99_999, 99_999), ("99999", 99_999), ("99,999", 99_999), ("012345", 12_345), ("1 234", 1234), ("  ", 0),
     ("+0", 0), (5.0, 5), ("\u00a012\u200b", 12), (0.0, 0)],
)  # fmt: skip
def test_counts_at_the_limits_are_accepted(raw, expected):
    assert parse_count(raw) == expected


def _grid_errors(tree, rnd, lao_user, entries, versions=None):
    """The refusal's {key: messages}, in English; the save is all or nothing, so nothing changed."""

    def saved():
        return list(OtherSchoolEntry.objects.values_list("pk", "updated_at")), list(
            OtherSchoolCount.objects.values_list("pk", "male", "female")
        )

    before = saved()
    with translation.override("en"), pytest.raises(Invalid) as exc:
        other_school_headcounts_save(
            lao=tree.lao1, round_=rnd, entries=entries, acting_user=lao_user, versions=versions
        )
    assert saved() == before
    return exc.value.errors


def test_each_refused_cell_says_what_to_do(tree, rnd, lao_user):
    cells = [
        {"class_level": "zz", "male": 1, "female": 0},
        {"class_level": "cdc3", "male": 1, "female": 0},
        {"class_level": "p1", "male": 1, "female": 0},
        {"class_level": "ป.1", "male": 1, "female": 0},
        {"class_level": None, "male": 0, "female": 0},
    ]
    errors = _grid_errors(tree, rnd, lao_user, {"9050100001": {"closed": False, "counts": cells}})
    assert errors == {
        "9050100001.counts.0.class_level": ["Choose a school class level, for example ป.1 or ม.1."],
        "9050100001.counts.1.class_level": [
            "เด็กเล็ก 3 ขวบ is a child development centre age group; use school class levels only."
        ],
        "9050100001.counts.3.class_level": ["ป.1 is listed twice; give each class level once."],
        "9050100001.counts.4.class_level": ["Choose a school class level, for example ป.1 or ม.1."],
    }
    errors = _grid_errors(
        tree, rnd, lao_user, {"9050100001": {"closed": "yes", "counts": []}, "9050300001": {"closed": True}}
    )
    assert errors == {
        "9050100001.closed": ["Say whether the school is closed."],
        "9050300001.closed": ["9050300001 is not an other-affiliation school of this LAO."],
    }
    errors = _grid_errors(
        tree, rnd, lao_user,
        {"9050100001": {"closed": True, "counts": [{"class_level": "m1", "male": 0, "female": 2}]}},
    )  # fmt: skip
    assert errors == {
        "9050100001.closed": ["A closed school has no learners: set every count to 0, or untick “closed”."]
    }


def test_a_count_for_a_level_not_taught_names_the_school_the_level_and_what_it_teaches(tree, rnd, lao_user):
    tree.other1.levels_taught = ["p1", "p2", "p3", "p4", "p5", "p6", "m1", "m3"]
    tree.other1.save()
    counts = [
        {"class_level": "k1", "male": 0, "female": 0},  # a zero for a level not taught passes
        {"class_level": "m2", "male": 0, "female": 4},
        {"class_level": "p1", "male": 1, "female": 1},
    ]
    errors = _grid_errors(tree, rnd, lao_user, {"9050100001": {"closed": False, "counts": counts}})
    assert errors == {
        "9050100001.m2.female": [
            "โรงเรียนบ้านหนองหอย (สพฐ.) does not teach ม.2 (it teaches ป.1–ม.1, ม.3), so it cannot have "
            "learners in ม.2. Remove this number, or add ม.2 to the school's class levels first."
        ]
    }
    counts[1] = {"class_level": "ม.2", "male": 3, "female": 0}
    with translation.override("en"), pytest.raises(Invalid) as exc:
        other_school_headcount_save(
            school=tree.other1, round_=rnd, closed=False, counts=counts, acting_user=lao_user
        )
    assert list(exc.value.errors) == ["counts.1.male"]
    tree.other1.levels_taught = []
    tree.other1.save()
    errors = _grid_errors(tree, rnd, lao_user, {"9050100001": {"closed": False, "counts": counts[2:]}})
    assert "(it teaches —)" in errors["9050100001.p1.male"][0]


def test_levels_label_runs_and_singles():
    assert levels_label(["m1", "p2", "p1", "p3"]) == "ป.1–ป.3, ม.1"
    assert levels_label(["p1", "p3", "p5"]) == "ป.1, ป.3, ป.5"
    assert levels_label(["k3", "p1"]) == "อ.3–ป.1"
    assert levels_label([]) == ""


def test_single_school_save_messages_and_keys(tree, rnd, lao_user):
    with translation.override("en"), pytest.raises(Invalid) as exc:
        other_school_headcount_save(
            school=tree.other1, round_=rnd, closed=False, acting_user=lao_user,
            counts=[{"class_level": "p1", "male": "x", "female": -1}],
        )  # fmt: skip
    assert exc.value.errors == {
        "counts.0.male": ["Enter a number of learners using digits, for example 25."],
        "counts.0.female": ["A count cannot be below 0."],
    }
    with pytest.raises(DomainError) as exc:
        other_school_headcount_save(
            school=tree.school1, round_=rnd, closed=False, counts=[], acting_user=lao_user
        )
    assert exc.value.code == "invalid_transition"
    entry = other_school_headcount_save(
        school=tree.other1, round_=rnd, closed=False, acting_user=lao_user,
        counts=[{"class_level": "p1", "male": 2, "female": "3"}],
    )  # fmt: skip
    assert counts_of(tree.other1, rnd) == (False, {"p1": (2, 3)}) and entry.lao == tree.lao1
    log = AuditLog.objects.get(action="other_headcounts_save")
    assert log.object_ref == f"round:{rnd.pk}" and log.detail["schools"] == {
        "9050100001": {"closed": False, "male": 2, "female": 3}
    }


def test_a_resave_rewrites_the_entry_and_who_saved_it(tree, rnd, lao_user, monkeypatch):
    from lec.lib import generations

    bumped = []
    monkeypatch.setattr(generations, "bump", lambda kind, provinces: bumped.append((kind, list(provinces))))
    other3 = org(Kind.OTHER_SCHOOL, tree.lao1, code="9050100003")
    first = {
        "9050100001": {"closed": False, "counts": [{"class_level": "p1", "male": 5, "female": 5}]},
        other3.code: {"closed": True, "counts": []},
    }
    other_school_headcounts_save(lao=tree.lao1, round_=rnd, entries=first, acting_user=None)
    before = {e.school_id: e.updated_at for e in OtherSchoolEntry.objects.all()}
    assert OtherSchoolEntry.objects.filter(entered_by=None).count() == 2
    second = {
        "9050100001": {"closed": True, "counts": []},
        other3.code: {"closed": False, "counts": [{"class_level": "m1", "male": 1, "female": 0}]},
    }
    other_school_headcounts_save(lao=tree.lao1, round_=rnd, entries=second, acting_user=lao_user)
    assert counts_of(tree.other1, rnd) == (True, {}) and counts_of(other3, rnd) == (False, {"m1": (1, 0)})
    for entry in OtherSchoolEntry.objects.all():
        assert entry.entered_by == lao_user and entry.lao == tree.lao1
        assert entry.updated_at > before[entry.school_id]
    assert OtherSchoolCount.objects.count() == 1
    assert bumped == [("other", [tree.p1.pk]), ("other", [tree.p1.pk])]


def test_a_save_refuses_a_school_someone_else_saved_after_the_page_opened(tree, rnd, lao_user):
    from tests.factories import UserFactory

    assert entry_version(None) == ""
    other3 = org(Kind.OTHER_SCHOOL, tree.lao1, code="9050100003")
    colleague = UserFactory(username="somchai", organisation=tree.lao1)
    opened = {"9050100001": "", other3.code: ""}  # the page showed neither entered
    entries = {
        "9050100001": {"closed": False, "counts": [{"class_level": "p1", "male": 5, "female": 6}]},
        other3.code: {"closed": False, "counts": [{"class_level": "p1", "male": 1, "female": 1}]},
    }
    other_school_headcounts_save(
        lao=tree.lao1, round_=rnd, entries={"9050100001": entries["9050100001"]}, acting_user=colleague
    )
    theirs = OtherSchoolEntry.objects.get(school=tree.other1)
    with translation.override("en"):
        errors = _grid_errors(tree, rnd, lao_user, entries, versions=opened)
        when = format_datetime(theirs.updated_at)
    assert errors == {
        "9050100001.closed": [
            f"somchai saved this school's numbers (11 learners) at {when}, after you opened this page. "
            "Check your numbers for this school, then save again to replace theirs."
        ]
    }
    # with the version the page showed, the save goes through
    versions = {"9050100001": entry_version(theirs), other3.code: ""}
    assert (
        other_school_headcounts_save(
            lao=tree.lao1, round_=rnd, entries=entries, acting_user=lao_user, versions=versions
        )
        == 2
    )
    # a saver that is gone is "someone else"; a school the page did not show is not checked
    OtherSchoolEntry.objects.filter(school=tree.other1).update(entered_by=None)
    with translation.override("en"):
        errors = _grid_errors(tree, rnd, lao_user, entries, versions={"9050100001": "stale"})
    assert list(errors) == ["9050100001.closed"] and errors["9050100001.closed"][0].startswith(
        "someone else saved this school's numbers (11 learners)"
    )


def test_a_new_rounds_save_leaves_the_previous_rounds_entry_and_its_versions_alone(tree, rnd, lao_user):
    """Entries, versions and the refusal's figures are per round: the school's entry of an earlier round is
    neither rewritten, nor taken for this round's when checking what the page showed."""
    from tests.factories import UserFactory

    old = make_round(year=2568, term=2, state="closed")
    OtherSchoolEntry.objects.create(round=old, school=tree.other1, lao=tree.lao1, closed=False)
    OtherSchoolCount.objects.create(
        entry=OtherSchoolEntry.objects.get(round=old), class_level="m3", male=50, female=50
    )
    entries = {"9050100001": {"closed": False, "counts": [{"class_level": "p1", "male": 1, "female": 2}]}}
    other_school_headcounts_save(
        lao=tree.lao1, round_=rnd, entries=entries, acting_user=lao_user, versions={"9050100001": ""}
    )
    assert counts_of(tree.other1, old) == (False, {"m3": (50, 50)})
    assert counts_of(tree.other1, rnd) == (False, {"p1": (1, 2)})
    # a colleague saves this round after the page opened: the refusal gives this round's saver and total
    opened = {"9050100001": entry_version(OtherSchoolEntry.objects.get(round=rnd))}
    colleague = UserFactory(username="somsri", organisation=tree.lao1)
    entries2 = {"9050100001": {"closed": False, "counts": [{"class_level": "p1", "male": 3, "female": 3}]}}
    other_school_headcounts_save(lao=tree.lao1, round_=rnd, entries=entries2, acting_user=colleague)
    older = make_round(
        year=2567, term=1, state="closed"
    )  # an entry of another round, written after this one's
    OtherSchoolEntry.objects.create(
        round=older, school=tree.other1, lao=tree.lao1, closed=True, entered_by=lao_user
    )
    errors = _grid_errors(tree, rnd, lao_user, entries, versions=opened)
    assert errors["9050100001.closed"][0].startswith("somsri saved this school's numbers (6 learners)")


def test_a_version_for_an_entry_that_is_gone_is_refused_as_someone_elses(tree, rnd, lao_user):
    entries = {"9050100001": {"closed": True, "counts": []}}
    errors = _grid_errors(tree, rnd, lao_user, entries, versions={"9050100001": "2026-06-01T00:00:00+00:00"})
    assert errors == {
        "9050100001.closed": [
            "someone else saved this school's numbers (0 learners) at , after you opened this page. Check your "
            "numbers for this school, then save again to replace theirs."
        ]
    }


def test_a_resave_records_the_saving_lao_and_hands_back_the_entry_as_saved(tree, rnd, lao_user):
    entry = other_school_headcount_save(
        school=tree.other1, round_=rnd, closed=True, counts=[], acting_user=lao_user
    )
    OtherSchoolEntry.objects.filter(pk=entry.pk).update(lao=tree.lao2)  # as if recorded under another LAO
    entry = other_school_headcount_save(
        school=tree.other1, round_=rnd, closed=False, acting_user=lao_user,
        counts=[{"class_level": "p1", "male": 1, "female": 0}],
    )  # fmt: skip
    assert entry.closed is False
    assert OtherSchoolEntry.objects.get(pk=entry.pk).lao == tree.lao1


def test_the_audit_row_names_the_saver_and_the_lao_saved_for(tree, rnd):
    """An officer with a grant on a second LAO saves its grid: the row is about that LAO, not the officer's own."""
    from django.contrib.auth.models import Permission

    from accounts import policy
    from accounts.models import OrganisationUserObjectPermission

    user = tree.users["lao1"]
    for codename in ("view_subtree", "edit_other_schools"):
        perm = Permission.objects.get(codename=codename, content_type__app_label="schools")
        OrganisationUserObjectPermission.objects.create(user=user, permission=perm, content_object=tree.lao2)
    policy.forget(user)
    entries = {"9050300001": {"closed": True, "counts": []}}
    other_school_headcounts_save(lao=tree.lao2, round_=rnd, entries=entries, acting_user=user)
    log = AuditLog.objects.get(action="other_headcounts_save")
    assert (log.user, log.organisation) == (user, tree.lao2)


def test_cells_may_be_objects_with_attributes_and_a_missing_count_is_zero(tree, rnd, lao_user):
    from types import SimpleNamespace

    entry = other_school_headcount_save(
        school=tree.other1, round_=rnd, closed=False, acting_user=lao_user,
        counts=[SimpleNamespace(class_level="p1", male=3), SimpleNamespace(class_level="m1", male=0, female=2)],
    )  # fmt: skip
    assert counts_of(tree.other1, rnd) == (False, {"p1": (3, 0), "m1": (0, 2)}) and entry.closed is False


def test_a_closed_school_with_a_refused_cell_gets_only_that_cells_message(tree, rnd, lao_user):
    """A refused count, level or closed flag is not counted as learners, so "closed" is not blamed as well."""
    cases = [
        ([{"class_level": "p1", "male": "x", "female": 0}], "9050100001.p1.male"),
        ([{"class_level": "cdc3", "male": 1, "female": 0}], "9050100001.counts.0.class_level"),
        (
            [{"class_level": "p1", "male": 0, "female": 0}, {"class_level": "p1", "male": 1, "female": 0}],
            "9050100001.counts.1.class_level",
        ),
    ]
    for counts, key in cases:
        errors = _grid_errors(tree, rnd, lao_user, {"9050100001": {"closed": True, "counts": counts}})
        assert list(errors) == [key] and len(errors[key]) == 1, counts
    errors = _grid_errors(
        tree, rnd, lao_user,
        {"9050100001": {"closed": "yes", "counts": [{"class_level": "p1", "male": 1, "female": 0}]}},
    )  # fmt: skip
    assert errors == {"9050100001.closed": ["Say whether the school is closed."]}


def test_a_round_that_is_gone_is_not_open(tree, lao_user):
    gone = Round(pk=987654)
    with translation.override("en"), pytest.raises(DomainError) as exc:
        other_school_headcounts_save(lao=tree.lao1, round_=gone, entries={"9050100001": {"closed": True}},
                                     acting_user=lao_user)  # fmt: skip
    assert exc.value.code == "round_not_open"
    assert (
        str(exc.value.message)
        == "The round is not open: headcounts can only be entered while a round is open."
    )


def test_the_lao_row_is_locked_for_no_key_update(tree, rnd, lao_user, monkeypatch):
    """Design.md rule 10: shared with other writers of the LAO's data, exclusive against a confirm."""
    from django.db.models import QuerySet

    asked = []
    real = QuerySet.select_for_update

    def spy(self, *args, **kwargs):
        asked.append((self.model, args, kwargs))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", spy)
    other_school_headcounts_save(lao=tree.lao1, round_=rnd, entries={"9050100001": {"closed": True}},
                                 acting_user=lao_user)  # fmt: skip
    assert (Organisation, (), {"no_key": True}) in asked
    assert all(kwargs == {"no_key": True} for model, _args, kwargs in asked if model is Organisation)
