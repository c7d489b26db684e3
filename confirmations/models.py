"""Confirmations, their event log, unlock requests, headcount snapshots and notifications (design.md); the
Round they belong to is master data in schools.models."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schools.models import Round


class Scope(models.TextChoices):
    LEARNERS = "learners", _("Learners")
    OTHER_SCHOOLS = "other_schools", _("Other-affiliation schools")


class Confirmation(models.Model):
    """The confirmation of one organisation's data for one round and scope (design.md rules 1–9).

    A missing row means "open": rows are created at the first confirm, under the organisation's row lock."""

    class State(models.TextChoices):
        OPEN = "open", _("Not confirmed")
        CONFIRMED = "confirmed", _("Confirmed")

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="confirmations")
    organisation = models.ForeignKey(
        "schools.Organisation", on_delete=models.PROTECT, related_name="confirmations"
    )
    scope = models.CharField(max_length=16, choices=Scope.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "organisation", "scope"], name="confirmation_unique"),
        ]
        indexes = [models.Index(fields=["round", "scope", "state"], name="confirmation_round_state")]
        verbose_name = _("confirmation")
        verbose_name_plural = _("confirmations")

    def __str__(self):
        return f"{self.organisation_id} {self.scope} {self.state} @ round {self.round_id}"


class Action(models.TextChoices):
    CONFIRM = "confirm", _("Confirmed")
    UNLOCK = "unlock", _("Unlocked")
    REQUEST_UNLOCK = "request_unlock", _("Asked to unlock")
    APPROVE_REQUEST = "approve_request", _("Approved the unlock request")
    REJECT_REQUEST = "reject_request", _("Rejected the unlock request")


class ConfirmationEvent(models.Model):
    """Append-only record of every transition: who, when, from where, what, why."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="events")
    organisation = models.ForeignKey("schools.Organisation", on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(max_length=16, choices=Scope.choices)
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True, default="")
    reason = models.TextField(blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)
    # For confirm events: the counts confirmed ({"level:gender": n}), so a later unlock can show what changed.
    counts = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["round", "organisation", "id"], name="event_round_org"),
        ]
        verbose_name = _("confirmation event")
        verbose_name_plural = _("confirmation events")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.organisation_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("confirmation events are append-only")
        super().save(*args, **kwargs)


class UnlockRequest(models.Model):
    """A child level asking its parent to unlock one scope (design.md rule 6)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="unlock_requests")
    organisation = models.ForeignKey(
        "schools.Organisation", on_delete=models.PROTECT, related_name="unlock_requests"
    )
    scope = models.CharField(max_length=16, choices=Scope.choices)
    reason = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "organisation", "scope"],
                condition=models.Q(state="pending"),
                name="unlockrequest_one_pending",
            ),
        ]
        indexes = [models.Index(fields=["state", "round"], name="unlockrequest_state")]
        verbose_name = _("unlock request")
        verbose_name_plural = _("unlock requests")

    def __str__(self):
        return f"{self.organisation_id} {self.scope} {self.state}"


class HeadcountSnapshot(models.Model):
    """A copy, made at confirmation, of the counts confirmed: for `learners` the institution's LearnerCount rows;
    for `other_schools` the LAO's entries per other-affiliation school. Dropped on unlock; kept when a round closes."""

    confirmation = models.ForeignKey(Confirmation, on_delete=models.CASCADE, related_name="snapshot")
    # The organisation counted: the institution itself, or one other-affiliation school of the LAO.
    school = models.ForeignKey("schools.Organisation", on_delete=models.PROTECT, related_name="+")
    class_level = models.CharField(max_length=8)
    gender = models.CharField(max_length=6)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["confirmation", "school", "class_level", "gender"], name="snapshot_unique"
            ),
        ]
        indexes = [models.Index(fields=["school", "confirmation"], name="snapshot_school")]

    def __str__(self):
        return f"{self.school_id} {self.class_level} {self.gender}: {self.count}"


class Notification(models.Model):
    """In-app notice to an organisation (everyone working there) or one user; e-mailed by Celery after commit."""

    class Kind(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        UNLOCKED = "unlocked", _("Unlocked")
        UNLOCK_REQUESTED = "unlock_requested", _("Unlock requested")
        REQUEST_APPROVED = "request_approved", _("Unlock request approved")
        REQUEST_REJECTED = "request_rejected", _("Unlock request rejected")
        REMINDER = "reminder", _("Reminder")
        NUDGE = "nudge", _("Reminder from the level above")
        ROUND_OPENED = "round_opened", _("Round opened")
        ROUND_CLOSED = "round_closed", _("Round closed")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    round = models.ForeignKey(Round, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    organisation = models.ForeignKey(
        "schools.Organisation", on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    # The organisation the notice is about (the child that confirmed, the one unlocked …).
    subject = models.ForeignKey("schools.Organisation", on_delete=models.CASCADE, null=True, related_name="+")
    scope = models.CharField(max_length=16, choices=Scope.choices, blank=True, default="")
    reason = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    read = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "organisation"],
                condition=models.Q(kind="reminder"),
                name="notification_one_reminder",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "read", "created_at"], name="notification_org"),
            models.Index(fields=["user", "read", "created_at"], name="notification_user"),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self):
        return f"{self.kind} → {self.organisation_id or self.user_id}"
