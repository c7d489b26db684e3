"""The confirmation state machine (design.md "Rounds and confirmation", rules 1–10) and round management.

Every transition is one row of TRANSITIONS — who may do it, what must hold, what it does — applied by `_apply`,
which in one transaction share-locks the round, locks the parent organisation row and then the child's
(`FOR NO KEY UPDATE`, always in that order), checks, changes, appends the event and queues notifications.
"""

import dataclasses
from collections.abc import Callable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from lec.lib import generations
from lec.lib.errors import Code, DomainError, Forbidden, invalid
from schools.models import Kind, Organisation
from students.models import LearnerCount

from . import selectors
from .models import (
    Action,
    Confirmation,
    ConfirmationEvent,
    HeadcountSnapshot,
    Notification,
    Round,
    Scope,
    UnlockRequest,
)

# --------------------------------------------------------------------------------------------- context


@dataclasses.dataclass
class Ctx:
    """What one transition works on, filled in under the locks."""

    action: str
    actor: object
    round: Round
    organisation: Organisation
    parent: Organisation | None
    scope: str
    reason: str = ""
    ip: str | None = None
    request: UnlockRequest | None = None
    confirmation: Confirmation | None = None

    @property
    def confirmed(self) -> bool:
        return self.confirmation is not None and self.confirmation.state == Confirmation.State.CONFIRMED


# ------------------------------------------------------------------------------------------ preconditions


def _round_open(ctx: Ctx) -> None:
    if ctx.round.state != Round.State.OPEN:
        raise DomainError(_("The round is not open."), code=Code.ROUND_NOT_OPEN)


def _scope_applies(ctx: Ctx) -> None:
    if ctx.scope not in selectors.scopes_of(ctx.organisation):
        raise invalid("scope", _("This organisation does not confirm this scope."))


def _reason_given(ctx: Ctx) -> None:
    if not (ctx.reason or "").strip():
        raise invalid("reason", _("Give a reason."))


def _not_confirmed(ctx: Ctx) -> None:
    if ctx.confirmed:
        raise DomainError(_("This data is already confirmed."), code=Code.ALREADY_CONFIRMED)


def _is_confirmed(ctx: Ctx) -> None:
    if not ctx.confirmed:
        raise DomainError(_("This data is not confirmed."), code=Code.NOT_CONFIRMED)


def _children_ready(ctx: Ctx) -> None:
    blockers = selectors.blockers(ctx.round, ctx.organisation, ctx.scope)
    if not blockers:
        return
    names = ", ".join(blockers[:10]) + (" …" if len(blockers) > 10 else "")
    if ctx.scope == Scope.OTHER_SCHOOLS:
        raise DomainError(
            _("Enter the headcounts of every other-affiliation school first: %(codes)s") % {"codes": names},
            code=Code.HEADCOUNTS_MISSING,
            blockers=blockers,
        )
    raise DomainError(
        _("Every organisation under it must confirm first. Not yet confirmed: %(codes)s") % {"codes": names},
        code=Code.CHILDREN_NOT_CONFIRMED,
        blockers=blockers,
    )


def _parent_open(ctx: Ctx) -> None:
    if ctx.parent is None or ctx.parent.kind == Kind.DEPARTMENT:
        return
    state = (
        Confirmation.objects.filter(round=ctx.round, organisation=ctx.parent, scope=Scope.LEARNERS)
        .values_list("state", flat=True)
        .first()
    )
    if state == Confirmation.State.CONFIRMED:
        raise DomainError(
            _("%(parent)s has confirmed its own data: ask the level above to unlock %(parent)s first.")
            % {"parent": ctx.parent.name_th},
            code=Code.PARENT_CONFIRMED,
        )


def _none_pending(ctx: Ctx) -> None:
    if UnlockRequest.objects.filter(
        round=ctx.round, organisation=ctx.organisation, scope=ctx.scope, state=UnlockRequest.State.PENDING
    ).exists():
        raise DomainError(
            _("An unlock request is already waiting for a decision."), code=Code.ALREADY_PENDING
        )


def _request_pending(ctx: Ctx) -> None:
    if ctx.request.state != UnlockRequest.State.PENDING:
        raise DomainError(_("This request has already been decided."), code=Code.ALREADY_DECIDED)


# ---------------------------------------------------------------------------------------------- effects


def _snapshot_rows(ctx: Ctx) -> list[tuple[int, str, str, int]]:
    """(school id, class level, gender, count) — the counts this confirmation fixes."""
    org = ctx.organisation
    if ctx.scope == Scope.LEARNERS and org.is_institution:
        return list(
            LearnerCount.objects.filter(organisation=org, count__gt=0).values_list(
                "organisation_id", "class_level", "gender", "count"
            )
        )
    if ctx.scope == Scope.OTHER_SCHOOLS:
        from schools.models import OtherSchoolCount

        rows = []
        for school_id, level, male, female in OtherSchoolCount.objects.filter(
            entry__round=ctx.round, entry__school__parent=org
        ).values_list("entry__school_id", "class_level", "male", "female"):
            rows += [(school_id, level, "male", male), (school_id, level, "female", female)]
        return rows
    return []


def _set_lock(org: Organisation, scope: str, value: bool) -> None:
    field = "learners_locked" if scope == Scope.LEARNERS else "other_schools_locked"
    setattr(org, field, value)
    Organisation.objects.filter(pk=org.pk).update(**{field: value})


def _event(ctx: Ctx, action: str, reason: str = "", counts=None) -> ConfirmationEvent:
    return ConfirmationEvent.objects.create(
        round=ctx.round,
        organisation=ctx.organisation,
        scope=ctx.scope,
        action=action,
        actor=ctx.actor if getattr(ctx.actor, "pk", None) else None,
        actor_username=getattr(ctx.actor, "username", "") or "",
        reason=reason,
        ip=ctx.ip or None,
        counts=counts,
    )


def _confirm(ctx: Ctx) -> Confirmation:
    conf = ctx.confirmation or Confirmation(round=ctx.round, organisation=ctx.organisation, scope=ctx.scope)
    conf.state = Confirmation.State.CONFIRMED
    conf.confirmed_at = timezone.now()
    conf.confirmed_by = ctx.actor if getattr(ctx.actor, "pk", None) else None
    conf.save()
    rows = _snapshot_rows(ctx)
    HeadcountSnapshot.objects.bulk_create(
        HeadcountSnapshot(confirmation=conf, school_id=s, class_level=lvl, gender=g, count=n)
        for s, lvl, g, n in rows
    )
    _set_lock(ctx.organisation, ctx.scope, True)
    generations.bump("confirmed", [ctx.organisation.province_id])  # cached totals (docs/performance.md)
    counts = {f"{s}:{lvl}:{g}": n for s, lvl, g, n in rows} if ctx.organisation.is_institution else None
    _event(ctx, Action.CONFIRM, counts=counts)
    if ctx.parent is not None and ctx.parent.kind != Kind.DEPARTMENT:
        notify(kind=Notification.Kind.CONFIRMED, organisation=ctx.parent, subject=ctx.organisation, ctx=ctx)
    return conf


def _unlock(ctx: Ctx, kind: str = Notification.Kind.UNLOCKED) -> Confirmation:
    conf = ctx.confirmation
    conf.state = Confirmation.State.OPEN
    conf.confirmed_at = None
    conf.confirmed_by = None
    conf.save()
    conf.snapshot.all().delete()
    _set_lock(ctx.organisation, ctx.scope, False)
    generations.bump("confirmed", [ctx.organisation.province_id])  # cached totals (docs/performance.md)
    _event(ctx, Action.UNLOCK, reason=ctx.reason)
    notify(kind=kind, organisation=ctx.organisation, subject=ctx.organisation, ctx=ctx)
    return conf


def _request(ctx: Ctx) -> UnlockRequest:
    try:
        with transaction.atomic():
            req = UnlockRequest.objects.create(
                round=ctx.round,
                organisation=ctx.organisation,
                scope=ctx.scope,
                reason=ctx.reason.strip(),
                requested_by=ctx.actor,
            )
    except IntegrityError:  # a racing request won; the unique index keeps one pending
        _none_pending(ctx)
        raise
    _event(ctx, Action.REQUEST_UNLOCK, reason=req.reason)
    if ctx.parent is not None:
        notify(
            kind=Notification.Kind.UNLOCK_REQUESTED,
            organisation=ctx.parent,
            subject=ctx.organisation,
            ctx=ctx,
        )
    return req


def _decide(ctx: Ctx, state: str) -> UnlockRequest:
    req = ctx.request
    req.state = state
    req.decided_by = ctx.actor
    req.decided_at = timezone.now()
    req.decision_reason = ctx.reason.strip() if state == UnlockRequest.State.REJECTED else ""
    req.save()
    return req


def _approve(ctx: Ctx) -> UnlockRequest:
    req = _decide(ctx, UnlockRequest.State.APPROVED)
    _event(ctx, Action.APPROVE_REQUEST, reason=req.reason)
    ctx.reason = req.reason
    _unlock(ctx, Notification.Kind.REQUEST_APPROVED)
    return req


def _reject(ctx: Ctx) -> UnlockRequest:
    req = _decide(ctx, UnlockRequest.State.REJECTED)
    _event(ctx, Action.REJECT_REQUEST, reason=req.decision_reason)
    notify(
        kind=Notification.Kind.REQUEST_REJECTED,
        organisation=ctx.organisation,
        subject=ctx.organisation,
        ctx=ctx,
    )
    return req


# ------------------------------------------------------------------------------------------ the table


@dataclasses.dataclass(frozen=True)
class Transition:
    permission: str  # accounts.policy action the actor needs on the organisation concerned
    checks: tuple[Callable[[Ctx], None], ...]  # in order; the first failing one names the refusal
    effect: Callable[[Ctx], object]


TRANSITIONS: dict[str, Transition] = {
    # action            who (policy action)   preconditions                                               effect
    "confirm":         Transition("confirm_own",     (_scope_applies, _round_open, _not_confirmed, _children_ready), _confirm),  # noqa: E501
    "unlock":          Transition("unlock_children", (_scope_applies, _reason_given, _round_open, _is_confirmed, _parent_open), _unlock),  # noqa: E501
    "request_unlock":  Transition("request_unlock",  (_scope_applies, _reason_given, _round_open, _is_confirmed, _none_pending), _request),  # noqa: E501
    "approve_request": Transition("unlock_children", (_request_pending, _round_open, _is_confirmed, _parent_open), _approve),  # noqa: E501
    "reject_request":  Transition("unlock_children", (_request_pending, _reason_given), _reject),
}  # fmt: skip


def _lock_round(round_id: int) -> Round:
    """Share-lock the round so a close waits for transitions in flight (and they see it closed afterwards)."""
    found = Round.objects.share_locked(round_id)
    if found is None:
        raise invalid("round", _("No such round."))
    return found


def _lock_org(pk: int | None) -> Organisation | None:
    if pk is None:
        return None
    return Organisation.objects.select_for_update(no_key=True).get(pk=pk)


def _apply(
    action: str,
    *,
    actor,
    round_id: int,
    organisation: Organisation,
    scope: str,
    reason: str = "",
    ip: str | None = None,
    request: UnlockRequest | None = None,
):
    rule = TRANSITIONS[action]
    if scope not in Scope.values:
        raise invalid("scope", _("Choose learners or other_schools."))
    policy.require(actor, rule.permission, organisation)
    with transaction.atomic():
        rnd = _lock_round(round_id)
        parent = _lock_org(organisation.parent_id)  # always the parent first, then the child
        org = _lock_org(organisation.pk)
        if request is not None:
            request = UnlockRequest.objects.select_for_update().get(pk=request.pk)
        ctx = Ctx(
            action=action,
            actor=actor,
            round=rnd,
            organisation=org,
            parent=parent,
            scope=scope,
            reason=reason or "",
            ip=ip,
            request=request,
            confirmation=Confirmation.objects.filter(round=rnd, organisation=org, scope=scope).first(),
        )
        for check in rule.checks:
            check(ctx)
        return rule.effect(ctx)


# ------------------------------------------------------------------------------------- the use cases


def confirmation_confirm(
    *, actor, round_id: int, organisation: Organisation, scope: str, ip: str | None = None
):
    """Rules 1–4: confirm one scope of an organisation's data for the open round."""
    return _apply("confirm", actor=actor, round_id=round_id, organisation=organisation, scope=scope, ip=ip)


def confirmation_unlock(
    *, actor, round_id: int, organisation: Organisation, scope: str, reason: str, ip: str | None = None
):
    """Rule 5: the parent level cancels a confirmation, with a reason."""
    return _apply(
        "unlock", actor=actor, round_id=round_id, organisation=organisation, scope=scope, reason=reason, ip=ip
    )


def unlock_request_create(
    *, actor, round_id: int, organisation: Organisation, scope: str, reason: str, ip: str | None = None
) -> UnlockRequest:
    """Rule 6: the organisation asks its parent to unlock it."""
    return _apply(
        "request_unlock",
        actor=actor,
        round_id=round_id,
        organisation=organisation,
        scope=scope,
        reason=reason,
        ip=ip,
    )


def unlock_request_decide(
    *, actor, request: UnlockRequest, approve: bool, reason: str = "", ip: str | None = None
) -> UnlockRequest:
    """Rule 6: the parent approves (which unlocks, by the unlock rules) or rejects with a reason."""
    return _apply(
        "approve_request" if approve else "reject_request",
        actor=actor,
        round_id=request.round_id,
        organisation=request.organisation,
        scope=request.scope,
        reason=reason,
        ip=ip,
        request=request,
    )


@dataclasses.dataclass
class BulkResult:
    code: str
    name_th: str
    scope: str
    ok: bool
    error_code: str = ""
    detail: str = ""


def confirmation_bulk_unlock(
    *, actor, round_id: int, parent: Organisation, codes: list[str], reason: str, ip: str | None = None
) -> list[BulkResult]:
    """Unlock many children of a province (its LAOs, every confirmed scope) or of the department (its provinces),
    each in its own transaction, with a result per item."""
    if not (reason or "").strip():
        raise invalid("reason", _("Give a reason."))
    children = {o.code: o for o in Organisation.objects.filter(parent=parent, code__in=codes)}
    confirmed = selectors.confirmed_scopes(round_id, [o.id for o in children.values()])
    results = []
    for code in codes:
        child = children.get(code)
        if child is None:
            results.append(BulkResult(code, "", "", False, "not_found", str(_("Not found."))))
            continue
        scopes = sorted(confirmed.get(child.id, ())) or [Scope.LEARNERS]
        for scope in scopes:
            try:
                confirmation_unlock(
                    actor=actor, round_id=round_id, organisation=child, scope=scope, reason=reason, ip=ip
                )
                results.append(BulkResult(code, child.name_th, scope, True))
            except DomainError as exc:
                results.append(BulkResult(code, child.name_th, scope, False, exc.code, str(exc.message)))
    return results


# -------------------------------------------------------------------------------------------- rounds


def _require_rounds(actor) -> None:
    if actor is None:  # the beat task
        return
    if not policy.can_nationally(actor, "manage_rounds"):
        raise Forbidden()


def round_create(
    *, actor, academic_year: int, term: int, census_date, opens_at: datetime, closes_at: datetime
) -> Round:
    _require_rounds(actor)
    if term not in (1, 2):
        raise invalid("term", _("The term is 1 or 2."))
    if not 2500 <= academic_year <= 2700:
        raise invalid("academic_year", _("Give the academic year in the Buddhist Era, for example 2569."))
    if closes_at <= opens_at:
        raise invalid("closes_at", _("The round must close after it opens."))
    with transaction.atomic():
        if Round.objects.filter(academic_year=academic_year, term=term).exists():
            raise DomainError(_("This round already exists."), code=Code.ROUND_EXISTS)
        try:
            with transaction.atomic():
                return Round.objects.create(
                    academic_year=academic_year,
                    term=term,
                    census_date=census_date,
                    opens_at=opens_at,
                    closes_at=closes_at,
                )
        except IntegrityError:
            raise DomainError(_("This round already exists."), code=Code.ROUND_EXISTS) from None


def round_open(*, actor, round_id: int) -> Round:
    """planned → open, now (opens_at becomes now if it was later)."""
    _require_rounds(actor)
    with transaction.atomic():
        rnd = Round.objects.select_for_update().get(pk=round_id)
        if rnd.state != Round.State.PLANNED:
            raise DomainError(_("Only a planned round can be opened."), code=Code.INVALID_TRANSITION)
        if Round.objects.filter(state=Round.State.OPEN).exclude(pk=rnd.pk).exists():
            raise DomainError(_("Another round is open: close it first."), code=Code.INVALID_TRANSITION)
        now = timezone.now()
        rnd.state = Round.State.OPEN
        rnd.opens_at = min(rnd.opens_at, now)
        try:
            with transaction.atomic():
                rnd.save(update_fields=["state", "opens_at"])
        except IntegrityError:
            raise DomainError(
                _("Another round is open: close it first."), code=Code.INVALID_TRANSITION
            ) from None
    return rnd


def round_close(*, actor, round_id: int) -> Round:
    """open → closed, now: every confirmation is frozen as it is, and the edit locks are cleared for the next
    term (snapshots and events stay). Organisations not confirmed are reported by selectors.missed()."""
    _require_rounds(actor)
    with transaction.atomic():
        rnd = Round.objects.select_for_update().get(pk=round_id)  # waits for transitions holding FOR SHARE
        if rnd.state != Round.State.OPEN:
            raise DomainError(_("Only an open round can be closed."), code=Code.INVALID_TRANSITION)
        now = timezone.now()
        rnd.state = Round.State.CLOSED
        rnd.closes_at = min(rnd.closes_at, now)
        rnd.save(update_fields=["state", "closes_at"])
        Organisation.objects.filter(Q(learners_locked=True) | Q(other_schools_locked=True)).update(
            learners_locked=False, other_schools_locked=False
        )
    return rnd


def rounds_tick(*, now: datetime | None = None) -> list[tuple[int, str]]:
    """Open planned rounds whose time has come and close open rounds past closes_at (the beat task)."""
    now = now or timezone.now()
    done = []
    for rnd in Round.objects.filter(state=Round.State.OPEN, closes_at__lte=now):
        round_close(actor=None, round_id=rnd.pk)
        done.append((rnd.pk, "closed"))
    for rnd in Round.objects.filter(state=Round.State.PLANNED, opens_at__lte=now, closes_at__gt=now).order_by(
        "opens_at"
    ):
        if not Round.objects.filter(state=Round.State.OPEN).exists():
            round_open(actor=None, round_id=rnd.pk)
            done.append((rnd.pk, "opened"))
    return done


# ------------------------------------------------------------------------------------- notifications


def notify(*, kind: str, organisation: Organisation, subject: Organisation, ctx: Ctx) -> Notification:
    """An in-app notice for everyone at `organisation`; the e-mail goes out from Celery after commit."""
    note = Notification.objects.create(
        kind=kind,
        round=ctx.round,
        organisation=organisation,
        subject=subject,
        scope=ctx.scope,
        reason=ctx.reason or "",
    )
    _send_after_commit(note.pk)
    return note


def _send_after_commit(notification_id: int) -> None:
    from .tasks import deliver_notification

    transaction.on_commit(lambda: deliver_notification.delay(notification_id))


def round_send_reminders(*, round_id: int, now: datetime | None = None) -> int:
    """Remind every participating organisation not yet confirmed, once per organisation per round, when the close
    is at most settings.LEC_REMINDER_DAYS away. Returns how many reminders were created."""
    from django.conf import settings

    now = now or timezone.now()
    rnd = Round.objects.filter(pk=round_id, state=Round.State.OPEN).first()
    if rnd is None or rnd.closes_at - now > timezone.timedelta(days=settings.LEC_REMINDER_DAYS):
        return 0
    due = selectors.unconfirmed_organisation_ids(rnd)
    already = set(
        Notification.objects.filter(round=rnd, kind=Notification.Kind.REMINDER).values_list(
            "organisation_id", flat=True
        )
    )
    new = [
        Notification(kind=Notification.Kind.REMINDER, round=rnd, organisation_id=pk, subject_id=pk)
        for pk in due
        if pk not in already
    ]
    with transaction.atomic():
        created = Notification.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
        ids = list(
            Notification.objects.filter(
                round=rnd, kind=Notification.Kind.REMINDER, emailed_at__isnull=True
            ).values_list("pk", flat=True)
        )
        for pk in ids:
            _send_after_commit(pk)
    return len(created)


def notification_deliver(*, notification_id: int) -> int:
    """E-mail one notification to the active users of its organisation (or its user) who have an address; once."""
    from django.core.mail import send_mass_mail
    from django.utils import translation

    from accounts.models import User

    from .selectors import notification_text

    with transaction.atomic():
        note = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("round", "subject", "organisation")
            .filter(pk=notification_id)
            .first()
        )
        if note is None or note.emailed_at is not None:
            return 0
        users = User.objects.filter(is_active=True).exclude(email="")
        users = (
            users.filter(pk=note.user_id)
            if note.user_id
            else users.filter(organisation_id=note.organisation_id)
        )
        addresses = list(users.values_list("email", flat=True))
        with translation.override("th"):
            subject = str(_("LEC: %(what)s") % {"what": note.get_kind_display()})
            body = notification_text(note)
        from django.conf import settings

        sent = 0
        if addresses:
            sent = send_mass_mail([(subject, body, settings.DEFAULT_FROM_EMAIL, [a]) for a in addresses])
        note.emailed_at = timezone.now()
        note.save(update_fields=["emailed_at"])
    return sent


def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    qs = selectors.notifications_for(user).filter(read=False)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return Notification.objects.filter(pk__in=list(qs.values_list("pk", flat=True))).update(read=True)
