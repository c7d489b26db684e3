"""Background jobs (imports and exports) whose progress the pages poll (design.md "Background work")."""

import datetime as dt
import os
import socket
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LeaseLost(Exception):
    """Another worker re-claimed this job (ours stopped renewing its lease): this run must not finish it."""


class Job(models.Model):
    """One import or export run. Tasks take its id, claim it with a conditional update (so a task delivered twice
    runs once), move `progress` towards `total` and leave the outcome in `result`.

    The claim is a lease: the claiming worker's token in `claimed_by`, renewed in `heartbeat_at` while it runs
    (lec.jobs.heartbeat). A job running with no heartbeat for LEC_JOB_LEASE_SECONDS lost its worker (killed, its
    machine gone): another worker may claim it, and the claim's token then makes the old run's finish() fail."""

    class Kind(models.TextChoices):
        IMPORT_LEARNERS = "import_learners", _("Learner import")
        EXPORT_LEARNERS = "export_learners", _("Learner export")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=32, choices=Kind.choices)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING, db_index=True)
    # A job may run in phases (an import: "preview", then "import" once the user confirms).
    phase = models.CharField(max_length=16, blank=True, default="")
    progress = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    file = models.FileField(upload_to="jobs/%Y/%m/", blank=True, max_length=255)
    filename = models.CharField(max_length=255, blank=True, default="")
    output = models.FileField(upload_to="jobs/out/%Y/%m/", blank=True, max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        "schools.Organisation", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    claimed_by = models.CharField(max_length=64, blank=True, default="")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "kind", "-created_at"], name="job_org_kind")]

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        return min(99, int(100 * self.progress / self.total)) if self.total else 0

    @staticmethod
    def lease() -> dt.timedelta:
        return dt.timedelta(seconds=settings.LEC_JOB_LEASE_SECONDS)

    @classmethod
    def stale_q(cls, now=None) -> Q:
        """Running jobs whose worker stopped renewing the lease."""
        cutoff = (now or timezone.now()) - cls.lease()
        return Q(state=cls.State.RUNNING) & (
            Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, updated_at__lt=cutoff)
        )

    def claim(self, phase: str, worker: str = "") -> bool:
        """Mark the job running for `phase` if it is waiting (or its worker died); False when another run has it."""
        now = timezone.now()
        token = f"{worker or socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[-64:]
        claimed = Job.objects.filter(Q(state=self.State.PENDING) | self.stale_q(now), pk=self.pk, phase=phase).update(
            state=self.State.RUNNING, started_at=now, updated_at=now, heartbeat_at=now, claimed_by=token,
            attempts=F("attempts") + 1, progress=0,
        )  # fmt: skip
        if claimed:
            self.refresh_from_db()
        return bool(claimed)

    def set_progress(self, progress: int, total: int | None = None) -> None:
        fields = {"progress": progress, "updated_at": timezone.now()}
        if total is not None:
            fields["total"] = total
        Job.objects.filter(pk=self.pk).update(**fields)
        self.progress = progress
        if total is not None:
            self.total = total

    def finish(self, *, result: dict, failed: bool = False) -> None:
        """End the job. A claimed job ends only while this run still holds the claim (else LeaseLost, so the
        transaction that wrote the job's work rolls back with it)."""
        now = timezone.now()
        fields = {
            "state": self.State.FAILED if failed else self.State.DONE,
            "result": result,
            "finished_at": now,
            "progress": self.total or self.progress,
            "updated_at": now,
        }
        rows = Job.objects.filter(pk=self.pk)
        if self.claimed_by:
            rows = rows.filter(claimed_by=self.claimed_by, state=self.State.RUNNING)
        if not rows.update(**fields):
            raise LeaseLost(f"job {self.pk} was claimed by another worker")
        for name, value in fields.items():
            setattr(self, name, value)

    def restart(self, phase: str) -> bool:
        """Move a finished preview on to its next phase, once (a double click starts nothing twice)."""
        return bool(
            Job.objects.filter(pk=self.pk, state=self.State.DONE)
            .exclude(phase=phase)
            .update(
                state=self.State.PENDING,
                phase=phase,
                progress=0,
                updated_at=timezone.now(),
                finished_at=None,
                attempts=0,
                claimed_by="",
                heartbeat_at=None,
            )
            and self.refresh_from_db() is None
        )


class Generation(models.Model):
    """A generation counter of lec.lib.generations when there is no shared cache (the embedded default): the
    per-process caches of the national totals key on these values, so every process sees a bump at once.
    `province_id` 0 is the epoch."""

    kind = models.CharField(max_length=16)
    province_id = models.IntegerField()
    value = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "province_id"], name="lec_generation_kind_province")
        ]

    def __str__(self):
        return f"{self.kind}:{self.province_id}={self.value}"
