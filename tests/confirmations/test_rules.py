"""One test per rule of design.md "Rounds and confirmation", allowed and refused."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from confirmations import rounds, selectors, services
from confirmations.models import (
    Confirmation,
    ConfirmationEvent,
    HeadcountSnapshot,
    Notification,
    UnlockRequest,
)
from lec.lib.errors import DomainError, Forbidden, Invalid
from schools.models import Organisation

from .conftest import confirm, confirm_lao1, counts, enter, make_round


def refused(code, fn, *args, **kwargs):
    with pytest.raises(DomainError) as exc:
        fn(*args, **kwargs)
    assert exc.value.code == code, (exc.value.code, exc.value.message)
    return exc.value


def unlock(tree, rnd, who, name, scope="learners", reason="แก้ไขข้อมูลนักเรียนย้ายเข้า"):
    return services.confirmation_unlock(
        acting_user=tree.users[who],
        round_id=rnd.pk,
        organisation=getattr(tree, name),
        scope=scope,
        reason=reason,
    )


def reload(org):
    return Organisation.objects.get(pk=org.pk)


# rule 1 -------------------------------------------------------------------------------------------


def test_institution_confirms_and_its_counts_are_snapshotted_and_locked(tree, rnd):
    counts(tree.school1, p1=(3, 2), k1=(1, 0))
    conf = confirm(tree, rnd, "school1")
    assert conf.state == "confirmed" and conf.confirmed_by == tree.users["school1"]
    snap = {(s.class_level, s.gender): s.count for s in HeadcountSnapshot.objects.filter(confirmation=conf)}
    assert snap == {("p1", "male"): 3, ("p1", "female"): 2, ("k1", "male"): 1}
    assert reload(tree.school1).learners_locked
    event = ConfirmationEvent.objects.get()
    assert (event.action, event.actor_username, event.organisation_id) == (
        "confirm",
        "u_school1",
        tree.school1.pk,
    )
    assert Notification.objects.filter(
        organisation=tree.lao1, kind="confirmed", subject=tree.school1
    ).exists()


def test_institution_cannot_confirm_when_the_round_is_not_open(tree, rnd):
    rnd.state = "closed"
    rnd.save()
    refused("round_not_open", confirm, tree, rnd, "school1")
    assert not Confirmation.objects.exists()


def test_confirming_twice_is_refused_with_one_event(tree, rnd):
    confirm(tree, rnd, "school1")
    refused("already_confirmed", confirm, tree, rnd, "school1")
    assert ConfirmationEvent.objects.count() == 1


def test_only_the_organisations_own_staff_confirm(tree, rnd):
    with pytest.raises(Forbidden):
        services.confirmation_confirm(
            acting_user=tree.users["lao1"], round_id=rnd.pk, organisation=tree.school1, scope="learners"
        )


def test_a_scope_that_does_not_apply_is_invalid(tree, rnd):
    with pytest.raises(Invalid) as exc:
        confirm(tree, rnd, "school1", scope="other_schools")
    assert "scope" in exc.value.errors


# rule 2 -------------------------------------------------------------------------------------------


def test_lao_cannot_confirm_while_an_institution_is_open(tree, rnd):
    confirm(tree, rnd, "school1")
    exc = refused("children_not_confirmed", confirm, tree, rnd, "lao1")
    assert exc.extra["blockers"] == [tree.school2.code, tree.cdc1.code]
    assert not reload(tree.lao1).learners_locked


def test_lao_confirms_once_every_active_institution_has(tree, rnd):
    Organisation.objects.filter(pk=tree.cdc1.pk).update(is_active=False)  # a closed CDC does not block
    confirm(tree, rnd, "school1")
    confirm(tree, rnd, "school2")
    assert confirm(tree, rnd, "lao1").state == "confirmed"


# rule 3 -------------------------------------------------------------------------------------------


def test_lao_cannot_confirm_other_schools_with_an_entry_missing(tree, rnd):
    exc = refused("headcounts_missing", confirm, tree, rnd, "lao1", "other_schools")
    assert exc.extra["blockers"] == [tree.other1.code]


def test_lao_confirms_other_schools_with_a_snapshot_and_the_lock(tree, rnd):
    enter(rnd, tree.other1, p1=(10, 12))
    conf = confirm(tree, rnd, "lao1", "other_schools")
    assert {(s.school_id, s.gender): s.count for s in conf.snapshot.all()} == {
        (tree.other1.pk, "male"): 10,
        (tree.other1.pk, "female"): 12,
    }
    lao = reload(tree.lao1)
    assert lao.other_schools_locked and not lao.learners_locked


# rule 4 -------------------------------------------------------------------------------------------


def test_province_needs_every_scope_of_every_participating_lao(tree, rnd):
    confirm_lao1(tree, rnd)
    exc = refused("children_not_confirmed", confirm, tree, rnd, "p1")
    assert exc.extra["blockers"] == [tree.lao1.code, tree.lao2.code]  # lao1 other_schools, lao2 both
    enter(rnd, tree.other1)
    confirm(tree, rnd, "lao1", "other_schools")
    confirm(tree, rnd, "school3")
    confirm(tree, rnd, "lao2")
    exc = refused("children_not_confirmed", confirm, tree, rnd, "p1")
    assert exc.extra["blockers"] == [tree.lao2.code]
    enter(rnd, tree.other2)
    confirm(tree, rnd, "lao2", "other_schools")
    assert confirm(tree, rnd, "p1").state == "confirmed"


def test_an_lao_with_no_active_children_does_not_take_part(tree, rnd):
    empty = Organisation.objects.create(
        kind="lao", code="5019999", name_th="อบต.ว่าง", parent=tree.p1, path="DLA/50/5019999", depth=2
    )
    assert selectors.scopes_of(empty) == ()
    assert tree.lao2.code in selectors.blockers(rnd, tree.p1, "learners")
    assert empty.code not in selectors.blockers(rnd, tree.p1, "learners")


# rule 5 -------------------------------------------------------------------------------------------


def test_lao_unlocks_its_institution_with_a_reason_and_the_snapshot_goes(tree, rnd):
    counts(tree.school1, p1=(3, 2))
    confirm(tree, rnd, "school1")
    conf = unlock(tree, rnd, "lao1", "school1")
    assert conf.state == "open" and not HeadcountSnapshot.objects.exists()
    assert not reload(tree.school1).learners_locked
    assert [e.action for e in ConfirmationEvent.objects.all()] == ["confirm", "unlock"]
    note = Notification.objects.get(kind="unlocked")
    assert note.organisation == tree.school1 and "ย้ายเข้า" in note.reason


def test_unlock_needs_a_reason(tree, rnd):
    confirm(tree, rnd, "school1")
    with pytest.raises(Invalid) as exc:
        unlock(tree, rnd, "lao1", "school1", reason="  ")
    assert "reason" in exc.value.errors


def test_unlock_is_for_the_parent_level_only(tree, rnd):
    confirm(tree, rnd, "school1")
    for who in ("school1", "p1", "lao2"):
        with pytest.raises(DomainError) as exc:
            unlock(tree, rnd, who, "school1")
        assert exc.value.status in (403, 404)


def test_unlock_refused_while_the_parent_is_confirmed(tree, rnd):
    confirm_lao1(tree, rnd)
    exc = refused("parent_confirmed", unlock, tree, rnd, "lao1", "school1")
    assert tree.lao1.name_th in str(exc.message)
    unlock(tree, rnd, "p1", "lao1")
    assert unlock(tree, rnd, "lao1", "school1").state == "open"


def test_unlock_refused_when_not_confirmed_and_after_close(tree, rnd):
    refused("not_confirmed", unlock, tree, rnd, "lao1", "school1")
    confirm(tree, rnd, "school1")
    rounds.round_close(acting_user=tree.users["dept"], round_id=rnd.pk)
    refused("round_not_open", unlock, tree, rnd, "lao1", "school1")


def test_department_unlocks_a_province(tree, rnd):
    for name in ("school4", "cdc2"):
        confirm(tree, rnd, name)
    confirm(tree, rnd, "lao3")
    confirm(tree, rnd, "p2")
    refused("parent_confirmed", unlock, tree, rnd, "p2", "lao3")
    unlock(tree, rnd, "dept", "p2")
    unlock(tree, rnd, "p2", "lao3")
    assert unlock(tree, rnd, "lao3", "school4").state == "open"


# rule 6 -------------------------------------------------------------------------------------------


def request(tree, rnd, name, scope="learners", reason="มีนักเรียนย้ายเข้า 2 คน"):
    return services.unlock_request_create(
        acting_user=tree.users[name],
        round_id=rnd.pk,
        organisation=getattr(tree, name),
        scope=scope,
        reason=reason,
    )


def test_unlock_request_needs_a_confirmation_and_only_one_pending(tree, rnd):
    refused("not_confirmed", request, tree, rnd, "school1")
    confirm(tree, rnd, "school1")
    req = request(tree, rnd, "school1")
    assert req.state == "pending"
    assert Notification.objects.filter(organisation=tree.lao1, kind="unlock_requested").exists()
    refused("already_pending", request, tree, rnd, "school1")


def test_approving_unlocks_and_logs_approve_then_unlock(tree, rnd):
    confirm(tree, rnd, "school1")
    req = request(tree, rnd, "school1")
    req = services.unlock_request_decide(acting_user=tree.users["lao1"], request=req, approve=True)
    assert req.state == "approved" and req.decided_by == tree.users["lao1"]
    assert [e.action for e in ConfirmationEvent.objects.all()] == ["confirm", "request_unlock",
                                                                    "approve_request", "unlock"]  # fmt: skip
    assert not reload(tree.school1).learners_locked
    refused(
        "already_decided",
        services.unlock_request_decide,
        acting_user=tree.users["lao1"],
        request=req,
        approve=True,
    )


def test_a_refused_approval_leaves_the_request_pending(tree, rnd):
    confirm_lao1(tree, rnd)
    req = request(tree, rnd, "school1")
    refused(
        "parent_confirmed",
        services.unlock_request_decide,
        acting_user=tree.users["lao1"],
        request=req,
        approve=True,
    )
    assert UnlockRequest.objects.get(pk=req.pk).state == "pending"


def test_rejecting_needs_a_reason_and_tells_the_child(tree, rnd):
    confirm(tree, rnd, "school1")
    req = request(tree, rnd, "school1")
    with pytest.raises(Invalid):
        services.unlock_request_decide(acting_user=tree.users["lao1"], request=req, approve=False, reason="")
    req = services.unlock_request_decide(
        acting_user=tree.users["lao1"], request=req, approve=False, reason="ข้อมูลถูกต้อง"
    )
    assert req.state == "rejected" and req.decision_reason == "ข้อมูลถูกต้อง"
    assert Notification.objects.filter(organisation=tree.school1, kind="request_rejected").exists()
    assert reload(tree.school1).learners_locked


def test_only_the_parent_decides_a_request(tree, rnd):
    confirm(tree, rnd, "school1")
    req = request(tree, rnd, "school1")
    with pytest.raises(DomainError) as exc:
        services.unlock_request_decide(acting_user=tree.users["school1"], request=req, approve=True)
    assert exc.value.status == 403


# rule 8 -------------------------------------------------------------------------------------------


def test_closing_freezes_confirmations_clears_locks_and_reports_the_missed(tree, rnd):
    counts(tree.school1, p1=(1, 1))
    confirm(tree, rnd, "school1")
    rounds.round_close(acting_user=tree.users["dept"], round_id=rnd.pk)
    assert not reload(tree.school1).learners_locked
    assert HeadcountSnapshot.objects.count() == 2  # the snapshot stays
    refused("round_not_open", confirm, tree, rnd, "school2")
    missed = {(m["code"], m["scope"]) for m in selectors.missed(rnd)}
    assert (tree.school2.code, "learners") in missed and (tree.school1.code, "learners") not in missed
    assert (tree.lao1.code, "other_schools") in missed and (tree.p2.code, "learners") in missed


def test_rounds_planned_open_closed_only(tree):
    import datetime

    dept = tree.users["dept"]
    now = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    r = rounds.round_create(acting_user=dept, academic_year=2570, term=1, census_date=datetime.date(2027, 6, 10),
                              opens_at=now, closes_at=now + datetime.timedelta(days=30))  # fmt: skip
    assert r.state == "planned"
    refused("round_exists", rounds.round_create, acting_user=dept, academic_year=2570, term=1,
            census_date=datetime.date(2027, 6, 10), opens_at=now, closes_at=now + datetime.timedelta(days=1))  # fmt: skip
    refused("invalid_transition", rounds.round_close, acting_user=dept, round_id=r.pk)
    rounds.round_open(acting_user=dept, round_id=r.pk)
    other = make_round(state="planned", year=2571)
    refused("invalid_transition", rounds.round_open, acting_user=dept, round_id=other.pk)
    refused("invalid_transition", rounds.round_open, acting_user=dept, round_id=r.pk)
    rounds.round_close(acting_user=dept, round_id=r.pk)
    refused("invalid_transition", rounds.round_open, acting_user=dept, round_id=r.pk)
    with pytest.raises(Forbidden):
        rounds.round_open(acting_user=tree.users["p1"], round_id=other.pk)


def test_round_closes_after_opens(tree):
    import datetime

    now = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    with pytest.raises(Invalid) as exc:
        rounds.round_create(acting_user=tree.users["dept"], academic_year=2570, term=1,
                              census_date=datetime.date(2027, 6, 10), opens_at=now, closes_at=now)  # fmt: skip
    assert "closes_at" in exc.value.errors


def test_tick_opens_and_closes_on_time(tree):
    import datetime

    from django.utils import timezone

    r = make_round(state="planned")
    assert rounds.rounds_tick() == [(r.pk, "opened")]
    r.refresh_from_db()
    r.closes_at = timezone.now() - datetime.timedelta(minutes=1)
    r.save()
    assert rounds.rounds_tick() == [(r.pk, "closed")]
    assert rounds.rounds_tick() == []


# invariant, rule 9 ---------------------------------------------------------------------------------


def test_bulk_unlock_reports_per_item(tree, rnd):
    confirm_lao1(tree, rnd)
    confirm(tree, rnd, "school3")
    results = services.confirmation_bulk_unlock(
        acting_user=tree.users["p1"], round_id=rnd.pk, parent=tree.p1, codes=[tree.lao1.code, tree.lao2.code, "nope"],
        reason="ตรวจสอบใหม่",
    )  # fmt: skip
    assert [(r.code, r.ok, r.error_code) for r in results] == [
        (tree.lao1.code, True, ""),
        (tree.lao2.code, False, "not_confirmed"),
        ("nope", False, "not_found"),
    ]


# reminders and notifications ------------------------------------------------------------------------


def test_reminders_once_per_organisation_and_emailed(
    tree, rnd, settings, mailoutbox, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    tree.users["school2"].email = "school2@example.invalid"
    tree.users["school2"].save()
    settings.LEC_REMINDER_DAYS = 3
    assert services.round_send_reminders(round_id=rnd.pk) == 0  # 14 days left
    rnd.closes_at = timezone.now() + timezone.timedelta(days=2)
    rnd.save()
    confirm(tree, rnd, "school1")
    with django_capture_on_commit_callbacks(execute=True):
        n = services.round_send_reminders(round_id=rnd.pk)
    reminded = set(Notification.objects.filter(kind="reminder").values_list("organisation__code", flat=True))
    assert tree.school2.code in reminded and tree.school1.code not in reminded and n == len(reminded)
    assert services.round_send_reminders(round_id=rnd.pk) == 0
    assert any("school2@example.invalid" in m.to for m in mailoutbox)


def test_snapshot_differences_reports_a_counter_changed_behind_the_lock(tree, rnd):
    counts(tree.school1, p1=(3, 2))
    confirm(tree, rnd, "school1")
    assert selectors.snapshot_differences() == []
    counts(tree.school1, p1=(4, 2))
    assert selectors.snapshot_differences() == [f"{tree.school1.code} p1 male: confirmed snapshot 3, live 4"]


def test_the_confirm_path_is_a_handful_of_queries(tree, rnd):
    with CaptureQueriesContext(connection) as ctx:
        confirm(tree, rnd, "school1")
    assert len(ctx.captured_queries) < 25


def test_mixed_laos_in_province_confirmation(tree, rnd):
    only_other = org_make("lao", tree.p2, "3019999")
    o = org_make("other_school", only_other, "9030299999")
    assert selectors.scopes_of(only_other) == ("other_schools",)
    assert selectors.scopes_of(tree.lao3) == ("learners",)
    for name in ("school4", "cdc2"):
        confirm(tree, rnd, name)
    confirm(tree, rnd, "lao3")
    exc = refused("children_not_confirmed", confirm, tree, rnd, "p2")
    assert exc.extra["blockers"] == [only_other.code]
    user = tree_user(only_other)
    with pytest.raises(Invalid):
        services.confirmation_confirm(
            acting_user=user, round_id=rnd.pk, organisation=only_other, scope="learners"
        )
    enter(rnd, o, closed=True)  # a closed school's zero entry counts as entered
    services.confirmation_confirm(
        acting_user=user, round_id=rnd.pk, organisation=only_other, scope="other_schools"
    )
    assert confirm(tree, rnd, "p2").state == "confirmed"


def test_a_closed_other_school_does_not_block(tree, rnd):
    Organisation.objects.filter(pk=tree.other1.pk).update(is_active=False)
    assert selectors.blockers(rnd, reload(tree.lao1), "other_schools") == []
    assert selectors.scopes_of(reload(tree.lao1)) == ("learners",)


def org_make(kind, parent, code):
    from tests.factories import org

    return org(kind, parent, code=code)


def tree_user(organisation):
    from tests.factories import UserFactory

    return UserFactory(username=f"u_{organisation.code}", organisation=organisation)


# written for mutation testing (docs/testing.md "Mutation testing") --------------------------------------------
# What each transition records (events, requests, notifications), every refusal's exact message, and the bulk
# unlock's result for each item.


def _en(fn, *args, **kwargs):
    from django.utils import translation

    with translation.override("en"):
        return fn(*args, **kwargs)


def test_bulk_unlock_every_confirmed_scope_of_its_own_children_and_a_result_per_item(tree, rnd):
    from confirmations.models import ConfirmationEvent as Event

    confirm_lao1(tree, rnd)
    enter(rnd, tree.other1, p1=(1, 1))
    confirm(tree, rnd, "lao1", scope="other_schools")
    for name in ("school4", "cdc2", "lao3"):
        confirm(tree, rnd, name)
    results = _en(
        services.confirmation_bulk_unlock,
        acting_user=tree.users["p1"], round_id=rnd.pk, parent=tree.p1, ip="10.1.2.3", reason="ตรวจสอบใหม่",
        codes=["nope", tree.lao3.code, tree.lao1.code, tree.lao2.code],
    )  # fmt: skip
    assert [(r.code, r.name_th, r.scope, r.ok, r.error_code, r.detail) for r in results] == [
        ("nope", "", "", False, "not_found", "Not found."),
        (tree.lao3.code, "", "", False, "not_found", "Not found."),  # another province's LAO
        (tree.lao1.code, tree.lao1.name_th, "learners", True, "", ""),
        (tree.lao1.code, tree.lao1.name_th, "other_schools", True, "", ""),
        (
            tree.lao2.code,
            tree.lao2.name_th,
            "learners",
            False,
            "not_confirmed",
            "This data is not confirmed.",
        ),
    ]
    assert reload(tree.lao3).learners_locked
    unlocks = Event.objects.filter(action="unlock")
    assert sorted((e.organisation_id, e.scope, e.ip, e.reason) for e in unlocks) == [
        (tree.lao1.pk, "learners", "10.1.2.3", "ตรวจสอบใหม่"),
        (tree.lao1.pk, "other_schools", "10.1.2.3", "ตรวจสอบใหม่"),
    ]


@pytest.mark.parametrize("reason", ["", "  ", None])
def test_bulk_unlock_needs_a_reason(tree, rnd, reason):
    confirm_lao1(tree, rnd)
    with pytest.raises(Invalid) as exc:
        _en(services.confirmation_bulk_unlock, acting_user=tree.users["p1"], round_id=rnd.pk, parent=tree.p1,
            codes=[tree.lao1.code], reason=reason)  # fmt: skip
    assert exc.value.errors == {"reason": ["Give a reason."]}
    assert reload(tree.lao1).learners_locked


def test_approving_and_rejecting_record_who_when_why_and_tell_the_right_people(tree, rnd):
    from django.utils import timezone

    confirm(tree, rnd, "school1")
    req = request(tree, rnd, "school1", reason=" มีนักเรียนย้ายเข้า ")
    assert req.reason == "มีนักเรียนย้ายเข้า" and req.requested_by == tree.users["school1"]
    before = timezone.now()
    req = services.unlock_request_decide(
        acting_user=tree.users["lao1"], request=req, approve=True, reason="ok"
    )
    req.refresh_from_db()
    assert req.decided_by == tree.users["lao1"] and req.decided_at >= before and req.decision_reason == ""
    events = list(ConfirmationEvent.objects.values_list("action", "reason", "actor_username"))
    assert events == [
        ("confirm", "", "u_school1"),
        ("request_unlock", "มีนักเรียนย้ายเข้า", "u_school1"),
        ("approve_request", "มีนักเรียนย้ายเข้า", "u_lao1"),
        ("unlock", "มีนักเรียนย้ายเข้า", "u_lao1"),
    ]
    kinds = [
        (kind, org, subject, reason.strip())
        for kind, org, subject, reason in Notification.objects.order_by("id").values_list(
            "kind", "organisation_id", "subject_id", "reason"
        )
    ]
    assert kinds == [
        ("confirmed", tree.lao1.pk, tree.school1.pk, ""),
        ("unlock_requested", tree.lao1.pk, tree.school1.pk, "มีนักเรียนย้ายเข้า"),
        ("request_approved", tree.school1.pk, tree.school1.pk, "มีนักเรียนย้ายเข้า"),
    ]
    confirm(tree, rnd, "school1")
    req = request(tree, rnd, "school1")
    req = services.unlock_request_decide(
        acting_user=tree.users["lao1"], request=req, approve=False, reason=" ข้อมูลถูกต้อง "
    )
    assert req.decision_reason == "ข้อมูลถูกต้อง" and req.decided_at >= before
    assert ConfirmationEvent.objects.last().reason == "ข้อมูลถูกต้อง"
    note = Notification.objects.filter(kind="request_rejected").get()
    assert (note.organisation, note.subject, note.scope) == (tree.school1, tree.school1, "learners")


def test_a_confirmation_records_who_where_and_the_counts(tree, rnd):
    counts(tree.school1, p1=(3, 2), m1=(0, 4))
    conf = services.confirmation_confirm(
        acting_user=tree.users["school1"], round_id=rnd.pk, organisation=tree.school1, scope="learners",
        ip="192.0.2.7",
    )  # fmt: skip
    assert conf.confirmed_by == tree.users["school1"] and conf.confirmed_at is not None
    event = ConfirmationEvent.objects.get()
    assert (event.actor, event.actor_username, event.ip, event.scope) == (
        tree.users["school1"], "u_school1", "192.0.2.7", "learners")  # fmt: skip
    s = tree.school1.pk
    assert event.counts == {f"{s}:p1:male": 3, f"{s}:p1:female": 2, f"{s}:m1:female": 4}
    assert sorted(HeadcountSnapshot.objects.values_list("class_level", "gender", "count")) == [
        ("m1", "female", 4), ("p1", "female", 2), ("p1", "male", 3)]  # fmt: skip
    note = Notification.objects.get()
    assert (note.kind, note.organisation, note.subject) == ("confirmed", tree.lao1, tree.school1)


def test_an_lao_confirmation_snapshots_its_other_schools_by_gender(tree, rnd):
    confirm_lao1(tree, rnd)
    event = ConfirmationEvent.objects.get(organisation=tree.lao1)
    assert event.counts is None  # an LAO's learner counts are its institutions' snapshots
    enter(rnd, tree.other1, p1=(5, 6), m2=(0, 1))
    conf = confirm(tree, rnd, "lao1", scope="other_schools")
    o = tree.other1.pk
    assert sorted(conf.snapshot.values_list("school_id", "class_level", "gender", "count")) == [
        (o, "m2", "female", 1), (o, "m2", "male", 0), (o, "p1", "female", 6), (o, "p1", "male", 5)]  # fmt: skip
    assert reload(tree.lao1).other_schools_locked and reload(tree.lao1).learners_locked
    unlock(tree, rnd, "p1", "lao1", scope="other_schools")
    assert not reload(tree.lao1).other_schools_locked and reload(tree.lao1).learners_locked
    assert not conf.snapshot.exists()


def test_each_refusal_says_why(tree, rnd):
    exc = _en(refused, "not_confirmed", unlock, tree, rnd, "lao1", "school1")
    assert str(exc.message) == "This data is not confirmed."
    confirm(tree, rnd, "school1")
    exc = _en(refused, "already_confirmed", confirm, tree, rnd, "school1")
    assert str(exc.message) == "This data is already confirmed."
    request(tree, rnd, "school1")
    exc = _en(refused, "already_pending", request, tree, rnd, "school1")
    assert str(exc.message) == "An unlock request is already waiting for a decision."
    req = UnlockRequest.objects.get()
    services.unlock_request_decide(acting_user=tree.users["lao1"], request=req, approve=False, reason="no")
    exc = _en(refused, "already_decided", services.unlock_request_decide, acting_user=tree.users["lao1"],
              request=req, approve=True)  # fmt: skip
    assert str(exc.message) == "This request has already been decided."
    exc = _en(refused, "children_not_confirmed", confirm, tree, rnd, "lao1")
    assert str(exc.message) == (
        f"Every organisation under it must confirm first. Not yet confirmed: {tree.school2.code}, {tree.cdc1.code}"
    ) and exc.extra["blockers"] == [tree.school2.code, tree.cdc1.code]
    exc = _en(refused, "headcounts_missing", confirm, tree, rnd, "lao1", scope="other_schools")
    assert str(exc.message) == (
        f"Enter the headcounts of every other-affiliation school first: {tree.other1.code}"
    ) and exc.extra["blockers"] == [tree.other1.code]
    for name in ("school2", "cdc1", "lao1"):
        confirm(tree, rnd, name)
    exc = _en(refused, "parent_confirmed", unlock, tree, rnd, "lao1", "school1")
    assert str(exc.message) == (
        f"{tree.lao1.name_th} has confirmed its own data: ask the level above to unlock {tree.lao1.name_th} first."
    )
    with pytest.raises(Invalid) as invalid:
        _en(unlock, tree, rnd, "p1", "lao1", reason=" ")
    assert invalid.value.errors == {"reason": ["Give a reason."]}
    with pytest.raises(Invalid) as invalid:
        _en(confirm, tree, rnd, "school2", scope="other_schools")
    assert invalid.value.errors == {"scope": ["This organisation does not confirm this scope."]}
    with pytest.raises(Invalid) as invalid:
        _en(confirm, tree, rnd, "school2", scope="everything")
    assert invalid.value.errors == {"scope": ["Choose learners or other_schools."]}
    with pytest.raises(Invalid) as invalid:
        _en(services.confirmation_confirm, acting_user=tree.users["school4"], round_id=rnd.pk + 999,
            organisation=tree.school4, scope="learners")  # fmt: skip
    assert invalid.value.errors == {"round": ["No such round."]}
    rounds.round_close(acting_user=tree.users["dept"], round_id=rnd.pk)
    exc = _en(refused, "round_not_open", confirm, tree, rnd, "school4")
    assert str(exc.message) == "The round is not open."


def test_more_than_ten_blockers_are_cut_with_an_ellipsis(tree, rnd):
    from tests.factories import org

    for i in range(11):
        org("school", tree.lao2, code=f"10503009{i:02d}")
    exc = refused("children_not_confirmed", confirm, tree, rnd, "lao2")
    assert len(exc.extra["blockers"]) == 12
    named = str(exc.message).split(": ", 1)[1]
    assert named.endswith(", " + exc.extra["blockers"][9] + " …") and named.count(",") == 9


def test_only_a_pending_request_of_the_same_round_organisation_and_scope_blocks_a_new_one(tree, rnd):
    from tests.factories import RoundFactory

    confirm(tree, rnd, "school1")
    confirm(tree, rnd, "school2")
    earlier = RoundFactory(academic_year=2568, term=2, state="closed")
    user = tree.users["school1"]
    for org, round_, scope in [
        (tree.school2, rnd, "learners"),  # another organisation
        (tree.school1, earlier, "learners"),  # another round
        (tree.lao1, rnd, "other_schools"),  # another scope (and organisation)
    ]:
        UnlockRequest.objects.create(
            round=round_, organisation=org, scope=scope, reason="x", requested_by=user
        )
    UnlockRequest.objects.create(
        round=rnd,
        organisation=tree.school1,
        scope="learners",
        reason="x",
        state="rejected",
        requested_by=user,
    )
    req = request(tree, rnd, "school1")
    assert req.state == "pending" and UnlockRequest.objects.filter(state="pending").count() == 4


def test_a_racing_request_that_loses_on_the_unique_index_is_already_pending(tree, rnd, monkeypatch):
    """Two requests that both passed the check: the loser meets the unique index and says already_pending."""
    from confirmations.models import Action

    confirm(tree, rnd, "school1")
    rule = services.TRANSITIONS[Action.REQUEST_UNLOCK]
    checks = tuple(c for c in rule.checks if c is not services._none_pending)
    monkeypatch.setitem(
        services.TRANSITIONS, Action.REQUEST_UNLOCK, services.Transition(rule.permission, checks, rule.effect)
    )
    request(tree, rnd, "school1")
    exc = _en(refused, "already_pending", request, tree, rnd, "school1")
    assert str(exc.message) == "An unlock request is already waiting for a decision."
    assert UnlockRequest.objects.count() == 1


def test_requests_and_decisions_keep_the_address_and_a_rejection_needs_a_reason(tree, rnd):
    confirm(tree, rnd, "school1")
    services.unlock_request_create(acting_user=tree.users["school1"], round_id=rnd.pk, organisation=tree.school1,
                                   scope="learners", reason="r", ip="192.0.2.1")  # fmt: skip
    req = UnlockRequest.objects.get()
    with pytest.raises(Invalid):
        services.unlock_request_decide(acting_user=tree.users["lao1"], request=req, approve=False)
    services.unlock_request_decide(acting_user=tree.users["lao1"], request=req, approve=True, ip="192.0.2.2")
    assert list(ConfirmationEvent.objects.values_list("action", "ip")) == [
        ("confirm", None), ("request_unlock", "192.0.2.1"), ("approve_request", "192.0.2.2"),
        ("unlock", "192.0.2.2")]  # fmt: skip


def test_confirm_and_unlock_void_the_cached_confirmed_totals_of_the_province(tree, rnd, monkeypatch):
    from lec.lib import generations

    bumped = []
    monkeypatch.setattr(generations, "bump", lambda kind, provinces: bumped.append((kind, list(provinces))))
    confirm(tree, rnd, "school4")
    unlock(tree, rnd, "lao3", "school4")
    assert [b for b in bumped if b[0] == "confirmed"] == [
        ("confirmed", [tree.p2.pk]),
        ("confirmed", [tree.p2.pk]),
    ]


def test_reminders_go_when_the_close_is_near_at_the_time_given(tree, rnd, settings):
    settings.LEC_REMINDER_DAYS = 3
    assert services.round_send_reminders(round_id=rnd.pk) == 0  # 14 days left now
    near = rnd.closes_at - timezone.timedelta(days=1)
    assert services.round_send_reminders(round_id=rnd.pk, now=near) > 0


def test_only_the_parents_learner_confirmation_of_this_round_stops_an_unlock(tree, rnd):
    from tests.factories import RoundFactory

    earlier = RoundFactory(academic_year=2568, term=2, state="closed")
    Confirmation.objects.create(round=earlier, organisation=tree.lao1, scope="learners", state="confirmed")
    enter(rnd, tree.other1, p1=(1, 1))
    confirm(tree, rnd, "lao1", scope="other_schools")  # the LAO's other scope
    confirm(tree, rnd, "school1")
    assert unlock(tree, rnd, "lao1", "school1").state == "open"


def test_snapshots_hold_only_this_organisations_and_this_rounds_numbers(tree, rnd):
    from tests.factories import RoundFactory

    counts(tree.school1, p1=(3, 2))
    counts(tree.school2, p1=(7, 7))
    conf = confirm(tree, rnd, "school1")
    assert conf.organisation.learners_locked is True  # the object handed back shows the lock
    assert sorted(conf.snapshot.values_list("school_id", "gender", "count")) == [
        (tree.school1.pk, "female", 2), (tree.school1.pk, "male", 3)]  # fmt: skip
    earlier = RoundFactory(academic_year=2568, term=2, state="closed")
    enter(earlier, tree.other1, m1=(9, 9))
    enter(rnd, tree.other2, m1=(8, 8))  # another LAO's school
    enter(rnd, tree.other1, p2=(1, 0))
    conf = confirm(tree, rnd, "lao1", scope="other_schools")
    assert conf.organisation.other_schools_locked is True
    assert sorted(conf.snapshot.values_list("school_id", "class_level", "gender", "count")) == [
        (tree.other1.pk, "p2", "female", 0), (tree.other1.pk, "p2", "male", 1)]  # fmt: skip


def test_notices_name_the_round_and_a_province_confirming_tells_no_one_above(tree, rnd):
    for name in ("school4", "cdc2", "lao3", "p2"):
        confirm(tree, rnd, name)
    notes = Notification.objects.order_by("id")
    assert [(n.kind, n.organisation_id, n.subject_id) for n in notes] == [
        ("confirmed", tree.lao3.pk, tree.school4.pk),
        ("confirmed", tree.lao3.pk, tree.cdc2.pk),
        ("confirmed", tree.p2.pk, tree.lao3.pk),
    ]  # the department is not told of a province's confirmation
    assert {n.round_id for n in notes} == {rnd.pk} and {n.scope for n in notes} == {"learners"}


def test_a_pending_request_for_one_scope_does_not_block_the_other(tree, rnd):
    confirm_lao1(tree, rnd)
    enter(rnd, tree.other1, p1=(1, 1))
    confirm(tree, rnd, "lao1", scope="other_schools")
    request(tree, rnd, "lao1", scope="learners")
    req = request(tree, rnd, "lao1", scope="other_schools")
    assert req.state == "pending" and UnlockRequest.objects.filter(state="pending").count() == 2


@pytest.mark.parametrize(("blockers", "cut"), [(10, False), (11, True)])
def test_blockers_are_cut_only_past_ten(tree, rnd, blockers, cut):
    from tests.factories import org

    for i in range(blockers - 1):  # school3 is the first
        org("school", tree.lao2, code=f"10503009{i:02d}")
    exc = refused("children_not_confirmed", confirm, tree, rnd, "lao2")
    assert len(exc.extra["blockers"]) == blockers
    assert str(exc.message).endswith(" …") is cut


def test_a_confirmation_of_an_earlier_round_does_not_count_in_this_one(tree, rnd):
    from tests.factories import RoundFactory

    earlier = RoundFactory(academic_year=2568, term=2, state="closed")
    Confirmation.objects.create(round=earlier, organisation=tree.school1, scope="learners", state="confirmed")
    refused("not_confirmed", unlock, tree, rnd, "lao1", "school1")
    assert confirm(tree, rnd, "school1").round_id == rnd.pk
    assert Confirmation.objects.filter(organisation=tree.school1).count() == 2


def test_transitions_lock_the_parent_and_the_organisation_for_no_key_update(tree, rnd, monkeypatch):
    """Design.md rule 10: both rows FOR NO KEY UPDATE (shared with learner writes, exclusive against a confirm)."""
    from django.db.models import QuerySet

    locked = []
    real = QuerySet.select_for_update

    def spy(self, *args, **kwargs):
        locked.append((self.model.__name__, kwargs))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", spy)
    confirm(tree, rnd, "school1")
    assert locked[:2] == [("Organisation", {"no_key": True}), ("Organisation", {"no_key": True})]
