"""The one place that answers "may this user do X to this organisation?" (design.md "Who may do what").

Grants are guardian object permissions on organisations; a grant covers the subtree below its organisation,
except `confirm_own` and `request_unlock` (that organisation only) and `unlock_children` (its direct children).
"""

import functools

from django.db import connection
from django.db.models import Q, QuerySet

from lec.lib.errors import Forbidden, NotFound
from schools.models import Organisation, organisation_by_code

from .models import OrganisationGroupObjectPermission, OrganisationUserObjectPermission
from .roles import ACTIONS

OWN_ONLY = frozenset({"confirm_own", "request_unlock"})
CHILDREN_ONLY = frozenset({"unlock_children"})


@functools.cache
def _GRANTS_SQL() -> str:  # noqa: N802
    """The user's own and group object permissions with their organisations' paths, as plain SQL: the same rows
    as the ORM union it replaces, without building and compiling two querysets on every request (issue 16)."""
    from django.contrib.auth.models import Permission

    from .models import User

    uop, gop = OrganisationUserObjectPermission._meta, OrganisationGroupObjectPermission._meta
    perm, org = Permission._meta.db_table, Organisation._meta.db_table
    groups = User.groups.through._meta.db_table
    return (
        f"SELECT p.codename, o.id, o.path FROM {uop.db_table} g JOIN {perm} p ON p.id = g.permission_id "
        f"JOIN {org} o ON o.id = g.content_object_id WHERE g.user_id = %s "
        f"UNION ALL SELECT p.codename, o.id, o.path FROM {gop.db_table} g JOIN {perm} p ON p.id = g.permission_id "
        f"JOIN {org} o ON o.id = g.content_object_id JOIN {groups} ug ON ug.group_id = g.group_id "
        "WHERE ug.user_id = %s"
    )


def _grants(user) -> dict[str, list[tuple[int, str]]]:
    """{action: [(organisation id, path), ...]}, loaded once per user object (one query)."""
    cached = getattr(user, "_lec_grants", None)
    if cached is not None:
        return cached
    grants: dict[str, list[tuple[int, str]]] = {}
    if user is not None and user.is_authenticated and user.is_active:
        with connection.cursor() as cur:
            cur.execute(_GRANTS_SQL(), [user.pk, user.pk])
            for codename, org_id, path in cur.fetchall():
                if codename in ACTIONS:
                    grants.setdefault(codename, []).append((org_id, path))
    user._lec_grants = grants
    return grants


def forget(user) -> None:
    """Drop the cached grants and the actions worked out from them (after they changed)."""
    for name in ("_lec_grants", "_lec_actions"):
        if hasattr(user, name):
            delattr(user, name)


def is_superuser(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_superuser)


def can(user, action: str, organisation: Organisation) -> bool:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if organisation is None or user is None or not user.is_authenticated:
        return False
    if is_superuser(user):
        return True
    held = _grants(user).get(action, ())
    if action in OWN_ONLY:
        return any(org_id == organisation.id for org_id, _ in held)
    if action in CHILDREN_ONLY:
        return any(org_id == organisation.parent_id for org_id, _ in held)
    path = organisation.path
    return any(path == p or path.startswith(p + "/") for _, p in held)


def visibility_q(user, field: str = "path") -> Q:
    """A Q limiting rows whose organisation path is `field` to what the user sees."""
    if is_superuser(user):
        return Q()
    q = Q(pk__in=[])
    for _, path in _grants(user).get("view_subtree", ()):
        q |= Q(**{field: path}) | Q(**{f"{field}__startswith": path + "/"})
    return q


def visible_organisations(user) -> QuerySet[Organisation]:
    if user is None or not user.is_authenticated:
        return Organisation.objects.none()
    if is_superuser(user):
        return Organisation.objects.all()
    if not _grants(user).get("view_subtree"):
        return Organisation.objects.none()
    return Organisation.objects.filter(visibility_q(user))


def access_organisation(user, code: str, action: str = "view_subtree", *, queryset=None) -> Organisation:
    """Load the organisation `code` and check `action`: 404 when absent or not visible, 403 when seen but not allowed."""
    organisation = organisation_by_code(code) if queryset is None else queryset.filter(code=code).first()
    if organisation is None or not can(user, "view_subtree", organisation):
        raise NotFound()
    if action != "view_subtree" and not can(user, action, organisation):
        raise Forbidden()
    _remember_own(user, organisation)
    return organisation


def _remember_own(user, organisation: Organisation) -> None:
    """The user's own organisation, just loaded, is kept as `user.organisation` too: the page's menu asks for it
    (a second query for the same row on every page of one's own organisation otherwise)."""
    field = user.__class__.organisation.field  # __class__: request.user is a lazy object around the user
    if organisation.pk == user.organisation_id and not field.is_cached(user):
        field.set_cached_value(user, organisation)


def require(user, action: str, organisation: Organisation) -> None:
    """For an organisation already known visible: 403 unless `action` is allowed."""
    if not can(user, "view_subtree", organisation):
        raise NotFound()
    if not can(user, action, organisation):
        raise Forbidden()


def actions_on(user, organisation: Organisation | None) -> list[str]:
    """The actions the user may take on `organisation` (for /me and templates)."""
    if organisation is None:
        return list(ACTIONS) if is_superuser(user) else []
    if user is None:
        return []
    cache = getattr(user, "_lec_actions", None)  # per user object, like the grants; forget() drops both
    if cache is None:
        cache = user._lec_actions = {}
    if organisation.pk not in cache:  # the menu and the page ask for the same organisation
        cache[organisation.pk] = [a for a in ACTIONS if can(user, a, organisation)]
    return list(cache[organisation.pk])


def sees_full_identity(user, organisation: Organisation) -> bool:
    return can(user, "view_full_identity", organisation)


def granted_actions(user) -> list[str]:
    """The permission names the user holds (on any organisation), in api.md order."""
    if is_superuser(user):
        return list(ACTIONS)
    held = _grants(user)
    return [a for a in ACTIONS if held.get(a)]


def can_nationally(user, action: str) -> bool:
    """For actions not aimed at one organisation (manage rounds, organisations, users): held on the user's own
    organisation (the department's grants), or a superuser."""
    if is_superuser(user):
        return True
    organisation = getattr(user, "organisation", None)
    return organisation is not None and can(user, action, organisation)
