"""The confirmation state machine (design.md "Rounds and confirmation", rules 1–10). Round management (create,
open, close, the beat tick) is confirmations.rounds; notifications are confirmations.notifications.

Every transition is one row of TRANSITIONS — who may do it, what must hold, what it does — applied by `_apply`,
which in one transaction share-locks the round, locks the parent organisation row and then the child's
(`FOR NO KEY UPDATE`, always in that order), checks, changes, appends the event and queues notifications
(their e-mail through confirmations.tasks after commit: services → tasks → notifications, one way).
"""

import dataclasses
from collections.abc import Callable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from lec.lib import generations
from lec.lib.errors import Code, DomainError, invalid
from schools.models import Kind, Organisation, OtherSchoolCount
from students.models import Gender, LearnerCount

from . import notifications, selectors, tasks
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
    acting_user: object
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
        rows = []
        for school_id, level, male, female in OtherSchoolCount.objects.filter(
            entry__round=ctx.round, entry__school__parent=org
        ).values_list("entry__school_id", "class_level", "male", "female"):
            rows += [(school_id, level, Gender.MALE, male), (school_id, level, Gender.FEMALE, female)]
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
        actor=ctx.acting_user if getattr(ctx.acting_user, "pk", None) else None,
        actor_username=getattr(ctx.acting_user, "username", "") or "",
        reason=reason,
        ip=ctx.ip or None,
        counts=counts,
    )


def _confirm(ctx: Ctx) -> Confirmation:
    conf = ctx.confirmation or Confirmation(round=ctx.round, organisation=ctx.organisation, scope=ctx.scope)
    conf.state = Confirmation.State.CONFIRMED
    conf.confirmed_at = timezone.now()
    conf.confirmed_by = ctx.acting_user if getattr(ctx.acting_user, "pk", None) else None
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
        _notify(kind=Notification.Kind.CONFIRMED, organisation=ctx.parent, subject=ctx.organisation, ctx=ctx)
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
    _notify(kind=kind, organisation=ctx.organisation, subject=ctx.organisation, ctx=ctx)
    return conf


def _request(ctx: Ctx) -> UnlockRequest:
    try:
        with transaction.atomic():
            req = UnlockRequest.objects.create(
                round=ctx.round,
                organisation=ctx.organisation,
                scope=ctx.scope,
                reason=ctx.reason.strip(),
                requested_by=ctx.acting_user,
            )
    except IntegrityError:  # a racing request won; the unique index keeps one pending
        _none_pending(ctx)
        raise
    _event(ctx, Action.REQUEST_UNLOCK, reason=req.reason)
    if ctx.parent is not None:
        _notify(
            kind=Notification.Kind.UNLOCK_REQUESTED,
            organisation=ctx.parent,
            subject=ctx.organisation,
            ctx=ctx,
        )
    return req


def _decide(ctx: Ctx, state: str) -> UnlockRequest:
    req = ctx.request
    req.state = state
    req.decided_by = ctx.acting_user
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
    _notify(
        kind=Notification.Kind.REQUEST_REJECTED,
        organisation=ctx.organisation,
        subject=ctx.organisation,
        ctx=ctx,
    )
    return req


# ------------------------------------------------------------------------------------------ the table


@dataclasses.dataclass(frozen=True)
class Transition:
    permission: str  # accounts.policy action the acting_user needs on the organisation concerned
    checks: tuple[Callable[[Ctx], None], ...]  # in order; the first failing one names the refusal
    effect: Callable[[Ctx], object]


TRANSITIONS: dict[str, Transition] = {
    # action            who (policy action)   preconditions                                               effect
    Action.CONFIRM:         Transition("confirm_own",     (_scope_applies, _round_open, _not_confirmed, _children_ready), _confirm),  # noqa: E501
    Action.UNLOCK:          Transition("unlock_children", (_scope_applies, _reason_given, _round_open, _is_confirmed, _parent_open), _unlock),  # noqa: E501
    Action.REQUEST_UNLOCK:  Transition("request_unlock",  (_scope_applies, _reason_given, _round_open, _is_confirmed, _none_pending), _request),  # noqa: E501
    Action.APPROVE_REQUEST: Transition("unlock_children", (_request_pending, _round_open, _is_confirmed, _parent_open), _approve),  # noqa: E501
    Action.REJECT_REQUEST:  Transition("unlock_children", (_request_pending, _reason_given), _reject),
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
    acting_user,
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
    policy.require(acting_user, rule.permission, organisation)
    with transaction.atomic():
        round_ = _lock_round(round_id)
        parent = _lock_org(organisation.parent_id)  # always the parent first, then the child
        org = _lock_org(organisation.pk)
        if request is not None:
            request = UnlockRequest.objects.select_for_update().get(pk=request.pk)
        ctx = Ctx(
            action=action,
            acting_user=acting_user,
            round=round_,
            organisation=org,
            parent=parent,
            scope=scope,
            reason=reason or "",
            ip=ip,
            request=request,
            confirmation=Confirmation.objects.filter(round=round_, organisation=org, scope=scope).first(),
        )
        for check in rule.checks:
            check(ctx)
        return rule.effect(ctx)


# ------------------------------------------------------------------------------------- the use cases


def confirmation_confirm(
    *, acting_user, round_id: int, organisation: Organisation, scope: str, ip: str | None = None
):
    """Rules 1–4: confirm one scope of an organisation's data for the open round."""
    return _apply(
        Action.CONFIRM,
        acting_user=acting_user,
        round_id=round_id,
        organisation=organisation,
        scope=scope,
        ip=ip,
    )


def confirmation_unlock(
    *, acting_user, round_id: int, organisation: Organisation, scope: str, reason: str, ip: str | None = None
):
    """Rule 5: the parent level cancels a confirmation, with a reason."""
    return _apply(
        Action.UNLOCK,
        acting_user=acting_user,
        round_id=round_id,
        organisation=organisation,
        scope=scope,
        reason=reason,
        ip=ip,
    )


def unlock_request_create(
    *, acting_user, round_id: int, organisation: Organisation, scope: str, reason: str, ip: str | None = None
) -> UnlockRequest:
    """Rule 6: the organisation asks its parent to unlock it."""
    return _apply(
        Action.REQUEST_UNLOCK,
        acting_user=acting_user,
        round_id=round_id,
        organisation=organisation,
        scope=scope,
        reason=reason,
        ip=ip,
    )


def unlock_request_decide(
    *, acting_user, request: UnlockRequest, approve: bool, reason: str = "", ip: str | None = None
) -> UnlockRequest:
    """Rule 6: the parent approves (which unlocks, by the unlock rules) or rejects with a reason."""
    return _apply(
        Action.APPROVE_REQUEST if approve else Action.REJECT_REQUEST,
        acting_user=acting_user,
        round_id=request.round_id,
        organisation=request.organisation,
        scope=request.scope,
        reason=reason,
        ip=ip,
        request=request,
    )


@dataclasses.dataclass
class BulkUnlockResult:
    code: str
    name_th: str
    scope: str
    ok: bool
    error_code: str = ""
    detail: str = ""


def confirmation_bulk_unlock(
    *, acting_user, round_id: int, parent: Organisation, codes: list[str], reason: str, ip: str | None = None
) -> list[BulkUnlockResult]:
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
            results.append(BulkUnlockResult(code, "", "", False, Code.NOT_FOUND, str(_("Not found."))))
            continue
        scopes = sorted(confirmed.get(child.id, ())) or [Scope.LEARNERS]
        for scope in scopes:
            try:
                confirmation_unlock(
                    acting_user=acting_user,
                    round_id=round_id,
                    organisation=child,
                    scope=scope,
                    reason=reason,
                    ip=ip,
                )
                results.append(BulkUnlockResult(code, child.name_th, scope, True))
            except DomainError as exc:
                results.append(
                    BulkUnlockResult(code, child.name_th, scope, False, exc.code, str(exc.message))
                )
    return results


# ------------------------------------------------------------------------------------- notifications


def _notify(*, kind: str, organisation: Organisation, subject: Organisation, ctx: Ctx) -> Notification:
    """An in-app notice for everyone at `organisation` about this transition; its e-mail goes out after commit."""
    return notifications.notification_create(
        kind=kind, round_=ctx.round, organisation=organisation, subject=subject, scope=ctx.scope,
        reason=ctx.reason, deliver=tasks.deliver_after_commit,
    )  # fmt: skip


def round_send_reminders(*, round_id: int, now: datetime | None = None) -> int:
    """The reminders before the close (confirmations.notifications), their e-mails queued after commit."""
    return notifications.round_send_reminders(round_id=round_id, now=now, deliver=tasks.deliver_after_commit)
