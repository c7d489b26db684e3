"""Writes for accounts: default grants, provisioning (api.md provision_users), API tokens, the audit log."""

import dataclasses
import secrets
import string
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lec.lib import plain_sql
from lec.lib.errors import FileProblems, Forbidden
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


class ProvisionError(FileProblems):
    pass


@dataclasses.dataclass
class ProvisionResult:
    created: list[tuple[str, str]]
    updated: int
    passwords: list[tuple[str, str]]
    moved: list[str] = dataclasses.field(default_factory=list)
    reset: list[str] = dataclasses.field(default_factory=list)


# Who outranks whom (department > province > LAO > institution): an officer may touch only accounts below.
LEVEL_RANK = {
    Kind.DEPARTMENT: 4,
    Kind.PROVINCE: 3,
    Kind.LAO: 2,
    Kind.SCHOOL: 1,
    Kind.CDC: 1,
    Kind.OTHER_SCHOOL: 1,
}


def level_rank(organisation: Organisation | None) -> int:
    return LEVEL_RANK.get(organisation.kind, 1) if organisation is not None else 0


def _in_subtree(organisation: Organisation, top: Organisation) -> bool:
    return organisation.path == top.path or organisation.path.startswith(top.path + "/")


def account_refusal(acting_user, target: User) -> str | None:
    """Why `acting_user` (None: the command line) may not provision, move or reset `target`, or None."""
    if target.is_superuser or target.is_staff:
        return _("%(u)s is an administrator account and cannot be changed here") % {"u": target.username}
    if acting_user is None or policy.is_superuser(acting_user):
        return None
    own = getattr(acting_user, "organisation", None)
    if own is None or target.organisation is None or level_rank(target.organisation) >= level_rank(own):
        return _("%(u)s is at or above your own level and cannot be changed by you") % {"u": target.username}
    if not _in_subtree(target.organisation, own):
        return _("%(u)s belongs to an organisation outside yours") % {"u": target.username}
    return None


def destination_refusal(acting_user, organisation: Organisation) -> str | None:
    """Why `acting_user` may not place an account in `organisation` (at or above their level, or outside)."""
    if acting_user is None or policy.is_superuser(acting_user):
        return None
    own = getattr(acting_user, "organisation", None)
    if own is None or level_rank(organisation) >= level_rank(own) or not _in_subtree(organisation, own):
        return _(
            "you may not give accounts in %(code)s (at or above your level, or outside your organisation)"
        ) % {"code": organisation.code}
    return None


def _row_problems(row: dict, orgs: dict, seen: dict, line: int, acting_user) -> list[str]:
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
    elif refusal := destination_refusal(acting_user, org):
        errs.append(refusal)
    if row.get("email"):
        try:
            validate_email(row["email"])
        except ValidationError:
            errs.append(_("email %(e)s is not a valid address") % {"e": row["email"]})
    return errs


@transaction.atomic
def users_provision(
    *,
    rows: list[tuple[int, dict]],
    reset_passwords: bool = False,
    acting_user=None,
    ip: str | None = None,
    source: str = "command",
) -> ProvisionResult:
    """Create or move users from (line, row) pairs; all or nothing. Returns the passwords to hand out.

    Never touches a superuser or staff account, nor (for an officer) one at or above the officer's level or
    outside their organisation. The audit row names every account created, moved or reset."""
    rows = [(line, {k: (v or "").strip() for k, v in row.items() if k}) for line, row in rows]
    codes = {r["organisation_code"] for _, r in rows}
    orgs = {o.code: o for o in Organisation.objects.filter(code__in=codes)}
    problems, seen = [], {}
    for line, row in rows:
        if errs := _row_problems(row, orgs, seen, line, acting_user):
            problems.append(f"line {line}: " + "; ".join(errs))
    existing = {
        u.username: u
        for u in User.objects.select_for_update(of=("self",))
        .filter(username__in=list(seen))
        .select_related("organisation")
    }
    for line, row in rows:
        user = existing.get(row.get("username", ""))
        if user is not None and (refusal := account_refusal(acting_user, user)):
            problems.append(f"line {line}: {refusal}")
    if problems:
        raise ProvisionError(problems)
    result = ProvisionResult(created=[], updated=0, passwords=[])
    touched = [_provision_one(row, orgs, existing, reset_passwords, result) for _line, row in rows]
    OrganisationUserObjectPermission.objects.filter(user__in=touched).delete()
    OrganisationUserObjectPermission.objects.bulk_create(default_grants(touched), batch_size=1000)
    result.updated = len(touched) - len(result.created)
    reset_users = [u for u in touched if u.username in set(result.reset)]
    if reset_users:
        sessions_and_tokens_revoke(users=reset_users)
    audit(acting_user=acting_user, action="provision_users", ip=ip, source=source,
          created=[u for u, _p in result.created], moved=result.moved, reset=result.reset,
          updated=[u.username for u in touched if u.username not in {c for c, _p in result.created}])  # fmt: skip
    return result


def _provision_one(
    row: dict, orgs: dict, existing: dict, reset_passwords: bool, result: ProvisionResult
) -> User:
    org = orgs[row["organisation_code"]]
    user = existing.get(row["username"])
    if user is None:
        password = random_password()
        user = User(username=row["username"], organisation=org, must_change_password=True)
        user.set_password(password)
        result.created.append((user.username, password))
        result.passwords.append((user.username, password))
    else:
        if user.organisation_id != org.pk:
            result.moved.append(user.username)
        user.organisation = org
        if reset_passwords:
            password = random_password()
            user.set_password(password)
            user.must_change_password = True
            result.passwords.append((user.username, password))
            result.reset.append(user.username)
    user.email = row.get("email", "")
    user.first_name = row.get("first_name", "")
    user.last_name = row.get("last_name", "")
    user.save()
    return user


def token_create(*, user: User, ip: str | None = None) -> tuple[str, ApiToken]:
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        key_hash=hash_token(raw),
        expires_at=timezone.now() + timedelta(hours=settings.LEC_API_TOKEN_HOURS),
        created_from=ip or None,
    )
    audit(acting_user=user, action="token_issue", ip=ip, object_ref=user.username, token=token.pk)
    return raw, token


def token_revoke(*, token: ApiToken, ip: str | None = None) -> None:
    if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
        audit(
            acting_user=token.user,
            action="token_revoke",
            ip=ip,
            object_ref=token.user.username,
            token=token.pk,
        )


def token_user(raw: str) -> tuple[User, ApiToken] | None:
    """The live token with this secret and its user (with the user's organisation), or None. One plain query
    instead of an ORM select_related: every API request pays it, and the ORM's Python side cost more than
    PostgreSQL did (issue 16)."""
    t, u, o = (plain_sql.table(m) for m in (ApiToken, User, Organisation))
    found = plain_sql.select(
        ((ApiToken, "t"), (User, "u"), (Organisation, "o")),
        f"FROM {t} t JOIN {u} u ON u.id = t.user_id LEFT JOIN {o} o ON o.id = u.organisation_id "
        "WHERE t.key_hash = %s AND t.revoked_at IS NULL AND t.expires_at > %s",
        [hash_token(raw), timezone.now()],
    )
    if not found:
        return None
    token, user, organisation = found[0]
    User.organisation.field.set_cached_value(user, organisation)
    ApiToken.user.field.set_cached_value(token, user)
    if not user.is_active:
        return None
    return user, token


def audit(
    *,
    acting_user,
    action: str,
    organisation: Organisation | None = None,
    object_ref: str = "",
    ip: str | None = None,
    **detail,
) -> AuditLog:
    """One audit log row: `acting_user` did `action` (None or an anonymous user: the system did).

    The row keeps the username too, so it still says who after the account is deleted. Without an explicit
    organisation the acting user's own is recorded, so the organisation's audit page finds the row."""
    user = acting_user if getattr(acting_user, "pk", None) else None
    if organisation is None and user is not None:
        organisation = getattr(user, "organisation", None)
    return AuditLog.objects.create(
        user=user,
        username=user.get_username() if user is not None else "",
        action=action,
        organisation=organisation,
        object_ref=str(object_ref)[:64],
        detail=detail,
        ip=ip or None,
    )


def _active_tokens(user: User) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()).count()


def sessions_and_tokens_revoke(*, users: list[User], keep_request=None) -> int:
    """End every session (the session hash changes) and revoke every API token of `users`.

    `keep_request`: the request of a user acting on themselves keeps its own session. Returns tokens revoked."""
    ids = [u.pk for u in users]
    User.objects.filter(pk__in=ids).update(session_epoch=models.F("session_epoch") + 1)
    revoked = ApiToken.objects.filter(user_id__in=ids, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    for user in users:
        user.refresh_from_db(fields=["session_epoch"])
    if keep_request is not None and keep_request.user.pk in ids:
        keep_request.user.refresh_from_db(fields=["session_epoch", "password"])
        update_session_auth_hash(keep_request, keep_request.user)
    return revoked


@transaction.atomic
def user_sign_out_everywhere(*, user: User, acting_user, ip: str | None = None, keep_request=None) -> int:
    revoked = sessions_and_tokens_revoke(users=[user], keep_request=keep_request)
    audit(acting_user=acting_user, action="sign_out_everywhere", organisation=user.organisation,
          object_ref=user.username, ip=ip, tokens_revoked=revoked)  # fmt: skip
    return revoked


@transaction.atomic
def user_change_password(*, user: User, password: str, request=None, ip: str | None = None) -> None:
    """The user's own change: every token and every other session ends; `request` keeps its session."""
    revoked = _active_tokens(user)  # the save below revokes them
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    sessions_and_tokens_revoke(users=[user], keep_request=request)
    audit(acting_user=user, action="password_change", object_ref=user.username, ip=ip, tokens_revoked=revoked)


@transaction.atomic
def user_set_password_by_reset(*, user: User, password: str, ip: str | None = None) -> None:
    """A forgotten-password reset by e-mail link: every session and token of the user ends."""
    revoked = _active_tokens(user)  # the save below revokes them
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    sessions_and_tokens_revoke(users=[user])
    audit(
        acting_user=user,
        action="password_reset_done",
        object_ref=user.username,
        ip=ip,
        tokens_revoked=revoked,
    )


def resettable_accounts(acting_user):
    """The accounts an LAO (or higher) officer may reset: below their level, inside their organisation."""
    own = getattr(acting_user, "organisation", None)
    if own is None or not acting_user.is_authenticated:
        return User.objects.none()
    below = [k for k, rank in LEVEL_RANK.items() if rank < level_rank(own)]
    return (
        User.objects.filter(is_superuser=False, is_staff=False, is_active=True, organisation__kind__in=below)
        .filter(models.Q(organisation__path__startswith=own.path + "/"))
        .select_related("organisation")
    )


@transaction.atomic
def user_reset_password_by_officer(*, target: User, acting_user, ip: str | None = None) -> str:
    """An officer's reset of a subordinate account: a one-time password, forced change at next login."""
    if not resettable_accounts(acting_user).filter(pk=target.pk).exists():
        raise Forbidden(_("You may not reset this account's password."))
    password = random_password()
    revoked = _active_tokens(target)  # the save below revokes them
    target.set_password(password)
    target.must_change_password = True
    target.save(update_fields=["password", "must_change_password"])
    sessions_and_tokens_revoke(users=[target])
    audit(acting_user=acting_user, action="password_reset_by_officer", organisation=target.organisation,
          object_ref=target.username, ip=ip, tokens_revoked=revoked)  # fmt: skip
    return password
