"""Writes for accounts: default grants, provisioning (api.md provision_users), API tokens, the audit log."""

import dataclasses
import secrets
import string
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lec.lib.errors import Code, DomainError
from schools.models import Kind, Organisation

from . import policy
from .models import ApiToken, AuditLog, OrganisationUserObjectPermission, User, hash_token
from .roles import DEFAULT_PERMISSIONS

PROVISION_COLUMNS = ["username", "organisation_code", "email", "first_name", "last_name"]
_ALPHABET = string.ascii_letters + string.digits


def random_password(length: int = 14) -> str:
    """At least one lower, upper and digit; no look-alike punctuation to read out over the phone."""
    while True:
        pw = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if any(c.islower() for c in pw) and any(c.isupper() for c in pw) and any(c.isdigit() for c in pw):
            return pw


def _permissions_by_codename() -> dict[str, Permission]:
    ct = ContentType.objects.get_for_model(Organisation)
    return {p.codename: p for p in Permission.objects.filter(content_type=ct)}


def default_grants(
    users: list[User], perms: dict[str, Permission] | None = None
) -> list[OrganisationUserObjectPermission]:
    perms = perms or _permissions_by_codename()
    rows = []
    for user in users:
        if user.organisation_id is None:
            continue
        for codename in DEFAULT_PERMISSIONS[Kind(user.organisation.kind)]:
            rows.append(
                OrganisationUserObjectPermission(
                    user=user, permission=perms[codename], content_object=user.organisation
                )
            )
    return rows


@transaction.atomic
def user_reset_permissions(*, user: User) -> None:
    """Replace the user's object permissions with the defaults of their organisation's kind."""
    OrganisationUserObjectPermission.objects.filter(user=user).delete()
    OrganisationUserObjectPermission.objects.bulk_create(default_grants([user]))
    policy.forget(user)


class ProvisionError(DomainError):
    code = Code.INVALID
    status = 400

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("\n".join(lines))


@dataclasses.dataclass
class ProvisionResult:
    created: list[tuple[str, str]]
    updated: int
    passwords: list[tuple[str, str]]


@transaction.atomic
def users_provision(*, rows: list[tuple[int, dict]], reset_passwords: bool = False) -> ProvisionResult:
    """Create or move users from (line, row) pairs; all or nothing. Returns the passwords to hand out."""
    rows = [(line, {k: (v or "").strip() for k, v in row.items() if k}) for line, row in rows]
    codes = {r["organisation_code"] for _, r in rows}
    orgs = {o.code: o for o in Organisation.objects.filter(code__in=codes)}
    problems, seen = [], {}
    for line, row in rows:
        errs = []
        username = row.get("username", "")
        if not username:
            errs.append(_("username is empty"))
        elif username in seen:
            errs.append(
                _("username %(u)s appears twice (first at line %(line)s)")
                % {"u": username, "line": seen[username]}
            )
        else:
            seen[username] = line
            try:
                User.username_validator(username)
            except ValidationError:
                errs.append(_("username may contain only letters, digits and @/./+/-/_"))
        org = orgs.get(row.get("organisation_code", ""))
        if org is None:
            errs.append(_("unknown organisation_code %(code)s") % {"code": row.get("organisation_code", "")})
        elif org.kind == Kind.OTHER_SCHOOL:
            errs.append(_("other-affiliation schools have no users; give the account to their LAO"))
        if row.get("email"):
            try:
                validate_email(row["email"])
            except ValidationError:
                errs.append(_("email %(e)s is not a valid address") % {"e": row["email"]})
        if errs:
            problems.append(f"line {line}: " + "; ".join(errs))
    if problems:
        raise ProvisionError(problems)

    existing = {
        u.username: u for u in User.objects.filter(username__in=list(seen)).select_related("organisation")
    }
    passwords, created, touched = [], [], []
    for _line, row in rows:
        org = orgs[row["organisation_code"]]
        user = existing.get(row["username"])
        if user is None:
            password = random_password()
            user = User(username=row["username"], organisation=org, must_change_password=True)
            user.set_password(password)
            created.append((user.username, password))
            passwords.append((user.username, password))
        else:
            user.organisation = org
            if reset_passwords:
                password = random_password()
                user.set_password(password)
                user.must_change_password = True
                passwords.append((user.username, password))
        user.email = row.get("email", "")
        user.first_name = row.get("first_name", "")
        user.last_name = row.get("last_name", "")
        user.save()
        touched.append(user)
    OrganisationUserObjectPermission.objects.filter(user__in=touched).delete()
    OrganisationUserObjectPermission.objects.bulk_create(default_grants(touched), batch_size=1000)
    return ProvisionResult(created=created, updated=len(touched) - len(created), passwords=passwords)


def token_create(*, user: User, ip: str | None = None) -> tuple[str, ApiToken]:
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        key_hash=hash_token(raw),
        expires_at=timezone.now() + timedelta(hours=settings.LEC_API_TOKEN_HOURS),
        created_from=ip or None,
    )
    return raw, token


def token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def token_user(raw: str) -> tuple[User, ApiToken] | None:
    token = (
        ApiToken.objects.select_related("user", "user__organisation")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token.user, token


def audit(
    *,
    acting_user,
    action: str,
    organisation: Organisation | None = None,
    object_ref: str = "",
    ip: str | None = None,
    **detail,
) -> AuditLog:
    """One audit log row: `acting_user` did `action` (None or an anonymous user: the system did)."""
    return AuditLog.objects.create(
        user=acting_user if getattr(acting_user, "pk", None) else None,
        action=action,
        organisation=organisation,
        object_ref=str(object_ref),
        detail=detail,
        ip=ip or None,
    )


def user_change_password(*, user: User, password: str) -> None:
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
