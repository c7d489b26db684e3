"""The two lookups every request pays, written as plain SQL in issue 16 (the ORM's Python side cost more than
PostgreSQL): the API token with its user and organisation, and the user's grants. Same answers as the ORM."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts import policy
from accounts.models import ApiToken, OrganisationGroupObjectPermission, OrganisationUserObjectPermission
from accounts.services import token_create, token_revoke, token_user

pytestmark = pytest.mark.django_db


def test_a_live_token_gives_its_user_and_organisation_in_one_query(tree, django_assert_num_queries):
    user = tree.users["lao1"]
    raw, token = token_create(user=user)
    with django_assert_num_queries(1):
        found_user, found_token = token_user(raw)
        assert found_user.organisation.code == user.organisation.code  # loaded with it, no second query
        assert found_token.user is found_user
    assert (found_user.pk, found_token.pk) == (user.pk, token.pk)
    assert found_user.username == user.username and found_user.is_active
    assert found_token.expires_at == ApiToken.objects.get(pk=token.pk).expires_at


def test_revoked_expired_unknown_tokens_and_inactive_users_give_nothing(tree):
    user = tree.users["school1"]
    raw, token = token_create(user=user)
    assert token_user(raw) is not None
    assert token_user(raw + "x") is None
    token_revoke(token=token)
    assert token_user(raw) is None
    raw, token = token_create(user=user)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert token_user(raw) is None
    raw, _token = token_create(user=user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert token_user(raw) is None


def _orm_grants(user) -> dict:
    """The ORM union the SQL replaced."""
    own = OrganisationUserObjectPermission.objects.filter(user_id=user.pk).values_list(
        "permission__codename", "content_object_id", "content_object__path"
    )
    group = OrganisationGroupObjectPermission.objects.filter(group__user=user.pk).values_list(
        "permission__codename", "content_object_id", "content_object__path"
    )
    out: dict = {}
    for codename, org_id, path in own.union(group, all=True):
        if codename in policy.ACTIONS:
            out.setdefault(codename, []).append((org_id, path))
    return {k: sorted(v) for k, v in out.items()}


def test_grants_are_the_users_own_and_its_groups_as_the_orm_gave_them(tree):
    user = tree.users["school1"]
    group = Group.objects.create(name="ผู้ตรวจเขต")
    group.user_set.add(user)
    OrganisationGroupObjectPermission.objects.create(
        group=group, content_object=tree.lao2, permission=_perm("view_subtree")
    )
    OrganisationGroupObjectPermission.objects.create(
        group=group, content_object=tree.p2, permission=_perm("export_learners")
    )
    got = {k: sorted(v) for k, v in policy._grants(user).items()}
    assert got == _orm_grants(user)
    assert (tree.lao2.pk, tree.lao2.path) in got["view_subtree"]
    assert (tree.school1.pk, tree.school1.path) in got["view_subtree"]
    assert policy.can(user, "view_subtree", tree.lao2) and policy.can(user, "export_learners", tree.p2)
    other = tree.users["lao1"]
    assert {k: sorted(v) for k, v in policy._grants(other).items()} == _orm_grants(other)


def _perm(codename):
    from django.contrib.auth.models import Permission

    return Permission.objects.get(codename=codename, content_type__app_label="schools")


def test_a_page_of_ones_own_organisation_loads_its_row_once(tree, django_assert_num_queries):
    from accounts.models import User

    user = User.objects.get(pk=tree.users["school1"].pk)
    org = policy.access_organisation(user, tree.school1.code)
    with django_assert_num_queries(0):
        assert user.organisation is org  # kept from the access check, not loaded again
    lao_user = User.objects.get(pk=tree.users["lao1"].pk)
    child = policy.access_organisation(lao_user, tree.school1.code)  # a child: not the user's own
    assert child.code == tree.school1.code
    with django_assert_num_queries(1):
        assert lao_user.organisation.code == tree.lao1.code


def test_the_menu_of_ones_own_roster_does_not_load_the_organisation_again(tree, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(tree.users["school1"])
    client.get(f"/o/{tree.school1.code}/learners/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/o/{tree.school1.code}/learners/").status_code == 200
    loads = [q["sql"] for q in queries if re.search(r'FROM "?schools_organisation"?\s', q["sql"])]
    assert len(loads) == 1, loads


def test_an_organisation_by_code_is_the_orms_row_in_one_plain_query(tree, django_assert_num_queries):
    from schools.models import Organisation, organisation_by_code

    with django_assert_num_queries(1):
        found = organisation_by_code(tree.school1.code)
    orm = Organisation.objects.get(code=tree.school1.code)
    assert found == orm and found.path == orm.path and found.parent_id == orm.parent_id
    assert found.levels_taught == orm.levels_taught and found.is_active == orm.is_active
    assert organisation_by_code("no-such-code") is None
    assert organisation_by_code(tree.school1.code + "'; --") is None


def test_the_actions_on_an_organisation_are_worked_out_once_per_user_until_the_grants_change(tree):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from accounts.services import user_reset_permissions

    user = User.objects.get(pk=tree.users["lao1"].pk)
    first = policy.actions_on(user, tree.school1)
    with CaptureQueriesContext(connection) as queries:
        again = policy.actions_on(user, tree.school1)
    assert again == first and not queries.captured_queries
    again.append("tampered")  # a caller's copy: the cached list stays as it was
    assert "tampered" not in policy.actions_on(user, tree.school1)
    assert "unlock_children" in policy.actions_on(user, tree.school1)
    assert "unlock_children" not in policy.actions_on(user, tree.lao1)  # per organisation
    OrganisationUserObjectPermission.objects.filter(user=user).delete()
    Group.objects.filter(user=user).delete()
    policy.forget(user)
    assert policy.actions_on(user, tree.school1) == []
    user_reset_permissions(user=user)  # the defaults of an LAO back, and forget() called by the service
    assert policy.actions_on(user, tree.school1) == first
