"""Users (one organisation each), API tokens and guardian's direct object-permission tables on Organisation."""

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from schools.models import Organisation


class User(AbstractUser):
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("organisation"),
    )
    must_change_password = models.BooleanField(_("must change password"), default=False)
    # Optional: shown to the level above when this user's organisation holds it back (who to call).
    phone = models.CharField(_("phone"), max_length=32, blank=True, default="")
    # Raised by "sign out everywhere": part of the session hash, so every other session of the user ends.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)
    # Whether the user has a confirmed second-factor device, kept by accounts.signals whenever a device is saved
    # or deleted (whatever saved it: enrolment, a reset, the admin). Read from the user row every request
    # already loads, so the two-factor gate costs no query for the many users without a device.
    has_second_factor = models.BooleanField(default=False, editable=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self):
        return self.username

    def _get_session_auth_hash(self, secret=None):
        if not self.session_epoch:  # sessions made before the field existed stay valid
            return super()._get_session_auth_hash(secret=secret)
        key_salt = "accounts.User.session_auth_hash"
        return salted_hmac(key_salt, f"{self.password}:{self.session_epoch}", secret=secret,
                           algorithm="sha256").hexdigest()  # fmt: skip


class OrganisationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Organisation, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["user"], name="orgperm_user")]


class OrganisationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Organisation, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        pass


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_from = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")

    def __str__(self):
        return f"{self.user} until {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class AuditLog(models.Model):
    """Who saw or exported what (design.md: every export and every full-record view above the institution),
    and every security-relevant event. Append-only: on PostgreSQL a trigger refuses UPDATE and DELETE (only the
    foreign keys may fall to NULL when a user or organisation is deleted; `username` keeps who it was)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    username = models.CharField(max_length=150, blank=True, default="")
    action = models.CharField(max_length=32)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    object_ref = models.CharField(max_length=64, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.object_ref}"
