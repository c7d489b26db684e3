"""The policy beyond the typed matrix: anonymous and inactive users, visibility, 404 against 403, admin grants."""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts import policy
from accounts.roles import ACTIONS
from lec.lib.errors import Forbidden, NotFound

pytestmark = pytest.mark.django_db

# The role × action × relation matrix is tests/accounts/test_permission_matrix.py, typed from design.md; the one that
# stood here computed its expectations from accounts.roles, the table under test, and could not fail on it.


@pytest.mark.parametrize("action", ACTIONS)
def test_anonymous_may_do_nothing(tree, action):
    assert policy.can(AnonymousUser(), action, tree.school1) is False
    assert not policy.visible_organisations(AnonymousUser()).exists()


def test_visible_organisations_is_exactly_the_subtree(tree):
    codes = set(policy.visible_organisations(tree.users["lao1"]).values_list("code", flat=True))
    assert codes == {tree.lao1.code, tree.school1.code, tree.school2.code, tree.cdc1.code, tree.other1.code}
    assert set(policy.visible_organisations(tree.users["school1"]).values_list("code", flat=True)) == {
        tree.school1.code
    }
    assert policy.visible_organisations(tree.users["dept"]).count() == 14


def test_visible_organisations_is_one_query(tree, django_assert_num_queries):
    user = tree.users["p1"]
    with django_assert_num_queries(2):  # grants, then the organisations
        list(policy.visible_organisations(user))


def test_access_hides_what_is_not_visible_and_forbids_what_is_visible(tree):
    school_user = tree.users["school1"]
    with pytest.raises(NotFound):
        policy.access_organisation(school_user, tree.school2.code)
    with pytest.raises(NotFound):
        policy.access_organisation(school_user, "does-not-exist")
    lao_user = tree.users["lao1"]
    assert policy.access_organisation(lao_user, tree.school1.code) == tree.school1
    with pytest.raises(Forbidden):
        policy.access_organisation(lao_user, tree.school1.code, "confirm_own")


def test_an_admin_grant_on_a_second_lao_covers_its_subtree(tree):
    from django.contrib.auth.models import Permission

    from accounts.models import OrganisationUserObjectPermission

    user = tree.users["lao1"]
    assert not policy.can(user, "view_subtree", tree.school3)
    perm = Permission.objects.get(codename="view_subtree", content_type__app_label="schools")
    OrganisationUserObjectPermission.objects.create(user=user, permission=perm, content_object=tree.lao2)
    policy.forget(user)
    assert policy.can(user, "view_subtree", tree.school3)
    assert not policy.can(user, "confirm_own", tree.lao2)


def test_inactive_user_may_do_nothing(tree):
    user = tree.users["school1"]
    user.is_active = False
    policy.forget(user)
    assert not policy.can(user, "view_subtree", tree.school1)


@pytest.mark.parametrize("action", ["manage_rounds", "manage_organisations", "manage_users"])
def test_national_actions_belong_to_the_department_only(tree, action):
    assert policy.can_nationally(tree.users["dept"], action)
    for role in ("p1", "lao1", "school1", "cdc1"):
        assert not policy.can_nationally(tree.users[role], action)
    assert not policy.can_nationally(AnonymousUser(), action)
