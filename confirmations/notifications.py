"""In-app notifications and their e-mail: creating them, reminders before the close, sending one, reading them.

Nothing here queues work: the functions that create notifications take `deliver`, a callable given a notification
id once it exists (confirmations.tasks.deliver_after_commit in production), so services → tasks → notifications
point one way."""

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from schools.models import Organisation, Round

from .models import Notification, Scope
from .selectors import unconfirmed_organisation_ids

Deliver = Callable[[int], None]


def notification_create(
    *, kind: str, round_: Round, organisation: Organisation, subject: Organisation, scope: str, reason: str,
    deliver: Deliver,
) -> Notification:  # fmt: skip
    """An in-app notice for everyone at `organisation`; `deliver(id)` queues its e-mail."""
    note = Notification.objects.create(
        kind=kind, round=round_, organisation=organisation, subject=subject, scope=scope, reason=reason or ""
    )
    transaction.on_commit(lambda: unread_changed(organisation.pk))
    deliver(note.pk)
    return note


def round_send_reminders(*, round_id: int, deliver: Deliver, now: datetime | None = None) -> int:
    """Remind every participating organisation not yet confirmed, once per organisation per round, when the close
    is at most settings.LEC_REMINDER_DAYS away. Returns how many reminders were created."""
    now = now or timezone.now()
    round_ = Round.objects.filter(pk=round_id, state=Round.State.OPEN).first()
    if round_ is None or round_.closes_at - now > timezone.timedelta(days=settings.LEC_REMINDER_DAYS):
        return 0
    due = unconfirmed_organisation_ids(round_)
    already = set(
        Notification.objects.filter(round=round_, kind=Notification.Kind.REMINDER).values_list(
            "organisation_id", flat=True
        )
    )
    new = [
        Notification(kind=Notification.Kind.REMINDER, round=round_, organisation_id=pk, subject_id=pk)
        for pk in due
        if pk not in already
    ]
    with transaction.atomic():
        created = Notification.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
        transaction.on_commit(lambda: unread_changed(None))
        ids = list(
            Notification.objects.filter(
                round=round_, kind=Notification.Kind.REMINDER, emailed_at__isnull=True
            ).values_list("pk", flat=True)
        )
        for pk in ids:
            deliver(pk)
    return len(created)


def notification_deliver(*, notification_id: int) -> int:
    """E-mail one notification to the active users of its organisation (or its user) who have an address; once."""
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
        sent = 0
        if addresses:
            sent = send_mass_mail([(subject, body, settings.DEFAULT_FROM_EMAIL, [a]) for a in addresses])
        note.emailed_at = timezone.now()
        note.save(update_fields=["emailed_at"])
    return sent


def notifications_mark_read(*, acting_user, ids: list[int] | None = None) -> int:
    qs = notifications_for(acting_user).filter(read=False)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    marked = Notification.objects.filter(pk__in=list(qs.values_list("pk", flat=True))).update(read=True)
    if marked:
        unread_changed(acting_user.organisation_id, user_id=acting_user.pk)
    return marked


def notifications_for(user) -> QuerySet[Notification]:
    q = Q(user=user)
    if getattr(user, "organisation_id", None):
        q |= Q(organisation_id=user.organisation_id)
    return Notification.objects.filter(q).select_related("subject", "round").order_by("-created_at", "-id")


def unread_count(user) -> int:
    return notifications_for(user).filter(read=False).count()


# The menu bar's bell shows the unread count on every page. It is cached under generation numbers (one for the
# whole country, one per organisation, one per user) that every write bumps, so a page costs a cache read, not a
# query; UNREAD_TTL bounds how stale a count can get should a write path forget to bump.
UNREAD_TTL = 120


def _generation_keys(user) -> list[str]:
    return ["lec:notif-gen:all", f"lec:notif-gen:org:{user.organisation_id}", f"lec:notif-gen:user:{user.pk}"]


def unread_count_cached(user) -> int:
    keys = _generation_keys(user)
    gens = cache.get_many(keys)
    key = f"lec:unread:{user.pk}:" + ":".join(str(gens.get(k, 0)) for k in keys)
    found = cache.get(key)
    if found is None:
        found = unread_count(user)
        cache.set(key, found, UNREAD_TTL)
    return found


def unread_changed(organisation_id: int | None, *, user_id: int | None = None) -> None:
    """Bump the generation of an organisation (None: everyone) and of a user, so their next page recounts."""
    keys = [f"lec:notif-gen:org:{organisation_id}" if organisation_id else "lec:notif-gen:all"]
    if user_id:
        keys.append(f"lec:notif-gen:user:{user_id}")
    for key in keys:
        cache.add(key, 0, None)
        try:
            cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, None)


def notification_text(note: Notification) -> str:
    who = note.subject.name_th if note.subject_id else ""
    scope = Scope(note.scope).label if note.scope else ""
    round_name = note.round.name if note.round_id else ""
    texts = {
        Notification.Kind.CONFIRMED: _("%(who)s confirmed its data (%(scope)s) for %(round)s."),
        Notification.Kind.UNLOCKED: _("The confirmation of %(who)s (%(scope)s) for %(round)s was cancelled. "
                                      "Reason: %(reason)s"),
        Notification.Kind.UNLOCK_REQUESTED: _("%(who)s asks you to cancel its confirmation (%(scope)s) for "
                                              "%(round)s. Reason: %(reason)s"),
        Notification.Kind.REQUEST_APPROVED: _("Your unlock request (%(scope)s) for %(round)s was approved: you can "
                                              "edit the data again."),
        Notification.Kind.REQUEST_REJECTED: _("Your unlock request (%(scope)s) for %(round)s was not approved. "
                                              "Reason: %(reason)s"),
        Notification.Kind.REMINDER: _("%(round)s closes soon and %(who)s has not confirmed its data yet."),
        Notification.Kind.NUDGE: _("Your LAO reminds you: check your learners and confirm them for %(round)s."),
        Notification.Kind.ROUND_OPENED: _("%(round)s is open."),
        Notification.Kind.ROUND_CLOSED: _("%(round)s is closed."),
    }  # fmt: skip
    return str(texts.get(note.kind, "")) % {
        "who": who,
        "scope": scope,
        "round": round_name,
        "reason": note.reason,
    }
